"""Locust users and what they need: target settings, identity pool, per-process runtime.

Importing this package does not import Locust (which monkey-patches the process); the Locust
classes live in :mod:`loadtest.users.logins` (concrete users) and :mod:`loadtest.users.base`.
"""

from __future__ import annotations

from loadtest.target.config import ConfigError, TargetConfig, check_reachable

from .identities import IdentityPool, NoIdentityAvailable, partition

__all__ = [
    "ConfigError",
    "IdentityPool",
    "NoIdentityAvailable",
    "TargetConfig",
    "check_reachable",
    "partition",
]
