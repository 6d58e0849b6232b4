"""Searching a run's outputs for secrets: what the identities and the pool hold, the TOTP codes
of a window, and any token. Shared by the secrets scan and the fault runs."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyotp

#: Any JWT (ID, access or refresh token) or JWE: a token in a log or report is a leak.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
STEP = 30


def identity_secrets(identities: list[dict[str, Any]]) -> set[str]:
    keys = ("password", "totp_secret", "device_password")
    return {str(i[k]) for i in identities for k in keys if i.get(k)}


def pool_secrets(state: Path) -> set[str]:
    """What the pool holds that only it may know: verifiers, x, client secrets, TOTP seeds."""
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT verifier, x, x FROM users").fetchall()
        rows += db.execute("SELECT verifier, verifier, verifier FROM devices").fetchall()
        rows += db.execute("SELECT secret, secret, secret FROM clients").fetchall()
    return {value for row in rows for value in row if value} | totp_seeds(state)


def totp_seeds(state: Path) -> set[str]:
    with sqlite3.connect(state) as db:
        states = [json.loads(row[0]) for row in db.execute("SELECT mfa FROM users")]
    return {s[k] for s in states for k in ("totp_secret", "totp_pending") if s.get(k)}


def totp_codes(seeds: set[str], start: float, end: float) -> set[str]:
    steps = range(int(start) // STEP, int(end) // STEP + 1)
    return {pyotp.HOTP(seed).at(step) for seed in seeds for step in steps}


def locust_page_constants() -> set[str]:
    """Six-digit numbers of Locust's own page bundle (copied into every locust.html): a code
    equal to one of them cannot be told from it, so it is left out of the search."""
    spec = importlib.util.find_spec("locust")  # not imported: that would monkey-patch gevent
    assert spec is not None
    assert spec.origin is not None
    dist = Path(spec.origin).parent / "webui" / "dist"
    texts = (p.read_text(errors="replace") for p in dist.rglob("*") if p.suffix in {".html", ".js"})
    return {m for text in texts for m in re.findall(r"(?<![\w.])\d{6}(?![\w.])", text)}


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def scan(
    paths: list[Path],
    secrets: set[str],
    codes: set[str],
    shapes: Iterable[re.Pattern[str]] = (),
) -> list[str]:
    """Every leak found, as 'path: what'. Codes count as whole numbers only (not inside a
    longer number, a decimal or an encoded blob); ``shapes`` match secrets known only by their
    form (the passwords a run generates, :data:`loadtest.flows.account.GENERATED_PASSWORD`)."""
    shapes = tuple(shapes)
    codes = codes - locust_page_constants()
    code = re.compile(r"(?<![\w.])(" + "|".join(sorted(codes) or ["x^"]) + r")(?![\w.])")
    leaks = []
    for path in paths:
        text = read_text(path)
        leaks += [f"{path}: a secret ({s[:4]}...)" for s in secrets if s in text]
        leaks += [f"{path}: a token ({m[:12]}...)" for m in JWT.findall(text)]
        leaks += [f"{path}: a generated password ({m[:4]}...)" for s in shapes
                  for m in s.findall(text)]  # fmt: skip
        leaks += [f"{path}: a TOTP code in {_around(text, m)!r}" for m in code.finditer(text)]
    return leaks


def read_text(path: Path) -> str:
    """A file's text; a gzip file's (compressed events segments: gzip members one after
    another) decompressed member by member, a cut-short last member (a killed writer) as far as
    it goes. zlib here, not the package's reader: the scan checks the package."""
    data = path.read_bytes()
    if path.suffix != ".gz":
        return data.decode(errors="replace")
    chunks = []
    while data:
        member = zlib.decompressobj(wbits=31)
        try:
            chunks.append(member.decompress(data))
        except zlib.error:
            break
        if not member.eof:
            break
        data = member.unused_data
    return b"".join(chunks).decode(errors="replace")


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 40) : match.end() + 40]
