"""The capacity run's default target: the embedded local pool, set up and provisioned for the mix.

Provisioning is itself throttled by the quotas under test, so the pool first runs with
``--no-quotas`` while the provisioning job makes the users, one identity group at a time
(:func:`loadtest.capacity.kinds.groups_of`: TOTP, a remembered device, a passkey, an e-mail
address, a phone number, SMS MFA, as each group holds), then restarts on the same state file
with the quotas under test. The pool's settings are the union the mix needs
(:func:`~loadtest.capacity.kinds.embedded_settings`); a mix with HTTP entries gets a domain, a
resource server and the two OAuth clients (:func:`loadtest.provision.oauth.provision_oauth`);
one with ``custom_auth`` runs the example trigger (``scenarios/triggers/captcha.py``) in both
pools. The identities file and the pool's state hold secrets: they go in a private folder
(mode 0700, files 0600).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loadtest.flows import dump_identities, load_identities
from loadtest.flows.catalogue import Need, PoolSetting
from loadtest.protocol.quotas import DOMAIN_LIMITS, PER_USER_RPS, DomainLimits, QuotaCategory
from loadtest.target.launch import (
    CAPTCHA_TRIGGERS,
    LOCAL_CREDENTIALS_ENV,
    LocalApp,
    LocalPool,
    create_app,
    local_admin_client,
    local_pool,
)

from .kinds import Group, IdentityNeeds

if TYPE_CHECKING:
    from loadtest.provision.oauth import OAuthSetup
    from loadtest.provision.plan import Plan

__all__ = [
    "ANSWERER",
    "EmbeddedPool",
    "PoolShape",
    "embedded_pool",
    "plan_of",
    "pool_options",
    "provision_for",
]

#: The client side of the example trigger: answers its sums.
ANSWERER = "loadtest.scenarios.triggers.captcha:solve"


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolShape:
    """What the embedded pool is made with: its settings, and whether it serves a domain."""

    settings: frozenset[PoolSetting]
    domain: bool = False

    @property
    def triggers(self) -> tuple[str, ...]:
        """``pool serve --trigger`` options: the example custom-auth challenge, if needed."""
        if PoolSetting.CUSTOM_TRIGGERS not in self.settings:
            return ()
        return tuple(part for spec in CAPTCHA_TRIGGERS for part in ("--trigger", spec))


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedPool:
    """A running local pool with the quotas under test, its app, identities and domain."""

    pool: LocalPool
    app: LocalApp
    identities: Path
    shape: PoolShape
    oauth: OAuthSetup | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """The Locust child's settings: the target, the domain and its clients (the client
        secret in the environment, never on a command line), the trigger's answerer."""
        env = {
            **LOCAL_CREDENTIALS_ENV,
            "COGNITO_POOL_ID": self.app.pool_id,
            "COGNITO_CLIENT_ID": self.app.client_id,
            "COGNITO_ENDPOINT_URL": self.pool.url,
            "COGNITO_IDENTITIES": str(self.identities),
        }
        if self.oauth is not None:
            env |= {
                "COGNITO_DOMAIN_URL": f"{self.pool.url.rstrip('/')}/domain/{self.oauth.domain}",
                "COGNITO_OAUTH_CLIENT_ID": self.oauth.code_client_id,
                "COGNITO_M2M_CLIENT_ID": self.oauth.m2m_client_id,
                "COGNITO_M2M_CLIENT_SECRET": self.oauth.m2m_client_secret,
            }
        if self.shape.triggers:
            env["COGNITO_CUSTOM_ANSWERS"] = ANSWERER
        return env


def pool_options(
    quotas: Mapping[QuotaCategory, float],
    *,
    burst_seconds: float,
    workers: int,
    faults: Sequence[str] = (),
    domain: DomainLimits = DOMAIN_LIMITS,
) -> list[str]:
    """``pool serve`` options for the quotas and domain limits under test (the limits only
    when they are not Cognito's).

    A burst shorter than a second would also shrink each user's bucket (10 requests/s, so 2
    tokens at 0.2 s) below the 3 or 4 calls one login sends back to back; the per-user rate is
    raised so that the per-user bucket still holds 10 tokens, as with the default 1 s burst.
    """
    options = ["--workers", str(workers), "--burst-seconds", f"{burst_seconds:g}"]
    if burst_seconds < 1.0:
        options += ["--per-user-rps", f"{PER_USER_RPS / burst_seconds:g}"]
    for category, rps in sorted(quotas.items()):
        options += ["--quota", f"{category.value}={rps:g}"]
    if domain != DOMAIN_LIMITS:
        options += ["--domain-ip-rps", f"{domain.per_ip:g}"]
        options += ["--domain-client-rps", f"{domain.per_client:g}"]
        options += ["--domain-rps", f"{domain.per_domain:g}"]
    for fault in faults:
        options += ["--fault", fault]
    return options


