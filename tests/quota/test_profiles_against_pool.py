"""Every catalogue entry's quota profile is what its flow really sends to the local pool.

The test walks :data:`loadtest.flows.CATALOGUE`: for each entry it sets up a pool with the
settings the entry names, and an identity for every combination of credentials the entry
accepts (its needs, plus any optional credential the pool can hold), builds the entry's flow
with its own factory and options, runs it over real HTTP against the local pool (the session
server, quotas off, test clock on) through a transport that counts the requests it puts on
the wire by (X-Amz-Target operation, ChallengeName of the body), and compares the count with
:data:`loadtest.quota.PROFILES`. So the identity rule (an entry's profile is true of every
identity it accepts) is checked on the wire too. Setup calls (provisioning, TOTP enrollment,
device registration, the login a continuing entry continues) go through an uncounted driver.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from itertools import combinations, count
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3

import srp_fast
from loadtest.drivers import RawResponse, SigV4Signer, SyncDriver, Urllib3Transport
from loadtest.flows import (
    CATALOGUE,
    AppClient,
    Entry,
    FlowContext,
    Identity,
    LocalSinkCodes,
    LoginOptions,
    Need,
    PoolSetting,
    enroll_totp,
    register_passkey,
    srp_login,
)
from loadtest.flows.effects import Fetch, Page
from loadtest.flows.hosted import run_http
from loadtest.protocol.names import TARGET_PREFIX, Operation
from loadtest.provision.oauth import provision_oauth
from loadtest.quota import PROFILES, CallKey
from loadtest.target.launch import ALL_FLOWS
from scenarios.triggers import captcha
from tests.conftest import PASSWORD, App, PoolServer

pytestmark = pytest.mark.e2e

NO_DEVICE = LoginOptions(use_device=False)
REMEMBER_DEVICE = LoginOptions(use_device=True, remember_device=True)
#: A step later than any TOTP code already sent (the pool's clock moves, no sleeping).
NEXT_STEP_SECONDS = 31


class CountingTransport:
    """A real transport that counts what it sends by (operation, ChallengeName)."""

    def __init__(self, url: str) -> None:
        self.inner = Urllib3Transport(url)
        self.url = url
        self.sent: Counter[CallKey] = Counter()

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        operation = Operation(headers["X-Amz-Target"].removeprefix(TARGET_PREFIX + "."))
        self.sent[(operation, json.loads(body).get("ChallengeName"))] += 1
        return self.inner.post(headers, body)

    def close(self) -> None:
        self.inner.close()


class Bench:
    """One provisioned pool, a counted and an uncounted driver, a context on the pool's clock."""

    def __init__(self, pool: PoolServer, app: App) -> None:
        self.pool, self.app = pool, app
        signer = SigV4Signer("us-east-1", access_key="local", secret_key="local")
        self.counter = CountingTransport(pool.url)
        self.counted = SyncDriver(self.counter, signer=signer)
        self.setup = SyncDriver(Urllib3Transport(pool.url), signer=signer)
        client = AppClient(
            pool_id=app.pool_id, client_id=app.client_id, client_secret=app.client_secret
        )
        self.ctx = FlowContext(
            client=client,
            clock=lambda: datetime.fromtimestamp(pool.now(), UTC),
            ephemerals=srp_fast.new_ephemeral,
            codes=LocalSinkCodes(base_url=pool.url),
            custom_answers=captcha.solve,
        )

    def user(
        self,
        name: str,
        held: frozenset[Need] = frozenset(),
        *,
        permanent: bool = True,
        sms_mfa: bool = False,
        email_mfa: bool = False,
    ) -> Identity:
        """A user in the pool holding ``held``: TOTP enrolled, a device remembered, an e-mail
        address (verified: codes go there) and a phone number (reserved ranges), a passkey
        registered (and the step of each TOTP code sent passed); SMS MFA on for the pool and
        the user if ``sms_mfa``."""
        identity = Identity(username=name, password=PASSWORD)
        if Need.EMAIL in held:
            identity.email = f"{name}@example.com"
        if Need.PHONE in held:
            identity.phone = "+12025550100"
        attributes = {"email": identity.email, "phone_number": identity.phone}
        given = {k: v for k, v in attributes.items() if v is not None}
        if identity.email is not None:
            given["email_verified"] = "true"
        self.pool.add_user(self.app, name, permanent=permanent, attributes=given)
        if Need.PASSKEY in held:
            first = self.setup.run(srp_login(identity, self.ctx, NO_DEVICE))
            self.setup.run(register_passkey(identity, self.ctx, first.tokens.access_token))
        totp, device = Need.TOTP in held, Need.DEVICE in held
        if totp:
            first = self.setup.run(srp_login(identity, self.ctx, NO_DEVICE))
            self.setup.run(enroll_totp(identity, self.ctx, first.tokens.access_token))
            self.next_step()
        if device:
            self.setup.run(srp_login(identity, self.ctx, REMEMBER_DEVICE))
            assert identity.device is not None
            self.next_step()
        if sms_mfa:
            self.enable_sms(name, preferred=not totp)
            identity.sms_mfa = True
        if email_mfa:
            self.enable_email(name)
            identity.email_mfa = True
        return identity

    def enable_email(self, name: str) -> None:
        """E-mail MFA on for the pool (it was made with SES e-mail) and the user, preferred."""
        idp = self.pool.client()
        idp.set_user_pool_mfa_config(
            UserPoolId=self.app.pool_id,
            EmailMfaConfiguration={"Message": "Your code is {####}"},
            MfaConfiguration="OPTIONAL",
        )
        idp.admin_set_user_mfa_preference(
            UserPoolId=self.app.pool_id,
            Username=name,
            EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
        )

    def enable_sms(self, name: str, *, preferred: bool) -> None:
        """SMS MFA on for the pool and the user; with TOTP too and no preference for either,
        sign-in asks SELECT_MFA_TYPE."""
        idp = self.pool.client()
        idp.set_user_pool_mfa_config(
            UserPoolId=self.app.pool_id, SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"}
        )
        settings: dict[str, Any] = {"SMSMfaSettings": {"Enabled": True, "PreferredMfa": preferred}}
        if not preferred:
            settings["SoftwareTokenMfaSettings"] = {"Enabled": True, "PreferredMfa": False}
        idp.admin_set_user_mfa_preference(UserPoolId=self.app.pool_id, Username=name, **settings)

    def next_step(self) -> None:
        self.pool.advance_clock(NEXT_STEP_SECONDS)

    def sends(self, flow: Any) -> dict[CallKey, float]:
        """Run ``flow`` through the counting driver; what it sent."""
        self.counter.sent.clear()
        self.counted.run(flow)
        return {key: float(n) for key, n in self.counter.sent.items()}

    def fetches(self, entry: Entry, identity: Identity | None) -> dict[CallKey, float]:
        """Run an HTTP entry against a domain of this pool (provisioned now) with a counting
        sender; what it sent by (endpoint, detail)."""
        setup = provision_oauth(self.pool.client(), self.app.pool_id, domain=_domain_name())
        secret = setup.m2m_client_secret if identity is None else None
        client_id = setup.m2m_client_id if identity is None else setup.code_client_id
        ctx = replace(
            self.ctx,
            client=AppClient(pool_id=self.app.pool_id, client_id=client_id, client_secret=secret),
        )
        sent: Counter[CallKey] = Counter()
        base, web = f"{self.pool.url}/domain/{setup.domain}", urllib3.PoolManager()

        def send(fetch: Fetch) -> Page:
            sent[(fetch.endpoint, fetch.detail)] += 1
            url = f"{base}/{fetch.endpoint}?{urlencode(fetch.query)}"
            form_type = {"Content-Type": "application/x-www-form-urlencoded"}
            answer = web.request(
                fetch.method,
                url,
                headers={**fetch.headers, **(form_type if fetch.form is not None else {})},
                body=None if fetch.form is None else urlencode(fetch.form),
                redirect=False,
            )
            cookie = SimpleCookie(answer.headers.get("Set-Cookie", ""))
            return Page(
                status=answer.status,
                location=answer.headers.get("Location"),
                cookies={k: m.value for k, m in cookie.items()},
                body=answer.data.decode(),
            )

        run_http(entry.flow(identity, ctx), send)
        return {key: float(n) for key, n in sent.items()}


