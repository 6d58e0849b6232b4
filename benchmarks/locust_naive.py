"""Benchmark baseline, not a scenario: a Locust user built the obvious way.

boto3's ``cognito-idp`` client (retries off) and pycognito's ``AWSSRP.authenticate_user``, the
login most Python load tests of Cognito start from; ``make bench`` runs it beside ours, against
the same local pool, to compare generator CPU per login. ``NaiveSrpUser`` does USER_SRP_AUTH;
``NaiveSrpTotpUser`` answers the SOFTWARE_TOKEN_MFA challenge pycognito raises with a pyotp
code. One Locust event per login.

Settings (environment): ``BENCH_NAIVE_IDENTITIES`` (identities file), ``BENCH_NAIVE_POOL_ID``,
``BENCH_NAIVE_CLIENT_ID``, ``BENCH_NAIVE_URL`` (loopback only), plus AWS credentials (any, for
the local pool).
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

import boto3
import pyotp
from botocore.config import Config
from locust import User, constant, task
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import SoftwareTokenMFAChallengeException

from loadtest.flows import Identity, load_identities

__all__ = ["NaiveSrpTotpUser", "NaiveSrpUser"]

_IDENTITIES: deque[Identity] = deque()


def _identities() -> deque[Identity]:
    if not _IDENTITIES:
        _IDENTITIES.extend(load_identities(os.environ["BENCH_NAIVE_IDENTITIES"]))
    return _IDENTITIES


class _NaiveUser(User):
    abstract = True
    wait_time = constant(1)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.pool_id = os.environ["BENCH_NAIVE_POOL_ID"]
        self.client_id = os.environ["BENCH_NAIVE_CLIENT_ID"]
        self.idp = boto3.client(
            "cognito-idp",
            endpoint_url=os.environ["BENCH_NAIVE_URL"],
            region_name=self.pool_id.split("_")[0],
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    def timed_login(self, name: str, totp: bool) -> None:
        identity = self._lease(totp)
        start, error = time.perf_counter(), None
        try:
            self.sign_in(identity)
        except Exception as exc:  # a failed login is a Locust failure, not a crash
            error = exc
        finally:
            _identities().append(identity)
        self.environment.events.request.fire(
            request_type="login",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            response=None,
            context={},
            exception=error,
        )

    def sign_in(self, identity: Identity) -> dict[str, Any]:
        srp = AWSSRP(
            identity.username, identity.password, self.pool_id, self.client_id, client=self.idp
        )
        try:
            tokens: dict[str, Any] = srp.authenticate_user()
        except SoftwareTokenMFAChallengeException as challenge:
            tokens = self._answer_totp(identity, challenge.get_tokens())
        return tokens

    def _answer_totp(self, identity: Identity, challenge: dict[str, Any]) -> dict[str, Any]:
        assert identity.totp_secret is not None
        step = int(time.time()) // 30
        identity.use_totp_step(step)
        tokens: dict[str, Any] = self.idp.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": identity.username,
                "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(identity.totp_secret).at(step * 30),
            },
        )
        return tokens

    def _lease(self, totp: bool) -> Identity:
        """The first free identity; with TOTP, one that has not sent this step's code."""
        pool, step = _identities(), int(time.time()) // 30
        for _ in range(len(pool)):
            identity = pool.popleft()
            if not totp or (identity.last_totp_step or 0) < step:
                return identity
            pool.append(identity)
        raise RuntimeError("no free identity (all leased, or spent this TOTP step)")


class NaiveSrpUser(_NaiveUser):
    """USER_SRP_AUTH through pycognito + boto3."""

    @task
    def srp(self) -> None:
        self.timed_login("login:naive_srp", totp=False)


class NaiveSrpTotpUser(_NaiveUser):
    """USER_SRP_AUTH + SOFTWARE_TOKEN_MFA through pycognito + boto3."""

    @task
    def srp_totp(self) -> None:
        self.timed_login("login:naive_srp_totp", totp=True)