def plan_of(group: Group, shape: PoolShape) -> Plan:
    """The provisioning plan that makes one identity of ``group``."""
    from loadtest.provision.plan import Plan

    return Plan(
        totp=group.has(Need.TOTP),
        device=group.has(Need.DEVICE),
        confirm_on_prompt=PoolSetting.REMEMBER_ON_PROMPT in shape.settings,
        passkey=group.has(Need.PASSKEY),
        email=group.has(Need.EMAIL),
        phone=group.has(Need.PHONE),
        sms=group.has(PoolSetting.SMS_MFA),
        email_mfa=group.has(PoolSetting.EMAIL_MFA),
    )


def _app_for(url: str, shape: PoolShape, run: str) -> LocalApp:
    """The user pool and app client, set as the shape says."""
    settings = shape.settings
    return create_app(
        url,
        name=f"capacity-{run}",
        remember_on_prompt=PoolSetting.REMEMBER_ON_PROMPT in settings,
        user_auth=PoolSetting.USER_AUTH in settings,
        sms_mfa=PoolSetting.SMS_MFA in settings,
        email_mfa=PoolSetting.EMAIL_MFA in settings,
    )


def provision_for(
    url: str, needs: IdentityNeeds, private: Path, run: str, shape: PoolShape
) -> tuple[LocalApp, Path]:
    """A user pool set up as ``shape`` says, with the users ``needs`` asks for, made by the
    provisioning job against a pool without quotas, each tagged with its group; returns the
    app and the merged identities file."""
    from loadtest.provision import ProvisionSettings, provision
    from loadtest.provision.ratelimit import RateLimits
    from loadtest.target.config import TargetConfig

    app = _app_for(url, shape, run)
    target = TargetConfig.from_settings(app.settings())
    merged = []
    for index, (group, count) in enumerate(needs, start=1):
        path = private / f"identities-{group.name}.jsonl"
        settings = ProvisionSettings(
            target=target,
            users=count,
            identities=path,
            run=f"{run[:34]}-{index}",
            plan=plan_of(group, shape),
            limits=RateLimits.unlimited(),
        )
        report = asyncio.run(provision(settings))
        if not report.complete:
            raise RuntimeError(
                f"provisioning {group.name} users did not complete: {report.failed} failed"
            )
        for identity in load_identities(path):
            identity.group = group.name
            merged.append(identity)
    path = private / "identities.jsonl"
    dump_identities(merged, path)
    os.chmod(path, 0o600)
    return app, path


def _oauth_for(app: LocalApp) -> OAuthSetup:
    """A domain, a resource server and both OAuth clients on the app's pool."""
    from loadtest.provision.oauth import provision_oauth

    prefix = f"lt-{secrets.token_hex(4)}"
    return provision_oauth(
        local_admin_client(app.url), app.pool_id, domain=prefix, resource_server=prefix
    )


@contextlib.contextmanager
def embedded_pool(
    private: Path,
    needs: IdentityNeeds,
    options: Sequence[str],
    *,
    run: str,
    shape: PoolShape,
) -> Iterator[EmbeddedPool]:
    """Provision on a quota-free pool, then serve the same state with ``options``."""
    if private.exists() and any(private.iterdir()):
        raise FileExistsError(f"{private} is not empty: a run id is used once (pass another)")
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = private / "pool.sqlite"
    with local_pool(state, ["--no-quotas", "--workers", "2", *shape.triggers]) as pool:
        app, identities = provision_for(pool.url, needs, private, run, shape)
        oauth = _oauth_for(app) if shape.domain else None
    with local_pool(state, [*options, *shape.triggers]) as pool:
        app = LocalApp(url=pool.url, pool_id=app.pool_id, client_id=app.client_id)
        yield EmbeddedPool(pool=pool, app=app, identities=identities, shape=shape, oauth=oauth)
