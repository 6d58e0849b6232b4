"""End to end: ``cognito-loadtest capacity --quota-scale`` scales the domain's bulk limits with
the quotas, and when a domain limit throttles before any quota category, the measured onset is
within 10 % of the model's and named by the limit (issue 18).

Client credentials send one domain request per token. At ``--quota-scale 0.1`` the domain's
per-IP and per-client limits are 30/s and the domain's 50/s; ClientAuthentication (15/s at that
scale) is raised to 100/s, so the limit met first is the per-IP one (30 tokens/s from the one
source IP of loopback; the per-client limit is reached at the same rate, and both the model and
the pool name the per-IP limit first). Cheap requests, so a few seconds of ramp suffice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.capacity.ramps import capacity

pytestmark = [pytest.mark.e2e, pytest.mark.serial]  # its rates need the CPU to itself

SCALE = 0.1
RAISED = ("ClientAuthentication=100",)


def test_a_domain_limit_onset_is_within_10_percent_and_named_by_the_limit(
    tmp_path: Path,
) -> None:
    result = capacity(
        tmp_path,
        {"client_credentials": 1},
        "domain",
        scale=SCALE,
        steps=(0.88, 0.92, 1.12),
        step_seconds=2.5,
        warmup=1.5,
        concurrency=16,
        quotas=RAISED,
    )
    onset, model, steps = result["onset"], result["model"], result["steps"]
    assert model["category"] == "domain per-IP"
    assert model["onset_rate"] == pytest.approx(300 * SCALE)
    assert result["domain_limits"] == {
        "domain per-IP": pytest.approx(30.0),
        "domain per-client": pytest.approx(30.0),
        "domain total": pytest.approx(50.0),
    }
    assert "--domain-ip-rps" in result["target"]["pool_options"]
    assert onset is not None, steps
    assert abs(onset["rate"] / model["onset_rate"] - 1) <= 0.10, steps
    assert onset["category"] == "domain per-IP", onset
    assert steps[0]["throttled"] == 0, steps  # the ramp starts below the limit
    assert all(s["failed"] == 0 and s["dropped"] == 0 for s in steps), steps
    throttled = {c for s in steps for c in s["throttled_categories"]}
    assert throttled == {"domain per-IP"}, steps  # never ClientAuthentication