_DOMAINS = count(1)


def _domain_name() -> str:
    return f"lt-profile-{next(_DOMAINS)}"


MakeBench = Callable[..., Bench]


@pytest.fixture
def bench(local_pool: PoolServer) -> MakeBench:
    """A bench on a new pool of the session server, provisioned with the given settings."""

    def make(
        *,
        user_auth: bool = False,
        rotation: bool = False,
        auto_verify_email: bool = False,
        email_mfa: bool = False,
        **settings: Any,
    ) -> Bench:
        if user_auth or rotation:
            return Bench(local_pool, _choice_based(local_pool, user_auth, rotation, **settings))
        app = local_pool.provision(secret=True, ses=email_mfa, **settings)
        if auto_verify_email:  # UpdateUserPool: what is not given returns to its default
            local_pool.client().update_user_pool(
                UserPoolId=app.pool_id,
                MfaConfiguration=settings["mfa"],
                AutoVerifiedAttributes=["email"],
            )
        return Bench(local_pool, app)

    return make


FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]


def _choice_based(
    pool: PoolServer,
    user_auth: bool,
    rotation: bool,
    *,
    mfa: str,
    device_tracking: bool,
    remember_on_prompt: bool,
) -> App:
    """A pool set up for USER_AUTH (every first factor, a relying party for passkeys) if
    asked, and a client with ALLOW_USER_AUTH and, if asked, refresh-token rotation."""
    idp = pool.client()
    policies = {"SignInPolicy": {"AllowedFirstAuthFactors": FACTORS if user_auth else ["PASSWORD"]}}
    devices = {
        "DeviceConfiguration": {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": remember_on_prompt,
        }
    }
    kwargs = {"PoolName": "choice", "Policies": policies, **(devices if device_tracking else {})}
    pool_id = idp.create_user_pool(**kwargs)["UserPool"]["Id"]
    webauthn = {"WebAuthnConfiguration": {"RelyingPartyId": "localhost"}} if user_auth else {}
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration=mfa,
        **webauthn,
    )
    extra: dict[str, Any] = {}
    if rotation:
        extra["RefreshTokenRotation"] = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="choice", GenerateSecret=True,
        ExplicitAuthFlows=[*ALL_FLOWS, "ALLOW_USER_AUTH"], AuthSessionValidity=3, **extra,
    )["UserPoolClient"]  # fmt: skip
    return App(pool_id=pool_id, client_id=client["ClientId"], client_secret=client["ClientSecret"])


