"""The local pool: a Cognito-compatible user pool server on loopback that really verifies.

``cognito-loadtest pool serve --port PORT --state PATH`` runs it. It speaks AWS JSON 1.1 so that
boto3, aioboto3, the AWS CLI and the JS SDKs work against it by endpoint URL; it verifies SRP
and device SRP with :mod:`srp_fast`, enforces TOTP with replay rejection, the lockout model,
session lifetimes and per-category quotas, signs RS256 tokens and serves their JWKS, and keeps
its state in SQLite. Modules, one owner per concern:

- :mod:`.app` HTTP, routing, error mapping, faults and quotas per request; :mod:`.server`
  processes and readiness; :mod:`.cli` options; :mod:`.settings` the one settings object
- :mod:`.operations` the table of served operations; :mod:`.params` request validation
- :mod:`.auth` InitiateAuth; :mod:`.challenges` RespondToAuthChallenge; :mod:`.signin` the
  sign-in state machine, lockout bookkeeping and single-use sessions
- :mod:`.mfa` TOTP enrolment; :mod:`.devices` remembered devices; :mod:`.account` GetUser and
  sign-out; :mod:`.access` AccessToken checks; :mod:`.admin` pools, clients and users
- :mod:`.store` SQLite; :mod:`.records` what it stores; :mod:`.sessions` sealed sessions and
  SECRET_BLOCKs; :mod:`.tokens` JWTs and JWKS; :mod:`.srp` server SRP off the event loop
- :mod:`.lockout`, :mod:`.quotas`, :mod:`.totp`, :mod:`.faults`, :mod:`.clock` the models;
  :mod:`.shared` memory shared by worker processes; :mod:`.context` a worker's dependencies
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import parse_fault
    from .lockout import LockoutPolicy
    from .quotas import QuotaSettings
    from .server import serve
    from .settings import ServeSettings

#: Each export's module, imported on first use: importing ``loadtest.pool.faults`` (the pool's
#: command line does, to build its parser) must not import the server, aiohttp and every
#: operation (~0.35 s for each ``cognito-loadtest`` command).
_EXPORTS = {
    "LockoutPolicy": ".lockout",
    "QuotaSettings": ".quotas",
    "ServeSettings": ".settings",
    "parse_fault": ".faults",
    "serve": ".server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = ["LockoutPolicy", "QuotaSettings", "ServeSettings", "parse_fault", "serve"]
