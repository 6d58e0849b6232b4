"""Where the load goes: target settings, the safety rails, the option table, the pool launcher.

The ground floor of the client side: every command, the Locust users and the report read it;
it imports only ``srp_fast`` and :mod:`loadtest.protocol`, and never the pool server package
(:mod:`loadtest.target.launch` starts the pool as a process, through its command line).

- :mod:`~loadtest.target.config`: :class:`TargetConfig` (validated settings), :class:`AppClient`;
- :mod:`~loadtest.target.safety`: the rails (stated target, confirmed pool id, bounded sizes)
  and the one rule for "is this the local pool", :func:`is_local_endpoint`;
- :mod:`~loadtest.target.options`: the option table, for argparse and Locust's parser alike;
- :mod:`~loadtest.target.launch`: start a local pool, make an app on it, :func:`free_port`.
"""

from __future__ import annotations

from .config import AWS, AppClient, ConfigError, TargetConfig, check_reachable
from .launch import LocalApp, LocalPool, PoolStartError, free_port, local_pool, start_pool
from .options import OPTIONS, TARGET, Option, add_command_options, add_locust_options, target_from
from .safety import (
    LOCAL_POOL_URL,
    OverLimit,
    UnsafeTarget,
    check_bounds,
    guard_target,
    is_local_endpoint,
)

__all__ = [
    "AWS",
    "LOCAL_POOL_URL",
    "OPTIONS",
    "TARGET",
    "AppClient",
    "ConfigError",
    "LocalApp",
    "LocalPool",
    "Option",
    "OverLimit",
    "PoolStartError",
    "TargetConfig",
    "UnsafeTarget",
    "add_command_options",
    "add_locust_options",
    "check_bounds",
    "check_reachable",
    "free_port",
    "guard_target",
    "is_local_endpoint",
    "local_pool",
    "start_pool",
    "target_from",
]