def pool_settings(entry: Entry, held: frozenset[Need]) -> dict[str, Any]:
    """The test pool's settings for what an entry's profile depends on; device tracking too
    for an identity with a device (as on the pool ``capacity`` starts)."""
    return {
        "mfa": "ON" if PoolSetting.MFA_ON in entry.pool else "OPTIONAL",
        "device_tracking": PoolSetting.DEVICE_TRACKING in entry.pool or Need.DEVICE in held,
        "remember_on_prompt": PoolSetting.REMEMBER_ON_PROMPT in entry.pool,
        "user_auth": PoolSetting.USER_AUTH in entry.pool,
        "rotation": PoolSetting.REFRESH_ROTATION in entry.pool,
        "auto_verify_email": PoolSetting.AUTO_VERIFY_EMAIL in entry.pool,
        "email_mfa": PoolSetting.EMAIL_MFA in entry.pool,
    }


#: Pool settings under which a user cannot sign in once to register a device without running
#: the entry's own flow first (MFA_SETUP, NEW_PASSWORD_REQUIRED).
NO_DEVICE_SETUP = frozenset({PoolSetting.MFA_ON, PoolSetting.TEMPORARY_PASSWORD})


def holdings(entry: Entry) -> Iterator[frozenset[Need]]:
    """Every set of credentials (beyond the password) an identity the entry accepts may hold:
    its needs plus each combination of the optional ones."""
    optional = {Need.TOTP, Need.DEVICE} - entry.needs - entry.refuses
    if entry.pool & NO_DEVICE_SETUP:
        optional.discard(Need.DEVICE)
    for size in range(len(optional) + 1):
        for extra in combinations(sorted(optional), size):
            yield (entry.needs | set(extra)) - {Need.PASSWORD}


CASES = [
    pytest.param(entry, held, id=f"{entry.name}-{'+'.join(sorted(held)) or 'plain'}")
    for entry in CATALOGUE.values()
    for held in (holdings(entry) if entry.leases else [frozenset()])
]


def test_every_entry_is_checked_here() -> None:
    assert {case.values[0].name for case in CASES} == set(CATALOGUE)  # type: ignore[union-attr]


@pytest.mark.parametrize(("entry", "held"), CASES)
def test_profile_is_what_the_flow_sends(
    bench: MakeBench, entry: Entry, held: frozenset[Need]
) -> None:
    b = bench(**pool_settings(entry, held))
    temporary = PoolSetting.TEMPORARY_PASSWORD in entry.pool
    name = f"{entry.name}-{len(held)}"
    identity = b.user(
        name,
        held,
        permanent=not temporary,
        sms_mfa=PoolSetting.SMS_MFA in entry.pool,
        email_mfa=PoolSetting.EMAIL_MFA in entry.pool,
    )
    session = None
    if entry.continues is not None:
        session = b.setup.run(CATALOGUE[entry.continues].flow(identity, b.ctx))
    else:
        assert entry.accepts(identity), (entry.name, held)
    if entry.http:
        assert b.fetches(entry, identity if entry.leases else None) == dict(
            PROFILES[entry.name].calls
        )
        return
    flow = entry.flow(identity if entry.leases else None, b.ctx, session)
    assert b.sends(flow) == dict(PROFILES[entry.name].calls)
