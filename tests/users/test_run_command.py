"""``cognito-loadtest run``: the locust command line it builds (no Locust process here)."""

from __future__ import annotations

import argparse
import sys

import pytest

from loadtest.locust.cli import SCENARIO_DIR, SCENARIOS, locust_command, register, scenario_path


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
    argv, _ = locust_command(parse("mix", "--web", "--processes", "2"), {})
    assert "--headless" not in argv
    assert argv[-2:] == ["--processes", "2"]


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        locust_command(parse("nope"), {})


def test_report_dir_travels_as_the_environment_variable_the_users_read(tmp_path) -> None:
    argv, env = locust_command(parse("srp", "--report-dir", str(tmp_path / "run")), {})
    assert env["COGNITO_REPORT_DIR"] == str(tmp_path / "run")
    assert str(tmp_path) not in " ".join(argv)
    _, env = locust_command(parse("srp"), {"COGNITO_REPORT_DIR": "kept"})
    assert env["COGNITO_REPORT_DIR"] == "kept"
