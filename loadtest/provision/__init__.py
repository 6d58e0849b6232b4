"""Bulk creation and removal of synthetic test users: ``provision`` and ``teardown``.

Modules, each owning one thing:

- ``naming``: the synthetic prefix (``lt-``) and a run's user names, ``lt-<run>-00001``...;
- ``plan``: calls per user by quota category and the time estimate;
- ``ratelimit``: a token bucket per quota category (adapting to throttles) and jittered backoff;
- ``clients``: aioboto3 admin calls and the paced transport under the user-side flows;
- ``store``: the identities file (append + fsync per user, mode 0600, resumable);
- ``progress``: the progress line (TTY) or log lines;
- ``runner``: bounded concurrency, per-job time limits, Ctrl-C;
- ``provision`` / ``teardown``: the two jobs; ``cli``: their subcommands.

From code (the local pool, 50 users, quotas paced, no signal handling)::

    report = asyncio.run(provision(ProvisionSettings(
        target=TargetConfig.from_settings({"pool_id": ..., "client_id": ..., "endpoint_url": url}),
        users=50, identities=Path("ids.jsonl"), run="demo")))
"""

from __future__ import annotations

from .naming import SYNTHETIC_PREFIX, NotSynthetic, RunNaming
from .plan import Estimate, Plan, estimate
from .progress import Progress, ProgressPrinter
from .provision import ProvisionError, ProvisionReport, ProvisionSettings, provision
from .ratelimit import Backoff, Limiter, RateLimits, TokenBucket
from .runner import Interrupt
from .store import IdentitiesFile, IdentitiesFileError
from .teardown import TeardownReport, TeardownSettings, teardown

__all__ = [
    "SYNTHETIC_PREFIX",
    "Backoff",
    "Estimate",
    "IdentitiesFile",
    "IdentitiesFileError",
    "Interrupt",
    "Limiter",
    "NotSynthetic",
    "Plan",
    "Progress",
    "ProgressPrinter",
    "ProvisionError",
    "ProvisionReport",
    "ProvisionSettings",
    "RateLimits",
    "RunNaming",
    "TeardownReport",
    "TeardownSettings",
    "TokenBucket",
    "estimate",
    "provision",
    "teardown",
]
