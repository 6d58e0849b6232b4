"""End to end: ``cognito-loadtest capacity`` runs the flow families the embedded pool once
refused, each in one short ramp at scaled quotas: managed login with and without MFA (HTTP),
USER_AUTH with passkeys and one-time codes, SMS and e-mail MFA, SELECT_MFA_TYPE and custom
authentication with the example trigger. Each ramp has two steps, one well below the quota
model's onset and one well above it, so what it shows is that every flow of the mix runs on the
pool ``capacity`` sets up (no failed or dropped arrival), that nothing throttles below the onset
and that the onset is found above it, named as the model names it. The onset's precision is the
business of tests/capacity/test_onset.py and tests/oauth/test_onset.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from loadtest.report import read_events
from tests.capacity.ramps import capacity

pytestmark = [pytest.mark.e2e, pytest.mark.serial]  # its rates need the CPU to itself

SCALE = 0.2
BELOW_ABOVE = (0.6, 1.5)

FAMILIES = {
    "http": {"managed_login": 1, "managed_login_password": 1, "client_credentials": 1},
    "user_auth": {"user_auth_passkey": 2, "user_auth_email": 1, "user_auth_sms": 1},
    "challenges": {"sms_mfa": 1, "select_mfa": 1, "email_mfa": 1, "custom_auth": 1},
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_runs_below_its_onset_and_throttles_above_it(
    tmp_path: Path, family: str
) -> None:
    mix = FAMILIES[family]
    result = capacity(
        tmp_path, mix, family, scale=SCALE, steps=BELOW_ABOVE, step_seconds=2, warmup=1
    )
    steps, onset, model = result["steps"], result["onset"], result["model"]
    assert len(steps) == 2, steps
    assert all(s["failed"] == 0 and s["dropped"] == 0 for s in steps), steps
    assert steps[0]["throttled"] == 0, steps
    assert onset is not None, steps
    assert onset["stage"] == steps[1]["stage"]
    assert onset["category"] == model["category"], (onset, model)
    ok = Counter(
        e["flow"]
        for e in read_events(tmp_path / "reports" / family / "events.jsonl")
        if e["event"] == "login" and e.get("view") is None and e["outcome"] == "ok"
    )
    assert {f"login:{name}" for name in mix} <= set(ok), ok  # every flow signed in
