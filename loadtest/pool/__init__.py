"""The local pool: a Cognito-compatible user pool server on loopback that really verifies.

``cognito-loadtest pool serve --port PORT --state PATH`` runs it. It speaks AWS JSON 1.1 so that
boto3, aioboto3, the AWS CLI and the JS SDKs work against it by endpoint URL; it verifies SRP
and device SRP with :mod:`srp_fast`, enforces TOTP with replay rejection, the lockout model,
session lifetimes and per-category quotas, signs RS256 tokens and serves their JWKS, and keeps
its state in SQLite. Modules, one owner per concern:

- :mod:`.app` HTTP, routing and error mapping; :mod:`.server` processes; :mod:`.cli` options
- :mod:`.auth` InitiateAuth; :mod:`.challenges` RespondToAuthChallenge; :mod:`.signin` the
  sign-in state machine, lockout bookkeeping and single-use sessions
- :mod:`.mfa` TOTP enrolment; :mod:`.devices` remembered devices; :mod:`.account` GetUser and
  sign-out; :mod:`.admin` pools, clients and users
- :mod:`.store` SQLite; :mod:`.sessions` sealed sessions; :mod:`.tokens` JWTs and JWKS;
  :mod:`.lockout`, :mod:`.quotas`, :mod:`.totp`, :mod:`.faults`, :mod:`.clock` the models
"""

from __future__ import annotations

from .faults import parse_fault
from .lockout import LockoutPolicy
from .quotas import QuotaSettings
from .server import serve
from .settings import ServeSettings

__all__ = ["LockoutPolicy", "QuotaSettings", "ServeSettings", "parse_fault", "serve"]
