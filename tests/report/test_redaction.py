"""The redaction processor: by key name, by registered secret, by value shape, at any depth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog
from hypothesis import example, given
from hypothesis import strategies as st

from loadtest.report import REDACTED, EventLog, Redactor, is_secret_key

JWT = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLWJ5dGVz"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_BLOCK = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVm"

secret_keys = st.sampled_from(
    [
        "password",
        "PASSWORD",
        "device_password",
        "totp_secret",
        "SECRET_BLOCK",
        "SECRET_HASH",
        "Session",
        "AccessToken",
        "refresh_token",
        "PASSWORD_CLAIM_SIGNATURE",
        "SOFTWARE_TOKEN_MFA_CODE",
        "UserCode",
        "code",
    ]
)
#: Keys nobody marked as secret (nor as trusted, like "label"): only shapes can catch these.
plain_keys = st.sampled_from(["note", "detail", "value", "x", "context", "extra", "data"])
jwts = st.builds(
    lambda a, b, c: f"eyJ{a}.{b}.{c}",
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=8),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=8),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=8),
)
seeds = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=64).filter(
    lambda s: any(c.isdigit() for c in s) or len(s) >= 16
)
codes = st.integers(0, 999_999).map(lambda n: f"{n:06d}")
blobs = st.binary(min_size=18, max_size=96).map(
    lambda b: __import__("base64").b64encode(b + b"\x01a").decode()
)
#: Every fixed word the tests' events are made of (keys, values, the redaction mark): a
#: password that is a part of one would be "found" in any rendered event.
WORDS = json.dumps(
    [
        *("event", "login", "password_here", "nested", "ok", "throttled", "login:srp", REDACTED),
        *("password", "PASSWORD", "device_password", "totp_secret", "SECRET_BLOCK"),
        *("SECRET_HASH", "Session", "AccessToken", "refresh_token", "PASSWORD_CLAIM_SIGNATURE"),
        *("UserCode", "SOFTWARE_TOKEN_MFA_CODE", "code", "note", "detail", "value", "context"),
        *("extra", "data"),
    ]
)
passwords = st.text(min_size=8, max_size=30).filter(
    lambda s: s.strip() == s and len(s) >= 8 and s not in WORDS
)
shaped_secrets = st.one_of(jwts, seeds, codes, blobs)
plain_values = st.one_of(
    st.integers(), st.floats(allow_nan=False), st.sampled_from(["ok", "throttled", "login:srp"])
)


def nested(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nested dicts and lists whose keys are secret or not and whose leaves include ``leaf``."""
    keys = st.one_of(secret_keys, plain_keys)
    return st.recursive(
        st.one_of(leaf, plain_values),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=12,
    )


def leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaves(v)]
    return [value] if isinstance(value, str) else []


@given(secret=shaped_secrets, key=plain_keys, noise=st.sampled_from(["", "see ", "token: "]))
@example(secret=JWT, key="detail", noise="")
@example(secret=SEED, key="note", noise="seed ")
@example(secret=SECRET_BLOCK, key="data", noise="")
@example(secret="123456", key="note", noise="code ")
@example(secret="AAAAAAAAAAAAAAAAAAAAAAAAAAFh", key="note", noise="")  # no digit, mixed case
def test_secrets_under_unknown_keys_are_caught_by_their_shape(
    secret: str, key: str, noise: str
) -> None:
    out = json.dumps(Redactor().redact({"outer": [{key: noise + secret}]}))
    assert secret not in out


@given(event=nested(st.one_of(shaped_secrets, passwords)), password=passwords)
@example(event=["100000", 100000], password="00000000")  # a number is data, not a secret
# a text of eight zeros is data (no secret's shape, not the password), and stays whole: the
# code "000000" inside it is no code (found by CI's run of this test)
@example(event=["000000", ["00000000"]], password="000000000")
def test_no_secret_survives_in_a_nested_event(event: Any, password: str) -> None:
    """Every shaped secret anywhere, and a registered password anywhere, is gone (the same
    characters inside data, a number, a count, a timing or a text of no secret shape, are data
    and stay)."""
    event = {"event": "login", "password_here": [password], "nested": event, "p": password}
    redactor = Redactor([password])
    redacted = redactor.redact(event)
    rendered = json.dumps(redacted)
    assert password not in rendered
    data = {s for s in leaves(event) if s != password and not _shaped(s)}
    changed = [s for s in leaves(redacted) if s not in data]  # redacted, whole or in part
    for leaf in leaves(event):
        if leaf == password or _shaped(leaf):
            assert not any(leaf in s for s in changed), changed
            if not any(leaf in other for other in data | numbers(event)):
                assert leaf not in rendered


