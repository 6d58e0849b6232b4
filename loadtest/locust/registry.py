"""Which Locust environment writes which report: a registry free of Locust imports.

The user runtime registers its identities' secrets here, and the users record their logins,
without importing Locust (whose import monkey-patches the process) from modules that plain
unit tests import.
"""

from __future__ import annotations

import weakref
from typing import Any

from loadtest.flows.identity import Identity
from loadtest.report.run import RunReport

__all__ = ["REPORTS", "add_identity_secrets", "record_login", "run_report"]

#: The report of each Locust environment that writes one (set by ``locust_hooks`` at init).
REPORTS: weakref.WeakKeyDictionary[Any, RunReport] = weakref.WeakKeyDictionary()


def run_report(environment: Any) -> RunReport | None:
    """This process's report, if the run writes one."""
    return REPORTS.get(environment)


def record_login(
    environment: Any,
    flow: str,
    steps: list[dict[str, Any]],
    total_ms: float,
    error: BaseException | None,
    **fields: Any,
) -> None:
    """Log and count one login, if the run writes a report (``fields``: see
    :meth:`RunReport.login`)."""
    report = REPORTS.get(environment)
    if report is not None:
        report.login(flow, steps, total_ms, error, **fields)


def add_identity_secrets(environment: Any, identities: list[Identity]) -> None:
    """Register every password, TOTP seed and device password so no event can contain one."""
    report = REPORTS.get(environment)
    if report is not None:  # all at once: each call compiles the redaction pattern again
        secrets: list[str | None] = []
        for identity in identities:
            device = identity.device.device_password if identity.device else None
            secrets += [identity.password, identity.totp_secret, device]
        report.add_secrets(secrets)
