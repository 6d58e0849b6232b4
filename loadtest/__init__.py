"""cognito-loadtest: load, lockout and capacity testing for Amazon Cognito user pools.

Layers (see docs/architecture.md): ``srp_fast`` (maths), ``loadtest.pool`` (the local,
Cognito-compatible pool), flows, drivers and Locust users, provisioning, the lockout probe,
reports and capacity planning, all reachable from the ``cognito-loadtest`` command.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
