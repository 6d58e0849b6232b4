"""A real ``locust`` process in web mode against the local pool, bounded in users and time.

It serves Locust's web UI on 127.0.0.1 (a free port; with ``--processes``, a free master port
too), starts the test itself (``--autostart``) and quits a few seconds after its run time
(``--autoquit``), or, with ``autostart=False``, waits for someone to press Start in the page;
:meth:`LiveLocust.stop` ends it earlier with SIGTERM, which Locust handles as a normal quit
(the summary is written).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.locust.cli import scenario_path
from loadtest.target.launch import free_port
from tests.e2e.locust_runs import master_port_args

_READY_POLLS = 600  # of 0.1 s: a minute at most for Locust to serve its UI


@dataclass(slots=True)
class LiveLocust:
    """A running ``locust`` with its web UI; use as a context manager."""

    scenario: str
    settings: dict[str, str]
    workdir: Path
    users: int = 3
    seconds: int = 40
    extra: tuple[str, ...] = ()
    autostart: bool = True
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "locust-web.log"

    def __enter__(self) -> LiveLocust:
        command = [
            sys.executable, "-m", "locust", "-f", str(scenario_path(self.scenario)),
            "--web-host", "127.0.0.1", "--web-port", str(self.port),
            *(("--autostart", "--autoquit", "3") if self.autostart else ()),
            "-u", str(self.users), "-r", str(self.users),
            "-t", f"{self.seconds}s", "--stop-timeout", "5", *self.extra,
            *master_port_args(self.extra),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env | self.settings, cwd=self.workdir, stdout=log, stderr=log
            )
        self._await_ui()
        return self

    def _await_ui(self) -> None:
        assert self.process is not None
        for _ in range(_READY_POLLS):
            if self.process.poll() is not None:
                raise RuntimeError(f"locust exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"locust's web UI did not come up: {self.output()}")

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> int:
        """SIGTERM (Locust quits as from the UI), then wait; its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def __exit__(self, *_: object) -> None:
        self.stop()
