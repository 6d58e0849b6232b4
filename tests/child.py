"""A Python snippet run in an interpreter of its own, for what must not happen in the test
process: importing Locust monkey-patches it, gevent hubs and forks are process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def python_json(
    code: str, *argv: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> Any:
    """Run ``python -c code argv...`` and parse the last line it prints as JSON; a child that
    fails fails the test with its stderr's tail."""
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