def numbers(value: Any) -> set[str]:
    """The numbers of an event, as JSON writes them."""
    if isinstance(value, dict):
        return {n for v in value.values() for n in numbers(v)}
    if isinstance(value, list):
        return {n for v in value for n in numbers(v)}
    return {json.dumps(value)} if isinstance(value, int | float) else set()


def _shaped(value: str) -> bool:
    return Redactor().redact({"x": value})["x"] == REDACTED


@given(key=secret_keys, value=st.one_of(plain_values, st.text(max_size=20)))
def test_secret_keys_are_redacted_whatever_the_value(key: str, value: Any) -> None:
    assert Redactor().redact({"a": {key: value}}) == {"a": {key: REDACTED}}


def test_report_fields_survive() -> None:
    event = {
        "flow": "login:srp_totp",
        "outcome": "throttled",
        "error_type": "TooManyRequestsException",
        "total_ms": 12.5,
        "steps": [
            {"label": "RespondToAuthChallenge:PASSWORD_VERIFIER", "ms": 3.25},
            {"label": "AdminRespondToAuthChallenge:SOFTWARE_TOKEN_MFA", "ms": 3.25},
            {"compute": "DEVICE_PASSWORD_VERIFIER", "ms": 1.0},
        ],
        "message": "Incorrect username or password.",
    }
    assert Redactor().redact(event) == event
    # the run's configuration names its locustfile: an installed scenario's path has a
    # digit-bearing run of 24+ path characters, the shape of a base64 blob
    configuration = {"locustfile": "/home/me/venv/lib/python3.11/site-packages/scenarios/srp.py"}
    assert Redactor().redact(configuration) == configuration
    assert not is_secret_key("error_type")
    assert is_secret_key("DEVICE_PASSWORD")


def test_the_event_log_writes_redacted_lines(tmp_path: Path) -> None:
    log = EventLog(tmp_path, Redactor(["hunter2-Pa55"]), fields={"process": "local"})
    try:
        log.emit("login", note="pw hunter2-Pa55", AccessToken=JWT, detail=JWT)
    finally:
        log.close()
    text = (tmp_path / "events.jsonl").read_text()
    assert "hunter2-Pa55" not in text
    assert JWT not in text
    event = json.loads(text)
    assert event["event"] == "login"
    assert event["process"] == "local"


def test_canonical_events_can_be_asserted_with_capture_logs(tmp_path: Path) -> None:
    from loadtest.report import RunReport

    report = RunReport(tmp_path, run={"run_id": "r"}, process="local")
    try:
        with structlog.testing.capture_logs() as logs:
            steps = [{"label": "InitiateAuth:USER_SRP_AUTH", "outcome": "ok", "ms": 2.0}]
            event = {"flow": "login:srp", "outcome": "ok", "total_ms": 5.0, "server_ms": 2.0}
            report.login(event | {"compute_ms": 0.0, "steps": steps})
    finally:
        report.close()
    assert logs[0]["event"] == "login"
    assert logs[0]["flow"] == "login:srp"
    assert logs[0]["server_ms"] == 2.0


def test_a_line_is_what_structlogs_json_renderer_writes(tmp_path: Path) -> None:
    """The reused encoder changes no byte: compact separators, ASCII escapes, repr fallback."""
    log = EventLog(tmp_path, Redactor(), fields={"process": "local"})
    values = {"flow": "login:srp", "note": "café ✓", "ratio": 0.5, "steps": [{"ms": 1.25}]}
    log.emit("login", **values, odd=Path("x"))
    log.close()
    line = (tmp_path / "events.jsonl").read_text("utf-8").splitlines()[0]
    written = json.loads(line)
    expected = structlog.processors.JSONRenderer(separators=(",", ":"))(None, "info", written)
    assert line == expected
    assert written["odd"] == repr(Path("x"))
    assert "\\u00e9" in line


def test_a_quota_category_is_not_a_token_but_what_it_holds_still_is() -> None:
    """``UserToken`` names the token operations' quota: its rate survives in the pool's
    settings; anything but a number under that name is still redacted whole, and a token in
    a plain field is still caught by its shape."""
    rates = {"quotas": {"rps": {"UserToken": 120.0, "UserAuthentication": 120, "UserCreation": 5}}}
    assert Redactor().redact(rates) == rates
    assert Redactor().redact({"UserToken": JWT}) == {"UserToken": REDACTED}
    assert Redactor().redact({"UserToken": "120"}) == {"UserToken": REDACTED}
    assert Redactor().redact({"UserToken": True}) == {"UserToken": REDACTED}
    assert Redactor().redact({"AccessToken": 120}) == {"AccessToken": REDACTED}
    assert Redactor().redact({"rate": {"note": JWT}}) == {"rate": {"note": REDACTED}}
