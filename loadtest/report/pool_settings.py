"""The pool a run targets, for the run metadata of ``summary.json`` (``run.pool``).

- the local pool (a loopback endpoint, by the safety rails' one rule): what it was started
  with, from ``GET /_pool/settings`` (lockout parameters, quotas, time scale, faults), and the
  MFA and device configuration of the run's pool and app client;
- a real user pool: its id, region and app client id; nothing is asked of AWS.

Never a secret: the client secret is only ever reported as present or not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from loadtest.target.config import AWS, LOCAL_POOL_URL
from loadtest.target.safety import is_local_endpoint

__all__ = ["pool_settings"]

_TIMEOUT_S = 3.0


def pool_settings(target: Mapping[str, Any]) -> dict[str, Any]:
    """What is known of the target pool (``target``: endpoint_url, pool_id, client_id, region)."""
    endpoint = str(target.get("endpoint_url") or LOCAL_POOL_URL)
    pool_id, client_id = target.get("pool_id"), target.get("client_id")
    region = target.get("region") or (str(pool_id).partition("_")[0] if pool_id else None)
    ids = {"pool_id": pool_id, "client_id": client_id, "region": region}
    if not is_local_endpoint(endpoint):
        return {"kind": "aws" if endpoint == AWS else "remote", **ids}
    query = urllib.parse.urlencode({"pool_id": pool_id or "", "client_id": client_id or ""})
    url = endpoint.rstrip("/") + "/_pool/settings?" + query
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:  # noqa: S310
            settings = json.loads(response.read())
    except (OSError, ValueError) as exc:
        return {"kind": "local", **ids, "settings": None, "error": _reason(exc)}
    return {"kind": "local", **ids, "settings": settings}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"GET /_pool/settings answered {exc.code}"
    return f"GET /_pool/settings failed: {type(exc).__name__}"
