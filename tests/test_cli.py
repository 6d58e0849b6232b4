"""The command line: every subcommand is reachable and says what it does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.cli import main


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in (
        "demo",
        "run",
        "provision",
        "teardown",
        "lockout-probe",
        "report",
        "pool",
        "bench",
    ):
        assert command in out


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "argument", "minimum"),
    [
        (["run", "srp", "-u", "0"], "-u/--users", 1),
        (["run", "srp", "--processes", "-1"], "--processes", 0),
        (["demo", "--identities", "0"], "--identities", 1),
        (["demo", "-u", "-3"], "-u/--users", 1),
        (["demo", "--probe-users", "-2"], "--probe-users", 0),
        (["lockout-probe", "--count", "-78"], "--count", 1),  # was the first 2 of 80 users
        (["lockout-probe", "--count", "0"], "--count", 1),  # was every identity
        (["lockout-probe", "--failures", "-1"], "--failures", 0),  # ran to its time budget
        (["lockout-probe", "--max-attempts", "0"], "--max-attempts", 1),
        (["pool", "serve", "--workers", "0"], "--workers", 1),
        (["pool", "serve", "--math-threads", "0"], "--math-threads", 1),
        (["provision", "-n", "0"], "-n/--users", 1),
        (["capacity", "--processes", "-2"], "--processes", 0),
    ],
)
def test_a_meaningless_count_stops_the_command_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], argument: str, minimum: int
) -> None:
    """Before anything starts, with one line naming the argument, the value and where the
    options are; argparse's usage (twenty lines of options for ``run``) is not printed."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    command = "pool serve" if argv[0] == "pool" else argv[0]
    assert err.splitlines() == [
        f"cognito-loadtest {command}: argument {argument}: expected a whole number of at least "
        f"{minimum}, got {argv[-1]!r} ('cognito-loadtest {command} --help' lists the options)"
    ]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["run", "srp", "-t", "0"],  # Locust takes 0 as no limit: a load that never stops
            "cognito-loadtest run: --run-time must be above 0, not 0 (Locust would run "
            "without end)",
        ),
        (
            ["run", "srp", "-t", "30s", "--locust", "-t", "0s"],  # Locust takes the last
            "cognito-loadtest run: --run-time must be above 0, not 0 (Locust would run "
            "without end)",
        ),
        (["run", "srp", "-r", "0"], "cognito-loadtest run: --spawn-rate must be above 0, not 0"),
        (
            ["demo", "-t", "0"],
            "cognito-loadtest demo: --run-time must be above 0, not 0 (Locust would run "
            "without end)",
        ),
    ],
)
def test_a_run_with_no_time_or_no_rate_is_refused_before_it_starts(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [line]


def test_bench_says_how_to_run_the_benchmarks_from_a_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--only", "srp"]) == 2
    assert "make bench" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "cognito-loadtest"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("cognito-loadtest ")
