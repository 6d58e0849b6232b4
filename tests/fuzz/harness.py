"""Sending generated requests to a real pool over HTTP, concurrently, and judging each answer.

Every request has a client timeout (a hang is a failure, not a wait). An answer is acceptable
when it is Cognito-shaped (cognito-facts §3): HTTP 200 with a JSON object, or HTTP 400 with a
JSON ``{"__type", "message"}`` body and an ``x-amzn-ErrorType: <Name>:`` header. An
``AuthenticationResult`` is acceptable only for a case built with the right proof.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TARGET = "AWSCognitoIdentityProviderService."
SIGNED = "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/cognito-idp/aws4_request"
BASE_HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "Authorization": SIGNED,
}
TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Case:
    """One request: operation, raw body, header overrides, and whether tokens may come back."""

    op: str
    body: bytes
    headers: tuple[tuple[str, str | None], ...] = ()
    may_sign_in: bool = False
    label: str = ""

    def __repr__(self) -> str:
        return f"Case({self.op}, {self.label}, {self.body[:120]!r}, may_sign_in={self.may_sign_in})"

    @classmethod
    def of(
        cls,
        op: str,
        body: Mapping[str, Any],
        *,
        may_sign_in: bool = False,
        label: str = "",
        headers: tuple[tuple[str, str | None], ...] = (),
    ) -> Case:
        return cls(op, json.dumps(body).encode(), headers, may_sign_in, label)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    body: bytes
    headers: dict[str, str]
    error: str | None = None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class Tally:
    """What a run sent and got back."""

    total: int = 0
    statuses: Counter[int | None] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    signed_in: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, case: Case, answer: Answer) -> str | None:
        self.total += 1
        self.statuses[answer.status] += 1
        problem = judge(case, answer)
        body = answer.json()
        if isinstance(body, dict):
            if "__type" in body:
                self.types[str(body["__type"])] += 1
            if "AuthenticationResult" in body:
                self.signed_in += 1
        if problem is not None:
            self.problems.append(problem)
        return problem


def judge(case: Case, answer: Answer) -> str | None:
    """None when the answer is acceptable, else what is wrong with it."""
    where = f"{case.op} [{case.label}] body={case.body[:160]!r}"
    if answer.error is not None:
        return f"no answer ({answer.error}): {where}"
    body = answer.json()
    if answer.status == 200:
        if not isinstance(body, dict):
            return f"200 without a JSON object: {where}"
        if "AuthenticationResult" in body and not case.may_sign_in:
            return f"TOKENS WITHOUT PROOF: {where}"
        return None
    if answer.status != 400:
        return f"HTTP {answer.status} {answer.body[:160]!r}: {where}"
    if not isinstance(body, dict) or not isinstance(body.get("__type"), str):
        return f"400 without __type: {answer.body[:160]!r}: {where}"
    if not isinstance(body.get("message"), str):
        return f"400 without message: {answer.body[:160]!r}: {where}"
    if answer.headers.get("x-amzn-errortype") != f"{body['__type']}:":
        return f"x-amzn-ErrorType header does not match __type: {where}"
    return None


class Sender:
    """Posts cases to the pool from a few threads, one keep-alive connection per thread."""

    def __init__(self, url: str, *, threads: int = 8, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._timeout = timeout
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fuzz")
        self._opened: list[http.client.HTTPConnection] = []

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for connection in self._opened:
            connection.close()

    def send_all(self, cases: Iterable[Case]) -> list[Answer]:
        return list(self._pool.map(self.send, cases))

    def send(self, case: Case) -> Answer:
        headers: dict[str, str] = {**BASE_HEADERS, "X-Amz-Target": TARGET + case.op}
        for name, value in case.headers:
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        connection = self._connection()
        try:
            connection.request("POST", "/", body=case.body, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._local.connection = None
            return Answer(None, b"", {}, error=f"{type(exc).__name__}: {exc}")
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self._local.connection = None
        lowered = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, body, lowered)

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
            self._opened.append(connection)
        return connection


def run(sender: Sender, cases: list[Case], tally: Tally) -> list[str]:
    """Send a batch concurrently; returns the problems found in it."""
    problems = []
    for case, answer in zip(cases, sender.send_all(cases), strict=True):
        problem = tally.add(case, answer)
        if problem is not None:
            problems.append(problem)
    return problems
