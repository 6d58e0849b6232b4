"""A bounded load of full USER_SRP_AUTH logins over raw HTTP, run as its own process.

``make bench`` starts this beside a server (the local pool, or moto's server for comparison) so
that the client's CPU is not the server's: it logs users in from several threads (the
exponentiation releases the GIL) until ``--duration`` seconds or ``--max-logins`` logins, then
prints one JSON line with its counts and its own CPU time.

``--opaque-secret-block`` is for moto, whose SECRET_BLOCK is a UUID rather than base64: the client
still does the full maths, over the block's UTF-8 bytes, and moto accepts any proof.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import srp_fast
from loadtest.protocol import errors, wire
from loadtest.protocol.names import Operation
from loadtest.target.safety import is_local_endpoint


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    host: str
    port: int
    pool_id: str
    client_id: str
    password: str
    opaque_secret_block: bool


class Client:
    """One keep-alive connection and the client's maths caches."""

    def __init__(self, target: Target, verifiers: srp_fast.VerifierCache) -> None:
        self.target = target
        self.conn = http.client.HTTPConnection(target.host, target.port, timeout=30)
        self.ephemerals = srp_fast.EphemeralPool(target=4)
        self.verifiers = verifiers

    def call(self, operation: Operation, body: dict[str, Any]) -> dict[str, Any]:
        self.conn.request("POST", "/", wire.encode_body(body), wire.request_headers(operation))
        response = self.conn.getresponse()
        return wire.decode_response(response.status, dict(response.getheaders()), response.read())

    def login(self, username: str) -> None:
        eph = self.ephemerals.take()
        t = self.target
        challenge = self.call(
            Operation.INITIATE_AUTH,
            {
                "AuthFlow": "USER_SRP_AUTH",
                "ClientId": t.client_id,
                "AuthParameters": {"USERNAME": username, "SRP_A": eph.public_hex},
            },
        )
        params = challenge["ChallengeParameters"]
        block = params["SECRET_BLOCK"]
        claim = srp_fast.password_claim(
            eph,
            prefix=srp_fast.pool_name(t.pool_id),
            identity=params["USER_ID_FOR_SRP"],
            password=t.password,
            salt_hex=params["SALT"],
            srp_b_hex=params["SRP_B"],
            secret_block_b64=srp_fast.b64encode(block.encode()) if t.opaque_secret_block else block,
            now=datetime.now(UTC),
            verifiers=self.verifiers,
        )
        result = self.call(
            Operation.RESPOND_TO_AUTH_CHALLENGE,
            {
                "ChallengeName": "PASSWORD_VERIFIER",
                "ClientId": t.client_id,
                "ChallengeResponses": {
                    "USERNAME": params["USERNAME"],
                    "PASSWORD_CLAIM_SECRET_BLOCK": block,
                    "PASSWORD_CLAIM_SIGNATURE": claim.signature,
                    "TIMESTAMP": claim.timestamp,
                },
            },
        )
        if "AccessToken" not in result.get("AuthenticationResult", {}):
            raise errors.MalformedResponse("login ended without tokens", status=200)


def run(
    target: Target, users: list[str], *, threads: int, duration: float, max_logins: int
) -> dict[str, Any]:
    """Log users in round-robin from ``threads`` threads until time or count runs out."""
    verifiers = srp_fast.VerifierCache()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    issued = iter(range(max_logins))
    deadline = time.monotonic() + duration

    def worker() -> None:
        client = Client(target, verifiers)
        while time.monotonic() < deadline:
            with lock:
                n = next(issued, None)
            if n is None:
                return
            outcome = _attempt(client, users[n % len(users)])
            with lock:
                outcomes[outcome] += 1

    cpu0, start = time.process_time(), time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - start
    return {
        "logins": outcomes["ok"],
        "outcomes": dict(outcomes),
        "elapsed_s": elapsed,
        "client_cpu_s": time.process_time() - cpu0,
    }


def _attempt(client: Client, username: str) -> str:
    try:
        client.login(username)
    except errors.CognitoError as exc:
        return exc.name
    except (errors.TransportError, OSError, http.client.HTTPException) as exc:
        client.conn.close()
        return type(exc).__name__
    return "ok"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--pool-id", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--users", required=True, help="comma-separated usernames")
    parser.add_argument(
        "--password-env",
        default="SRP_LOAD_PASSWORD",
        help="environment variable holding the users' password",
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-logins", type=int, default=5000)
    parser.add_argument("--opaque-secret-block", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = urlsplit(args.endpoint)
    if not is_local_endpoint(args.endpoint) or url.hostname is None or url.port is None:
        print(f"refusing a non-loopback endpoint: {args.endpoint}", file=sys.stderr)
        return 2
    target = Target(
        host=url.hostname,
        port=url.port,
        pool_id=args.pool_id,
        client_id=args.client_id,
        password=os.environ[args.password_env],
        opaque_secret_block=args.opaque_secret_block,
    )
    result = run(
        target,
        args.users.split(","),
        threads=args.threads,
        duration=args.duration,
        max_logins=args.max_logins,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
