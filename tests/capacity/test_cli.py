"""``cognito-loadtest capacity`` refuses before any load: unsafe targets, sizes above the maxima;
and its page, ``capacity.html``, reads as settings and findings, not as a command line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from loadtest.capacity.charts import pool_settings_text, write_html
from loadtest.capacity.results import target_line
from loadtest.capacity.target import pool_options
from loadtest.cli import main
from loadtest.flows.catalogue import PoolSetting
from loadtest.protocol.quotas import QuotaCategory


def test_a_pool_that_is_not_local_needs_its_id_confirmed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identities = tmp_path / "ids.jsonl"
    identities.write_text('{"username": "lt-a-00001", "password": "x"}\n')
    target = [
        "--cognito-pool-id", "us-east-1_AbC", "--cognito-client-id", "abc",
        "--cognito-endpoint-url", "https://cognito-idp.us-east-1.amazonaws.com/",
        "--cognito-identities", str(identities), "--reports", str(tmp_path),
    ]  # fmt: skip
    assert main(["capacity", *target]) == 2
    err = capsys.readouterr().err
    assert "NOT the local pool" in err
    assert "--confirm-pool-id us-east-1_AbC" in err
    assert not any(tmp_path.glob("capacity-*"))  # nothing ran, nothing written


@pytest.mark.parametrize(
    "sizes",
    [("--ceiling", "5000"), ("--concurrency", "5000"), ("--step-seconds", "4000")],
)
def test_sizes_above_the_maxima_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sizes: tuple[str, str]
) -> None:
    assert main(["capacity", *sizes, "--reports", str(tmp_path)]) == 2
    assert "--allow-above-max" in capsys.readouterr().err


def test_an_unknown_flow_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["capacity", "--mix", "srp=1,teleport=2"]) == 2
    assert "teleport" in capsys.readouterr().err


def _step(stage: int, rate: float, throttled: int, p99: float) -> dict[str, Any]:
    started = int(rate * 4)
    return {
        "stage": stage, "rate": rate, "seconds": 4.0, "scheduled": started, "started": started,
        "achieved_rate": rate, "dropped": 0, "ok": started - throttled, "throttled": throttled,
        "failed": 0, "throttle_rate": throttled / started, "error_rate": 0.0,
        "throttled_calls": {"ConfirmDevice": throttled} if throttled else {},
        "throttled_categories": {"UserResourceUpdate": throttled} if throttled else {},
        "p50_service_ms": p99 / 3, "p99_service_ms": p99, "p50_intended_ms": p99 / 3,
        "p99_intended_ms": p99 + 1,
    }  # fmt: skip


def capacity_result(options: list[str]) -> dict[str, Any]:
    """A capacity.json as a ramp of nine steps around an onset at 15/s writes it."""
    steps = [_step(i + 1, 9 + 1.5 * i, max(0, 3 * (i - 3)), 30 + 5 * i) for i in range(9)]
    target = {"kind": "embedded local pool", "endpoint_url": "http://127.0.0.1:4000/",
              "pool_id": "us-east-1_Loc4l", "pool_options": options,
              "pool_settings": [PoolSetting.AUTO_VERIFY_EMAIL,
                                PoolSetting.DEVICE_TRACKING]}  # fmt: skip
    onset = {"rate": 15.0, "category": "UserResourceUpdate"}
    return {
        "run_id": "cap-<1>", "target": target, "target_line": target_line(target),
        "steps": steps, "findings": {"stopped": "ceiling", "throttle onset": "15 logins/s"},
        "highest_sustained": {"rate": 13.5}, "knee": {"achieved_rate": 16.5}, "onset": onset,
        "model": {"onset_rate": 15.2, "category": "UserResourceUpdate"},
        "validity": {"trustworthy": False, "warnings": ["loop lag p99 <9 ms>"]},
    }  # fmt: skip


def test_the_capacity_page_says_the_target_in_words_and_draws_each_finding(
    tmp_path: Path,
) -> None:
    quotas = {QuotaCategory.USER_AUTHENTICATION: 36.0, QuotaCategory.USER_RESOURCE_UPDATE: 7.5}
    options = pool_options(quotas, burst_seconds=0.25, workers=2, faults=["throttle:0.1"])
    result = capacity_result(options)
    assert result["target_line"] == (
        "target: embedded local pool at http://127.0.0.1:4000/, pool us-east-1_Loc4l "
        "(2 worker processes; burst 0.25 s; 40/s per user; quotas: UserAuthentication 36/s, "
        "UserResourceUpdate 7.5/s; injected faults: throttle:0.1)"
    )
    page = write_html(tmp_path, result).read_text()
    assert "--" not in page.split("<h2>Target</h2>")[1]  # no command-line options
    assert "[&#39;" not in page  # no Python list of options
    assert "PoolSetting" not in page  # nor of the user pool's configuration
    assert "<td>auto verify email, device tracking</td>" in page.replace(" class='text'", "")
    assert page.count("<th>pool settings</th>") == 1  # the pool serve settings, once
    assert "quotas: UserAuthentication 36/s, UserResourceUpdate 7.5/s" in page
    assert "Capacity run cap-&lt;1&gt;" in page
    assert "loop lag p99 &lt;9 ms&gt;" in page  # the validity flag, escaped
    assert page.count("<svg") == 3
    for label in ("sustained 13.5/s", "knee 16.5/s", "onset 15/s (UserResourceUpdate)",
                  "model 15.2/s"):  # fmt: skip
        assert f">{label}</text>" in page
    assert "<td>UserResourceUpdate 15</td>" in page.replace(" class='text'", "")
    assert not re.search(r"(?<![\w.])\d+\.\d{5,}", page.split("<h2>Steps</h2>")[1])


def test_unknown_pool_options_read_as_name_and_value() -> None:
    assert pool_settings_text(["--no-quotas", "--time-scale", "0.01", "--new-thing", "7"]) == [
        "no quotas", "time scale 0.01", "new thing 7"
    ]  # fmt: skip


def test_the_capacity_page_says_when_its_steps_measured_nothing(tmp_path: Path) -> None:
    """A capacity run whose steps completed no login: "Nothing measured", with the reason,
    not "the generator distorted its own timings" nor "judged on the 0 logins"."""
    reason = "no login completed, so nothing here measures the pool: <why>"
    result = capacity_result([]) | {
        "validity": {"trustworthy": False, "warnings": [reason], "judged": {"logins": 0}}
    }
    page = write_html(tmp_path, result).read_text()
    assert "<b>Nothing measured: no login completed.</b>" in page
    assert "no login completed, so nothing here measures the pool: &lt;why&gt;" in page
    assert "distorted" not in page
    assert "Judged on the 0 logins" not in page
    result["validity"]["judged"] = {"logins": 12}
    page = write_html(tmp_path, result).read_text()
    assert "Latencies untrustworthy: the generator distorted its own timings." in page
    assert "Judged on the 12 logins of the steps." in page


def test_a_ramp_whose_locust_process_refuses_to_start_says_why_in_one_line(
    tmp_path: Path,
) -> None:
    """The scenario's checks refuse bad settings with exit code 2 before any arrival: the ramp
    raises that refusal (the command prints it, exit code 2) instead of reading an empty run
    as one that reached its ceiling with no rate sustained."""
    from loadtest.capacity.analysis import Limits
    from loadtest.capacity.ramp import RampRefused, RampSettings, ramp_stages, run_locust_ramp

    stages, warmup = ramp_stages(start=1, step=1, step_seconds=2, ceiling=1, warmup=0)
    limits = Limits(throttle_rate=0.1, error_rate=0.1, p99_ms=1000)
    settings = RampSettings(
        stages=stages, warmup=warmup, mix={"srp": 1.0}, concurrency=2, processes=0,
        max_wait=5, slo=limits, stop=limits, onset_threshold=0.01, consecutive=1,
        run_dir=tmp_path / "ramp", quotas={},
    )  # fmt: skip
    ids = tmp_path / "ids.jsonl"
    ids.write_text('{"username": "lt-a-00001", "password": "x"}\n')
    bad = {"COGNITO_POOL_ID": "nope", "COGNITO_CLIENT_ID": "c", "COGNITO_IDENTITIES": str(ids)}
    with pytest.raises(RampRefused) as refused:
        run_locust_ramp(settings, bad)
    said = str(refused.value)
    assert said.startswith("the ramp's Locust process refused to start: ")
    assert "malformed user pool id" in said
    assert said.endswith(f"(its log: {tmp_path / 'ramp' / 'locust.log'})")
    assert "\n" not in said
