"""The floor's HTTP half: one real login's calls, recorded, then replayed with no maths.

``make bench`` needs the bare cost of a login's HTTP calls through the generator's own client,
that is the same requests with the maths already done. A live pool cannot answer a replayed
proof (its B is fresh each login), so:

1. :func:`record_login` runs one real login against the local pool through a transport that
   keeps every request and answer byte for byte;
2. ``python -m benchmarks.replay RECORDING [--delay-ms MS]`` serves those answers on loopback,
   keyed by operation and challenge (it prints ``listening URL``), each in one segment after
   ``MS``, so the client side does exactly the work of a real login's calls: same request
   bytes, same answer bytes to read and decode, the same wait for an answer;
3. :mod:`benchmarks.locust_floor` replays the requests from Locust.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from loadtest.drivers import RawResponse, SyncDriver, Urllib3Transport
from loadtest.flows import Flow, FlowContext, Identity, srp_login
from loadtest.protocol.names import TARGET_PREFIX

__all__ = [
    "REPLAYED",
    "Exchange",
    "load_recording",
    "record_login",
    "replay_key",
    "save_recording",
]

#: Logins the benchmark's own users completed in this process, by outcome (``ok``, ``failed``):
#: the floor's replays and the thin client's logins (:mod:`benchmarks.locust_thin`). The probe
#: reads them here, since a login is not a Locust request (only its calls are).
REPLAYED: Counter[str] = Counter()


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One recorded call: request headers and body, answer status, headers and body."""

    label: str
    headers: dict[str, str]
    body: str = field(repr=False)
    status: int
    answer_headers: dict[str, str]
    answer_body: str = field(repr=False)


def replay_key(target: str, body: bytes | str) -> str:
    """What tells a login's calls apart: ``Operation:ChallengeName`` (or ``:AuthFlow``)."""
    data = json.loads(body)
    operation = target.removeprefix(TARGET_PREFIX).lstrip(".")
    return f"{operation}:{data.get('ChallengeName') or data.get('AuthFlow') or ''}"


class RecordingTransport:
    """A :class:`Urllib3Transport` that keeps every exchange."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._inner = Urllib3Transport(url)
        self.exchanges: list[Exchange] = []

    def post(self, headers: Mapping[str, str], body: bytes) -> RawResponse:
        raw = self._inner.post(headers, body)
        target = _header(headers, "X-Amz-Target")
        self.exchanges.append(
            Exchange(
                label=replay_key(target, body),
                headers=dict(headers),
                body=body.decode(),
                status=raw.status,
                answer_headers={k: v for k, v in raw.headers.items() if _kept(k)},
                answer_body=raw.body.decode(),
            )
        )
        return raw

    def close(self) -> None:
        self._inner.close()


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _kept(name: str) -> bool:
    return name.lower() not in {"content-length", "connection", "date", "server"}


def record_login(url: str, identity: Identity, ctx: FlowContext) -> list[Exchange]:
    """Run one real SRP login (answering SOFTWARE_TOKEN_MFA if asked) and keep its calls."""
    transport = RecordingTransport(url)
    flow: Flow[Any] = srp_login(identity, ctx)
    SyncDriver(transport).run(flow)
    transport.close()
    return transport.exchanges


def save_recording(exchanges: list[Exchange], path: Path) -> Path:
    path.write_text(json.dumps([asdict(e) for e in exchanges]))
    return path


def load_recording(path: Path) -> list[Exchange]:
    return [Exchange(**item) for item in json.loads(path.read_text())]


def _handler(answers: Mapping[str, Exchange], delay_s: float = 0.0) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            found = answers.get(replay_key(self.headers.get("X-Amz-Target", ""), body))
            if found is None:
                self.send_error(404, "no recorded answer")
                return
            data = found.answer_body.encode()
            if delay_s:
                time.sleep(delay_s)
            # status line, headers and body in one write: written apart (send_response,
            # end_headers, then the body), the body waited for the client's delayed ACK of the
            # headers (Nagle), ~40 ms a call and a second wake-up of the client per answer,
            # which inflated the floor's CPU; a real server answers in one segment
            reason = HTTPStatus(found.status).phrase
            lines = [f"HTTP/1.1 {found.status} {reason}"]
            lines += [f"{name}: {value}" for name, value in found.answer_headers.items()]
            lines += [f"Content-Length: {len(data)}", "", ""]
            self.wfile.write("\r\n".join(lines).encode("latin-1") + data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per request would cost more than the answer."""

    return Handler


def serve(recording: Path, port: int = 0, delay_s: float = 0.0) -> None:
    """Answer the recorded calls on 127.0.0.1 until killed; print ``listening URL`` first."""
    answers = {e.label: e for e in load_recording(recording)}
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(answers, delay_s))
    server.daemon_threads = True
    print(f"listening http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serve a recorded login's answers")
    parser.add_argument("recording", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    serve(args.recording, args.port, args.delay_ms / 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
