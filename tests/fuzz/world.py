"""The pool the fuzzer attacks: users in every state, and genuine artefacts to tamper with.

Built once per module through boto3 against a real pool server (``--freeze-clock``, so TOTP
codes and expiries are exact). Artefacts that must be expired are made first and the clock is
moved past them; everything made afterwards stays valid for the whole run.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyotp

import srp_fast
from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import (
    Remembered,
    confirm_device,
    device_responses,
    enroll_totp,
    srp_login,
    srp_responses,
    start_srp,
    tokens,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """A PASSWORD_VERIFIER (or DEVICE_PASSWORD_VERIFIER) challenge and its correct answer."""

    user: str
    client_id: str
    responses: dict[str, str]
    params: dict[str, str]


@dataclass(slots=True, kw_only=True)
class World:
    server: PoolServer
    app: App  # pool with MFA optional and device tracking; 15-minute sessions
    secret_app: App  # same pool, client with a secret
    hidden_app: App  # same pool, PreventUserExistenceErrors=ENABLED
    other_app: App  # another pool
    users: tuple[str, ...] = ("alice", "bob", "dave", "carol", "victim")
    exchanges: dict[str, list[Exchange]] = field(default_factory=dict)
    device_exchanges: list[Exchange] = field(default_factory=list)
    devices: dict[str, Remembered] = field(default_factory=dict)
    totp: dict[str, pyotp.TOTP] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)
    id_token: str = ""
    refresh: str = ""
    other_refresh: str = ""
    expired_access: str = ""
    revoked_access: str = ""
    expired_block: str = ""
    expired_session: str = ""
    simulated_block: str = ""
    mfa_sessions: list[str] = field(default_factory=list)  # carol, SOFTWARE_TOKEN_MFA
    device_sessions: list[str] = field(default_factory=list)  # bob, DEVICE_SRP_AUTH
    new_password_sessions: list[str] = field(default_factory=list)  # temp, NEW_PASSWORD_REQUIRED
    used_session: str = ""
    setup_session: str = ""  # mallory, MFA_SETUP (pool with MFA on)
    setup_app: App | None = None

    @property
    def proofs(self) -> tuple[str, ...]:
        """Strings whose presence in a request is proof enough for tokens."""
        return (PASSWORD, self.refresh, self.other_refresh, *self.new_password_sessions)

    def valid_codes(self, user: str) -> set[str]:
        """TOTP codes the (frozen) pool would accept now: excluded from 'wrong code' cases."""
        now = self.server.now()
        totp = self.totp[user]
        return {totp.at(now + offset) for offset in (-30, 0, 30)}


def _exchange(server: PoolServer, app: App, user: str) -> Exchange:
    idp = server.client()
    first, eph = start_srp(idp, app, user)
    params = dict(first["ChallengeParameters"])
    responses = srp_responses(app, params, PASSWORD, eph=eph)
    if app.client_secret:
        responses["SECRET_HASH"] = srp_fast.secret_hash(
            responses["USERNAME"], app.client_id, app.client_secret
        )
    return Exchange(user=user, client_id=app.client_id, responses=responses, params=params)


def _device_exchange(server: PoolServer, app: App, user: str, device: Remembered) -> Exchange:
    idp = server.client()
    step = srp_login(idp, app, user, DEVICE_KEY=device.key)
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH", step
    eph = srp_fast.new_ephemeral()
    challenge = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": user, "DEVICE_KEY": device.key, "SRP_A": eph.public_hex},
    )
    params = dict(challenge["ChallengeParameters"])
    responses = device_responses(params, device, eph)
    return Exchange(user=user, client_id=app.client_id, responses=responses, params=params)


def build_world(server: PoolServer, *, exchanges_per_user: int = 12) -> World:
    idp = server.client()
    app = server.provision(mfa="OPTIONAL", device_tracking=True, session_minutes=15)
    secret = _client(server, app, secret=True)
    hidden = _client(server, app, hide=True)
    short = _client(server, app, minutes=3)
    other = server.provision(pool_name="other-pool", session_minutes=15)
    world = World(server=server, app=app, secret_app=secret, hidden_app=hidden, other_app=other)
    for name in (*world.users, "gone", "off"):
        server.add_user(app, name)
    server.add_user(other, "alice")
    server.add_user(app, "temp", permanent=False)
    idp.admin_disable_user(UserPoolId=app.pool_id, Username="off")

    # expired artefacts first, then the clock moves past them
    world.expired_access = tokens(idp, app, "victim")["AccessToken"]
    server.advance_clock(3700)
    world.expired_block = _exchange(server, short, "alice").params["SECRET_BLOCK"]
    server.advance_clock(200)

    for name in ("bob", "dave"):
        first = tokens(idp, app, name)
        world.devices[name] = confirm_device(idp, first["AccessToken"], first["NewDeviceMetadata"])
        world.totp[name] = enroll_totp(server, idp, first["AccessToken"])
    carol = tokens(idp, app, "carol")
    world.totp["carol"] = enroll_totp(server, idp, carol["AccessToken"])
    gone = tokens(idp, app, "gone")["AccessToken"]
    idp.global_sign_out(AccessToken=gone)
    world.revoked_access = gone
    server.advance_clock(1)

    for name in ("alice", "victim"):
        result = tokens(idp, app, name)
        world.access[name] = result["AccessToken"]
    world.id_token, world.refresh = result["IdToken"], result["RefreshToken"]
    world.other_refresh = tokens(idp, other, "alice")["RefreshToken"]
    for name in ("alice", "bob", "victim"):
        world.exchanges[name] = [_exchange(server, app, name) for _ in range(exchanges_per_user)]
    world.exchanges["alice@secret"] = [_exchange(server, secret, "alice") for _ in range(4)]
    world.exchanges["alice@other"] = [_exchange(server, other, "alice") for _ in range(4)]
    world.simulated_block = _exchange(server, hidden, "nobody-here").params["SECRET_BLOCK"]
    world.device_exchanges = [
        _device_exchange(server, app, name, world.devices[name])
        for name in ("bob", "dave")
        for _ in range(4)
    ]
    world.mfa_sessions = [srp_login(idp, app, "carol")["Session"] for _ in range(6)]
    world.device_sessions = [
        srp_login(idp, app, "bob", DEVICE_KEY=world.devices["bob"].key)["Session"] for _ in range(6)
    ]
    world.new_password_sessions = [srp_login(idp, app, "temp")["Session"] for _ in range(3)]
    world.used_session = world.mfa_sessions.pop()
    server.advance_clock(30)
    idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=world.used_session,
        ChallengeResponses={
            "USERNAME": "carol",
            "SOFTWARE_TOKEN_MFA_CODE": world.totp["carol"].at(server.now()),
        },
    )
    world.expired_session = _expired_session(server, short)
    world.setup_app, world.setup_session = _setup_session(server)
    return world


def _expired_session(server: PoolServer, short: App) -> str:
    """A Session of a 3-minute client, made and then outlived (the frozen clock moves 200 s)."""
    idp = server.client()
    server.add_user(short, "lapsed")
    access = tokens(idp, short, "lapsed")["AccessToken"]
    enroll_totp(server, idp, access)
    session = str(srp_login(idp, short, "lapsed")["Session"])
    server.advance_clock(200)
    return session


def _setup_session(server: PoolServer) -> tuple[App, str]:
    app = server.provision(mfa="ON", session_minutes=15, pool_name="mfa-on")
    server.add_user(app, "mallory")
    answer = srp_login(server.client(), app, "mallory")
    assert answer["ChallengeName"] == "MFA_SETUP", answer
    return app, str(answer["Session"])


def _client(
    server: PoolServer, app: App, *, secret: bool = False, hide: bool = False, minutes: int = 15
) -> App:
    return server.add_client(
        app.pool_id,
        name="fuzz-client",
        secret=secret,
        prevent_user_existence=hide,
        session_minutes=minutes,
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def timestamp_now() -> str:
    return srp_fast.format_timestamp(datetime.now(UTC))
