"""``--config FILE`` on the commands that take a target: a locust.conf fills what the command
line and the environment leave unset (Locust's own order), through the real parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.cli import build_parser, main
from loadtest.target.conf import apply_conf, read_conf

CONF = (
    "# written by hand\n"
    "locustfile = srp_totp.py\n"
    "cognito-endpoint-url = http://127.0.0.1:9229\n"
    "cognito-pool-id = us-east-1_FromFile\n"
    "cognito-client-id = fromfile\n"
    "cognito-identities = /data/ids.jsonl\n"
    "cognito-confirm-messages = 12\n"
)


def _parsed(*argv: str, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    args = build_parser(argv[0]).parse_args(list(argv))
    apply_conf(args, environ or {})
    return args


def test_the_file_fills_what_neither_the_command_line_nor_the_environment_sets(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "locust.conf"
    conf.write_text(CONF)
    args = _parsed("lockout-probe", "--config", str(conf), "--client-id", "flag")
    assert args.cognito_pool_id == "us-east-1_FromFile"
    assert args.cognito_client_id == "flag"  # the command line wins
    assert args.identities == Path("/data/ids.jsonl")  # the probe's own --identities
    args = _parsed(
        "lockout-probe", "--config", str(conf), environ={"COGNITO_POOL_ID": "us-east-1_Env"}
    )
    assert args.cognito_pool_id is None  # left to the environment, which outranks the file
    args = _parsed("capacity", "--config", str(conf))
    assert args.cognito_confirm_messages == 12  # typed as the option is
    assert args.cognito_identities == "/data/ids.jsonl"
    args = _parsed("teardown", "--config", str(conf), "--prefix", "lt-x")
    assert args.cognito_pool_id == "us-east-1_FromFile"
    assert not hasattr(args, "cognito_client_id")  # teardown has no client option
    assert args.identities is None  # its --identities is its own choice, not the file's


def test_a_missing_or_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lockout-probe", "--config", str(tmp_path / "none.conf")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"cognito-loadtest lockout-probe: the config file {tmp_path / 'none.conf'} does not exist"
    )
    bad = tmp_path / "bad.conf"
    bad.write_text("cognito-confirm-messages = many\n")
    assert main(["capacity", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cognito-confirm-messages = 'many'" in err
    (tmp_path / "dir.conf").mkdir()
    with pytest.raises(ValueError, match="cannot read"):
        read_conf(tmp_path / "dir.conf")
