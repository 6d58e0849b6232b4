"""Session strings and SECRET_BLOCKs are shaped like Cognito's (cognito-facts §1.8, §8).

A Session starts ``AYAB`` (never ``-``, which the AWS CLI reads as an option: issue 16), uses the
URL-safe alphabet and is as long as observed ones; a SECRET_BLOCK is standard padded base64
starting ``AgV4``. Both stay sealed: changed, foreign or old-format strings do not open.
"""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from loadtest.pool.sessions import (
    MAX_SESSION_CHARS,
    SESSION_CHARS,
    ChallengeSession,
    Sealer,
    SealError,
    SecretBlock,
)
from tests.conftest import PASSWORD, PoolServer

_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
_STANDARD_PADDED = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_UNIT_SESSIONS = 5000
_HTTP_ROUNDS = 1000  # per operation: 2,000 Sessions over HTTP


def _assert_cognito_shaped(sessions: list[str]) -> None:
    """Every Session starts AYAB, is URL-safe base64 and has an observed length."""
    assert [s for s in sessions if not s.startswith("AYAB")] == []
    assert [s for s in sessions if s.startswith("-")] == []
    assert [s for s in sessions if not _URLSAFE.fullmatch(s)] == []
    assert sorted({len(s) for s in sessions if len(s) not in SESSION_CHARS}) == []


def _session(username: str, **extra: str) -> ChallengeSession:
    return ChallengeSession(
        id=uuid.uuid4().hex,
        stage="SOFTWARE_TOKEN_MFA",
        pool_id="us-east-1_AbCdEfGhI",
        client_id="1example23456789abcdefghij",
        username=username,
        sub=str(uuid.uuid4()),
        issued=1_780_000_000.25,
        device_key=f"us-east-1_{uuid.uuid4()}",
        extra=dict(extra),
    )


@pytest.fixture(scope="module")
def sealer() -> Sealer:
    return Sealer(Sealer.new_key())


def test_thousands_of_sealed_sessions_are_shaped_and_open_again(sealer: Sealer) -> None:
    records = [_session(f"user-{i}" * (1 + i % 9)) for i in range(_UNIT_SESSIONS)]
    sessions = [record.seal(sealer) for record in records]
    _assert_cognito_shaped(sessions)
    assert len(set(sessions)) == len(sessions)
    assert len({len(s) for s in sessions}) > 20  # lengths spread over the observed range
    assert [ChallengeSession.open(sealer, s) for s in sessions] == records


def test_the_largest_payload_still_fits_a_session(sealer: Sealer) -> None:
    """A 128-character username of escaped non-ASCII letters: longer, but within SessionType."""
    record = _session("é" * 128, note="x" * 64)
    text = record.seal(sealer)
    assert text.startswith("AYAB")
    assert len(text) <= MAX_SESSION_CHARS
    assert ChallengeSession.open(sealer, text) == record


def test_changed_foreign_and_old_format_sessions_do_not_open(sealer: Sealer) -> None:
    text = _session("alice").seal(sealer)
    # (not the last character: its low bits may be unused, so changing it may change nothing)
    for at in (0, 3, 5, 40, len(text) // 2, len(text) - 8):
        changed = text[:at] + ("B" if text[at] != "B" else "C") + text[at + 1 :]
        with pytest.raises(SealError):
            ChallengeSession.open(sealer, changed)
    with pytest.raises(SealError):
        ChallengeSession.open(Sealer(Sealer.new_key()), text)  # another pool's key
    old = sealer.seal_urlsafe({"id": "x"}, b"session/v1")  # the format before the AYAB header
    with pytest.raises(SealError):
        ChallengeSession.open(sealer, old)
    block = _block().seal(sealer)  # a SECRET_BLOCK is no Session, even re-encoded URL-safe
    with pytest.raises(SealError):
        ChallengeSession.open(sealer, base64.urlsafe_b64encode(base64.b64decode(block)).decode())


def _block() -> SecretBlock:
    return SecretBlock(
        kind="user",
        pool_id="us-east-1_AbCdEfGhI",
        client_id="1example23456789abcdefghij",
        username="alice",
        sub=str(uuid.uuid4()),
        issued=1_780_000_000.0,
        secret_b="2c4e" * 64,
        public_b="9888" * 192,
        public_a="1f3b" * 192,
    )


def test_secret_blocks_are_padded_standard_base64_starting_agv4(sealer: Sealer) -> None:
    records = [_block() for _ in range(1000)]
    blocks = [record.seal(sealer) for record in records]
    assert [b for b in blocks if not b.startswith("AgV4")] == []
    assert [b for b in blocks if not _STANDARD_PADDED.fullmatch(b)] == []
    assert [SecretBlock.open(sealer, base64.b64decode(b)) for b in blocks] == records
    session = _session("alice").seal(sealer)  # and a Session is no SECRET_BLOCK
    with pytest.raises(SealError):
        SecretBlock.open(sealer, base64.urlsafe_b64decode(session + "=" * (-len(session) % 4)))


@pytest.mark.e2e
def test_thousands_of_sessions_over_http_start_ayab(local_pool: PoolServer) -> None:
    """AdminInitiateAuth and InitiateAuth of a user with a temporary password, 1,000 each."""
    app = local_pool.provision()
    local_pool.add_user(app, "shaped", permanent=False)
    idp = local_pool.client()
    auth = {"USERNAME": "shaped", "PASSWORD": PASSWORD}
    sessions: list[str] = []
    for _ in range(_HTTP_ROUNDS):
        admin = idp.admin_initiate_auth(
            UserPoolId=app.pool_id,
            ClientId=app.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters=auth,
        )
        public = idp.initiate_auth(
            ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth
        )
        assert admin["ChallengeName"] == public["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        sessions += [admin["Session"], public["Session"]]
    _assert_cognito_shaped(sessions)
    assert len(set(sessions)) == len(sessions)
    # still a working, single-use Session
    answer = {"USERNAME": "shaped", "NEW_PASSWORD": "N3w-Passw0rd!"}
    done = idp.respond_to_auth_challenge(
        ClientId=app.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=sessions[-1],
        ChallengeResponses=answer,
    )
    assert "AccessToken" in done["AuthenticationResult"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="only be used once"):
        idp.respond_to_auth_challenge(
            ClientId=app.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=sessions[-1],
            ChallengeResponses=answer,
        )
