"""Benchmark users, not a scenario: the soak's traffic, logins and sessions that expire.

- ``SoakLoginUser``: back-to-back USER_SRP_AUTH logins (``login:srp``), the volume;
- ``SoakSessionUser``: keeps a session the way an app does: refreshes when its access token
  has expired (``refresh``), logs in again when its refresh token has (``login:srp``). The
  soak's app client has lifetimes of seconds (``BENCH_SOAK_REFRESH_S``), so both happen many
  times a run, and a leak tied to sessions or tokens would show in the RSS slope.

Run by :mod:`benchmarks.soak` with the usual ``--cognito-*`` options.
"""

from __future__ import annotations

import os
import time
from typing import Any

from locust import constant, task

from loadtest.flows import LoginOptions, LoginResult, refresh_after, srp_login
from loadtest.locust.base import CognitoUser

__all__ = ["SoakLoginUser", "SoakSessionUser"]

NO_DEVICE = LoginOptions(use_device=False)


class SoakLoginUser(CognitoUser):
    """One SRP login after another."""

    wait_time = constant(0)

    @task
    def srp(self) -> None:
        ctx = self.runtime.context
        self.login("login:srp", lambda identity: srp_login(identity, ctx, NO_DEVICE))


class SoakSessionUser(CognitoUser):
    """A session: refresh on access-token expiry, log in again on refresh-token expiry."""

    #: How many of the run's users keep sessions; the rest log in back to back.
    fixed_count = int(os.environ.get("BENCH_SOAK_SESSION_USERS", "1"))

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.session: LoginResult | None = None
        self.access_until = self.refresh_until = 0.0
        self.refresh_s = float(os.environ.get("BENCH_SOAK_REFRESH_S", "30"))

    def wait_time(self) -> float:
        """Until the access token expires (at most a second, so expiry is never missed long)."""
        return max(0.0, min(1.0, self.access_until - time.monotonic()))

    @task
    def keep_session(self) -> None:
        now = time.monotonic()
        if self.session is None or now >= self.refresh_until:
            self._login(now)
        elif now >= self.access_until:
            record = self.run_flow("refresh", refresh_after(self.runtime.context, self.session))
            tokens = record.result
            self.access_until = now + tokens.expires_in if tokens else now

    def _login(self, now: float) -> None:
        ctx = self.runtime.context
        self.session = self.login("login:srp", lambda i: srp_login(i, ctx, NO_DEVICE))
        if self.session is not None:
            self.access_until = now + self.session.tokens.expires_in
            self.refresh_until = now + self.refresh_s
