"""``cognito-loadtest run``: the locust command line it builds (no Locust process here)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.locust.cli import (
    SCENARIO_DIR,
    SCENARIOS,
    check_run,
    default_report_dir,
    locust_command,
    register,
    scenario_path,
    target_settings,
)
from loadtest.target.safety import UnsafeTarget


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["run", *argv])


def test_every_named_scenario_has_a_locustfile() -> None:
    for name in SCENARIOS:
        assert scenario_path(name).is_file(), name


def test_a_headless_run_with_settings_in_the_environment() -> None:
    args = parse(
        "srp_totp", "-u", "3", "-t", "5s", "--cognito-pool-id", "us-east-1_X",
        "--cognito-client-secret", "s3cr3t", "--locust", "--only-summary",
    )  # fmt: skip
    argv, env = locust_command(args, {"PATH": "/bin"})
    assert argv[:5] == [sys.executable, "-m", "locust", "-f", str(SCENARIO_DIR / "srp_totp.py")]
    assert argv[5:] == ["--headless", "-u", "3", "-r", "5.0", "-t", "5s", "--only-summary"]
    assert env["COGNITO_POOL_ID"] == "us-east-1_X"
    assert env["COGNITO_CLIENT_SECRET"] == "s3cr3t"
    assert "s3cr3t" not in " ".join(argv)
    assert env["PATH"] == "/bin"


def test_web_mode_and_processes() -> None:
    argv, _ = locust_command(parse("mix", "--web", "--processes", "2", "-t", "2m"), {})
    assert "--headless" not in argv
    assert argv[-2:] == ["--processes", "2"]
    # the UI listens on loopback only (it starts load), and its form holds the run's sizes:
    # a run started there is bounded as a headless one is
    assert argv[5:13] == ["--web-host", "127.0.0.1", "-u", "10", "-r", "5.0", "-t", "2m"]


def test_web_mode_listens_where_asked() -> None:
    argv, _ = locust_command(parse("mix", "--web", "--locust", "--web-host", "0.0.0.0"), {})
    assert argv.count("--web-host") == 1
    assert argv[-2:] == ["--web-host", "0.0.0.0"]


def test_web_mode_run_time_is_bounded() -> None:
    with pytest.raises(UnsafeTarget, match="--run-time 10800 is above the maximum"):
        check_run(parse("srp", "--web", "-t", "3h", "--pool-id", "us-east-1_X"), {})


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        locust_command(parse("nope"), {})


def test_report_dir_travels_as_the_environment_variable_the_users_read(tmp_path) -> None:
    argv, env = locust_command(parse("srp", "--report-dir", str(tmp_path / "run")), {})
    assert env["COGNITO_REPORT_DIR"] == str(tmp_path / "run")
    assert str(tmp_path) not in " ".join(argv)
    _, env = locust_command(parse("srp"), {"COGNITO_REPORT_DIR": "kept"})
    assert env["COGNITO_REPORT_DIR"] == "kept"


def test_the_target_guarded_is_the_one_a_locust_config_names(tmp_path, monkeypatch, capsys) -> None:
    """``run NAME --locust --config FILE``: the stated and guarded target comes from the file
    (as Locust ranks settings: file < environment < flags after --locust)."""
    monkeypatch.chdir(tmp_path)  # no ./locust.conf here but the ones written below
    monkeypatch.setenv("HOME", str(tmp_path))  # nor a ~/.locust.conf
    conf = tmp_path / "remote.conf"
    conf.write_text(
        "# a real pool\ncognito-endpoint-url = aws\ncognito-pool-id = eu-west-1_Remote\n"
        "cognito-client-id = abc\n"
    )
    args = parse("srp", "-t", "5s", "--locust", "--config", str(conf))
    _, env = locust_command(args, {})
    with pytest.raises(UnsafeTarget, match="--confirm-pool-id eu-west-1_Remote"):
        check_run(args, env)
    assert "pool eu-west-1_Remote" in capsys.readouterr().err

    check_run(args, env | {"COGNITO_CONFIRM_POOL_ID": "eu-west-1_Remote"})
    # the environment overrides the file, a flag after --locust overrides both
    local = {"COGNITO_ENDPOINT_URL": "http://127.0.0.1:9229/"}
    assert (
        target_settings(args.locust_args, local)["COGNITO_ENDPOINT_URL"]
        == local["COGNITO_ENDPOINT_URL"]
    )
    flagged = [*args.locust_args, "--cognito-pool-id", "us-east-1_Flag"]
    assert target_settings(flagged, local)["COGNITO_POOL_ID"] == "us-east-1_Flag"


def test_run_config_is_handed_to_locust_and_names_the_guarded_target(tmp_path, monkeypatch) -> None:
    """``run NAME --config FILE`` is ``run NAME --locust --config FILE``: Locust gets the file,
    and the target stated and guarded is the one it names."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    conf = tmp_path / "remote.conf"
    conf.write_text("cognito-endpoint-url = aws\ncognito-pool-id = eu-west-1_Remote\n")
    args = parse("srp", "-t", "5s", "--config", str(conf))
    argv, env = locust_command(args, {})
    assert argv[argv.index("--config") + 1] == str(conf)
    with pytest.raises(UnsafeTarget, match="--confirm-pool-id eu-west-1_Remote"):
        check_run(args, env)
    later = parse("srp", "--config", str(conf), "--locust", "--cognito-pool-id", "us-east-1_Flag")
    argv, _ = locust_command(later, {})
    assert argv.index("--config") < argv.index("--cognito-pool-id")  # Locust: the flag wins


