"""``cognito-loadtest quota``: inputs, the text and JSON reports, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtest.cli import main
from loadtest.locust.cli import SCENARIO_DIR
from loadtest.protocol.quotas import QuotaCategory
from loadtest.quota import category_rates, required_quotas, throttle_onset
from loadtest.quota.inputs import scenario_mix

Q = QuotaCategory


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["quota", *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, *args, "--json")
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["category"]: row for row in data["categories"]}


def test_json_report_is_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    mix = {"srp": 0.5, "srp_totp": 0.3, "device": 0.2}
    data = run_json(capsys, "--mix", "srp=0.5,srp_totp=0.3,device=0.2", "--rate", "500")
    assert data["mix"] == pytest.approx(mix)
    ua = rows(data)["UserAuthentication"]
    assert ua["demand_rps"] == pytest.approx(category_rates(mix, 500)[Q.USER_AUTHENTICATION])
    assert ua["throttled"]
    assert ua["adjustable"]
    assert ua["required_rps"] == pytest.approx(required_quotas(mix, 500)[Q.USER_AUTHENTICATION])
    onset = throttle_onset(mix)
    assert data["onset"] == {
        "logins_per_second": pytest.approx(onset.logins_per_second),
        "category": onset.category.value,
    }
    assert data["challenge_allowance"]["spill_rps"] > 0
    assert data["increases"] == [
        {"category": "UserAuthentication", "from_rps": 120, "to_rps": 500, "adjustable": True}
    ]
    assert data["per_pool_operations"] == []


def test_text_report_names_the_first_throttle_and_the_fixed_category(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--mix", "srp=1,device_new=1", "--rate", "100")
    assert code == 0
    assert "first to throttle: UserResourceUpdate at 50.0 sign-ins/s" in out
    fixed = next(line for line in out.splitlines() if line.startswith("  UserResourceUpdate"))
    assert "25 -> 50 rps" in fixed
    assert "NOT adjustable" in fixed
    table = next(line for line in out.splitlines() if line.startswith("UserResourceUpdate"))
    assert table.split()[1:5] == ["50.0", "25", "-100%", "YES"]


def test_a_rate_within_the_quotas_needs_no_increase(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--mix", "srp", "--rate", "60")
    assert code == 0
    assert "no quota increase needed for 60.0 sign-ins/s" in out
    assert "50%" in next(line for line in out.splitlines() if line.startswith("UserAuth"))


def test_mau_is_converted_with_the_assumptions_given(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--mix", "srp", "--mau", "2592000", "--sign-ins-per-user", "2", "--peak-factor", "5"]
    data = run_json(capsys, *args)
    assert data["logins_per_second"] == pytest.approx(10)  # 2,592,000 x 2 / 2,592,000 x 5
    assert data["mau"]["peak_factor"] == 5
    default = run_json(capsys, "--mix", "srp", "--mau", "2592000")
    assert default["logins_per_second"] == pytest.approx(100)  # 10 a month, peak 10x


def test_quotas_from_a_file_and_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "quotas.json"
    path.write_text(json.dumps({"UserAuthentication": 200, "userresourceupdate": 30}))
    data = run_json(capsys, "--mix", "srp", "--rate", "250", "--quotas-file", str(path))
    assert data["quotas"]["UserAuthentication"] == 200
    assert data["quotas"]["UserResourceUpdate"] == 30
    assert data["onset"]["logins_per_second"] == 200
    both = ["--quotas-file", str(path), "--quota", "UserAuthentication=300"]
    data = run_json(capsys, "--mix", "srp", "--rate", "250", *both)
    assert data["quotas"]["UserAuthentication"] == 300
    assert not rows(data)["UserAuthentication"]["throttled"]


def test_a_named_mix_takes_the_scenarios_weights(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--mix", "mix", "--rate", "100")
    weights = scenario_mix(SCENARIO_DIR / "mix.py")
    total = sum(weights.values())
    assert data["mix"] == pytest.approx({k: v / total for k, v in weights.items()})
    assert run_json(capsys, "--mix", "srp_totp", "--rate", "1")["mix"] == {"srp_totp": 1.0}


def test_a_locustfile_is_read_not_imported(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(
        "raise SystemExit('imported!')\n"
        "from loadtest.locust import logins\n"
        "from loadtest.locust.logins import DeviceUser\n"
        "class A(logins.SrpUser):\n    weight = 3\n"
        "class B(logins.RefreshUser):\n    pass\n"
    )
    assert scenario_mix(path) == {"device": 1.0, "srp": 3.0, "refresh": 1.0}


def test_json_lists_a_fixed_category_among_the_increases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = run_json(capsys, "--mix", "srp=1,device_new=1", "--rate", "100")
    assert data["increases"] == [
        {"category": "UserResourceUpdate", "from_rps": 25, "to_rps": 50, "adjustable": False}
    ]


def test_the_identities_check(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--mix", "srp_totp", "--rate", "100", "--identities", "20")
    assert data["per_user"]["within"] is False
    assert data["per_user"]["min_identities"] == 30
    assert data["per_user"]["min_totp_identities"] == 3000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "nope", "--rate", "5"], "unknown flow or scenario 'nope'"),
        (["--mix", "srp=1,nope=2", "--rate", "5"], "unknown flow 'nope'"),
        (["--mix", "srp=abc", "--rate", "5"], "not a number"),
        (["--mix", "srp", "--rate", "-5"], "sign-in rate must be a number >= 0"),
        (["--mix", "srp", "--rate", "5", "--quota", "Bogus=3"], "unknown quota category"),
        (["--mix", "srp", "--rate", "5", "--quota", "UserAuthentication=0"], "above 0"),
        (["--mix", "srp", "--rate", "5", "--identities", "0"], "--identities must be"),
        (["--mix", "srp", "--mau", "1000", "--peak-factor", "0"], "peak factor must be above 0"),
        (["--mix", "srp", "--rate", "5", "--quotas-file", "/nonexistent.json"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert message in err


def test_rate_and_mau_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["quota", "--mix", "srp", "--rate", "5", "--mau", "100"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_the_installed_command_runs() -> None:
    command = [sys.executable, "-m", "loadtest.cli", "quota", "--mix", "srp", "--rate", "240"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "first to throttle: UserAuthentication at 120.0 sign-ins/s" in done.stdout
