"""``cognito-loadtest capacity`` refuses before any load: unsafe targets, sizes above the maxima."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.cli import main


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
