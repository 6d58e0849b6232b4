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


def test_bench_says_how_to_run_the_benchmarks_from_a_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--only", "srp"]) == 2
    assert "make bench" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "cognito-loadtest"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("cognito-loadtest ")
