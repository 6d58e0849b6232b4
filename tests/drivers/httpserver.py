"""A real loopback HTTP server answering AWS JSON 1.1 from a Python function, for driver tests.

The handler gets ``(operation, body)`` and returns a dict (HTTP 200), raises a
:class:`CognitoError` (encoded as Cognito does), or returns :class:`Raw` for anything else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from loadtest.protocol import errors
from loadtest.protocol.wire import encode_body, error_body, error_headers


@dataclass
class Raw:
    """A verbatim answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[str, dict[str, Any]], "dict[str, Any] | Raw"]


@dataclass
class Seen:
    """Requests the server received: operation, headers, body."""

    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)


def _handler_class(handler: Handler, seen: Seen) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
            seen.requests.append((operation, dict(self.headers.items()), body))
            try:
                answer = handler(operation, body)
            except errors.CognitoError as exc:
                self._send(Raw(exc.status, error_body(exc), error_headers(exc, "req-1")))
                return
            if isinstance(answer, Raw):
                self._send(answer)
            else:
                self._send(Raw(200, encode_body(answer)))

        def _send(self, raw: Raw) -> None:
            self.send_response(raw.status)
            for key, value in raw.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(raw.body)))
            self.end_headers()
            self.wfile.write(raw.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler


@contextmanager
def serve(handler: Handler) -> Iterator[tuple[str, Seen]]:
    """Serve ``handler`` on a free loopback port; yields the endpoint URL and what it saw."""
    seen = Seen()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(handler, seen))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
