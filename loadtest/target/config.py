"""Where load goes: region, user pool, app client (and secret), endpoint, identities file.

Settings come from Locust's command line or a command's, environment variables (``COGNITO_*``)
or ``locust.conf`` (see :mod:`loadtest.target.options`); this module only validates them, and says
clearly what is missing or malformed, all problems at once. The endpoint defaults to the local
pool, so that no load reaches AWS by accident; ``aws`` selects the regional AWS endpoint.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import srp_fast

from .safety import LOCAL_POOL_URL, is_local_endpoint

__all__ = ["AWS", "LOCAL_POOL_URL", "AppClient", "ConfigError", "TargetConfig", "check_reachable"]

#: The endpoint setting that means "AWS's regional endpoint".
AWS = "aws"

_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d+)_[0-9a-zA-Z]+$")
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class AppClient:
    """The user pool and app client a login targets; ``client_secret`` only if it has one."""

    pool_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)

    @property
    def pool_name(self) -> str:
        """The SRP prefix: the pool id after its first underscore."""
        return srp_fast.pool_name(self.pool_id)

    def secret_hash(self, username: str) -> dict[str, str]:
        """``{"SECRET_HASH": ...}`` for the USERNAME sent in a step, or ``{}`` without a secret."""
        if not self.client_secret:
            return {}
        return {"SECRET_HASH": srp_fast.secret_hash(username, self.client_id, self.client_secret)}


class ConfigError(ValueError):
    """Target settings that are missing, malformed or point nowhere."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetConfig:
    """A validated target: use :meth:`from_settings`."""

    region: str
    pool_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    endpoint_url: str
    identities: Path | None = None

    @property
    def app_client(self) -> AppClient:
        """The app client the flows target."""
        return AppClient(
            pool_id=self.pool_id, client_id=self.client_id, client_secret=self.client_secret
        )

    @property
    def is_loopback(self) -> bool:
        """Whether the endpoint is on this machine (the local pool), by the same rule as the
        safety rails (:func:`loadtest.target.safety.is_local_endpoint`)."""
        return is_local_endpoint(self.endpoint_url)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str | None]) -> TargetConfig:
        """Validate settings keyed ``region``, ``pool_id``, ``client_id``, ``client_secret``,
        ``endpoint_url``, ``identities``; raises :class:`ConfigError` listing every problem."""
        values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in settings.items()}
        problems: list[str] = []
        pool_id = _pool_id(values.get("pool_id"), problems)
        region = _region(values.get("region"), pool_id, problems)
        client_id = _client_id(values.get("client_id"), problems)
        endpoint = _endpoint(values.get("endpoint_url"), region, problems)
        identities = _identities(values.get("identities"), problems)
        if problems:
            raise ConfigError("invalid Cognito target settings:\n  - " + "\n  - ".join(problems))
        return cls(
            region=region or "",
            pool_id=pool_id or "",
            client_id=client_id or "",
            client_secret=values.get("client_secret"),
            endpoint_url=endpoint or "",
            identities=identities,
        )


def _pool_id(value: str | None, problems: list[str]) -> str | None:
    if value is None:
        problems.append("missing user pool id (--cognito-pool-id or COGNITO_POOL_ID)")
    elif not _POOL_ID.match(value):
        problems.append(f"malformed user pool id {value!r}: expected <region>_<id>")
    return value


def _region(value: str | None, pool_id: str | None, problems: list[str]) -> str | None:
    match = _POOL_ID.match(pool_id or "")
    from_pool = match.group("region") if match else None
    if value is None:
        return from_pool
    if not _REGION.match(value):
        problems.append(f"malformed region {value!r}: expected e.g. us-east-1")
    elif from_pool and value != from_pool:
        problems.append(f"region {value!r} does not match the pool id's region {from_pool!r}")
    return value


def _client_id(value: str | None, problems: list[str]) -> str | None:
    if value is None:
        problems.append("missing app client id (--cognito-client-id or COGNITO_CLIENT_ID)")
    elif not _CLIENT_ID.match(value):
        problems.append(f"malformed app client id {value!r}: expected letters, digits, _ or +")
    return value


def _endpoint(value: str | None, region: str | None, problems: list[str]) -> str | None:
    if value is None:
        return LOCAL_POOL_URL
    if value.lower() == AWS:
        return f"https://cognito-idp.{region}.amazonaws.com/" if region else None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        problems.append(f"malformed endpoint URL {value!r}: expected http(s)://host[:port]/")
        return value
    try:
        _ = parts.port
    except ValueError:
        problems.append(f"malformed endpoint URL {value!r}: bad port")
    return value if parts.path else value + "/"


def _identities(value: str | None, problems: list[str]) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        problems.append(f"identities file {value!r} does not exist")
    return path


def check_reachable(endpoint_url: str, *, timeout: float = 3.0) -> None:
    """Open (and close) a TCP connection to the endpoint; :class:`ConfigError` if it fails."""
    parts = urlsplit(endpoint_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(f"endpoint {endpoint_url} is unreachable: {exc}") from exc
