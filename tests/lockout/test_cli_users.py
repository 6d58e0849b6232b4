"""Which users ``lockout-probe`` probes (the ``--user`` names, else the identities file's), and
its own times.

A ``--config`` (the bootstrap's ``locust.conf``) supplies an identities file unasked; the
names used to be added to the whole of it, so ``--user lt-x`` probed, and locked out, every
user of the file too (or was refused as above the 20-user maximum)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from loadtest.lockout.cli import config_from, register

SECRET = "JBSWY3DPEHPK3PXP"


def _args(tmp_path: Path, *argv: str) -> argparse.Namespace:
    ids = tmp_path / "ids.jsonl"
    rows = [{"username": f"lt-{n}", "password": f"Pw-{n}!1"} for n in "abc"]
    rows[1]["totp_secret"] = SECRET
    ids.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    target = ["--pool-id", "us-east-1_abc", "--client-id", "c", "--identities", str(ids)]
    return parser.parse_args(["lockout-probe", *target, *argv])


def test_named_users_are_the_only_ones_probed_with_what_the_file_knows(tmp_path: Path) -> None:
    users = config_from(_args(tmp_path, "--user", "lt-b", "--user", "lt-z")).users
    assert [u.username for u in users] == ["lt-b", "lt-z"]
    assert (users[0].password, users[0].totp_secret) == ("Pw-b!1", SECRET)
    assert (users[1].password, users[1].totp_secret) == (None, None)  # not in the file


def test_without_names_the_file_is_probed_whole_or_its_first_count(tmp_path: Path) -> None:
    assert [u.username for u in config_from(_args(tmp_path)).users] == ["lt-a", "lt-b", "lt-c"]
    first = config_from(_args(tmp_path, "--count", "2")).users
    assert [u.username for u in first] == ["lt-a", "lt-b"]


def test_a_count_with_names_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="give one or the other"):
        config_from(_args(tmp_path, "--user", "lt-a", "--count", "2"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-seconds", "-5"], "--max-seconds must be 0 (from the model) or more, not -5"),
        (["--min-poll", "-1"], "--min-poll must be above 0 model seconds, not -1"),
        (["--min-poll", "0"], "--min-poll must be above 0 model seconds, not 0"),
        (["--min-poll", "2", "--max-poll", "1"], "--max-poll 1 is below --min-poll 2"),
    ],
)
def test_the_probes_own_times_must_make_sense(
    tmp_path: Path, argv: list[str], message: str
) -> None:
    """A negative budget ended a run "inconclusive" before its first attempt; a poll gap of
    0 or below polled as fast as the pool answered."""
    with pytest.raises(ValueError, match=re.escape(message)):
        config_from(_args(tmp_path, *argv))