def test_a_locust_conf_in_the_folder_counts_and_a_missing_config_is_one_clear_error(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "locust.conf").write_text("cognito-pool-id = us-east-1_Here\n")
    assert target_settings([], {})["COGNITO_POOL_ID"] == "us-east-1_Here"
    with pytest.raises(ValueError, match=r"config file nowhere\.conf does not exist"):
        target_settings(["--config", "nowhere.conf"], {})


def test_a_run_with_no_pool_stops_before_locust_and_says_where_settings_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./locust.conf
    monkeypatch.setenv("HOME", str(tmp_path))  # nor a ~/.locust.conf
    args = parse("srp", "-t", "5s")
    _, env = locust_command(args, {})
    with pytest.raises(ValueError, match="no user pool given") as raised:
        check_run(args, {k: v for k, v in env.items() if not k.startswith("COGNITO_")})
    assert "pool serve --bootstrap DIR" in str(raised.value)
    assert "--config DIR/locust.conf" in str(raised.value)
    assert capsys.readouterr().err == ""  # not even the target line: there is none


NOW = datetime(2026, 12, 4, 15, 5, 9, tzinfo=UTC)


def test_a_run_that_names_no_report_folder_gets_one_in_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is where a run says whether its latencies can be trusted: a run gets one in
    ``reports/<scenario>-<UTC time>`` of the current folder unless it names one or says
    ``--no-report``; a second run in the same second gets its own folder."""
    monkeypatch.chdir(tmp_path)
    assert default_report_dir(parse("srp"), {}, NOW) == Path("reports/srp-20261204-150509")
    Path("reports/srp-20261204-150509").mkdir(parents=True)
    assert default_report_dir(parse("srp"), {}, NOW) == Path("reports/srp-20261204-150509-2")
    mine = tmp_path / "mine.py"
    assert default_report_dir(parse(str(mine)), {}, NOW) == Path("reports/mine-20261204-150509")
    assert default_report_dir(parse("srp", "--no-report"), {}, NOW) is None


def test_a_report_folder_named_anywhere_is_the_one_used(tmp_path: Path) -> None:
    """Named by the flag, the environment, the config file or a Locust flag: no default."""
    named = [
        (parse("srp", "--report-dir", "r"), {}),
        (parse("srp"), {"COGNITO_REPORT_DIR": "r"}),
        (parse("srp", "--locust", "--cognito-report-dir", "r"), {}),
    ]
    conf = tmp_path / "locust.conf"
    conf.write_text("cognito-report-dir = r\n")
    named.append((parse("srp", "--config", str(conf)), {}))
    named.append((parse("srp", "--locust", "--config", str(conf)), {}))
    for args, environ in named:
        _, env = locust_command(args, environ)
        assert default_report_dir(args, env, NOW) is None, args
    conf.write_text("cognito-pool-id = us-east-1_X\n")
    assert default_report_dir(parse("srp", "--config", str(conf)), {}, NOW) is not None
