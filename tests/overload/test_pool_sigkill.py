"""SIGKILL during a write loop loses nothing that was acknowledged.

A writer creates users, sets their passwords, turns on an MFA preference and confirms devices,
against a two-worker pool; the test SIGKILLs every pool process (workers and parent) in the
middle of it, restarts the pool on the same state file, and checks every write that got a 200
before the kill. (tests/pool/test_restart.py checks that a quiet pool's state survives a kill;
this is the same promise under writes in flight.)
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, App, PoolServer
from tests.pool.helpers import confirm_device, tokens

pytestmark = pytest.mark.e2e

WRITES_BEFORE_KILL = 60
MAX_USERS = 400  # the loop is bounded even if the kill never came


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _kill_all(server: PoolServer) -> list[int]:
    """SIGKILL the workers and the parent at once, as a crash or the OOM killer would."""
    assert server.process is not None
    pids = [*_children(server.process.pid), server.process.pid]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    if server.process.stdout is not None:
        server.process.stdout.close()
    return pids


class Writer(threading.Thread):
    """Writes until the pool dies; records each write only once it is acknowledged."""

    def __init__(self, server: PoolServer, app: App) -> None:
        super().__init__(daemon=True)
        self.idp = server.client(connect_timeout=2, read_timeout=10)
        self.app = app
        self.acked: list[tuple[str, str, str]] = []  # (kind, user, detail)
        self.enough = threading.Event()
        self.stopped_by: str = ""

    def run(self) -> None:
        try:
            for i in range(MAX_USERS):
                self._one(f"w-{i}", device=i % 4 == 0)
                if len(self.acked) >= WRITES_BEFORE_KILL:
                    self.enough.set()
        except Exception as exc:  # the kill: connection refused or reset
            self.stopped_by = type(exc).__name__
        self.enough.set()

    def _one(self, user: str, *, device: bool) -> None:
        pool = self.app.pool_id
        self.idp.admin_create_user(
            UserPoolId=pool,
            Username=user,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}],
        )
        self.acked.append(("created", user, ""))
        self.idp.admin_set_user_password(
            UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True
        )
        self.acked.append(("password", user, ""))
        self.idp.admin_set_user_mfa_preference(
            UserPoolId=pool, Username=user, SMSMfaSettings={"Enabled": True}
        )
        self.acked.append(("mfa", user, ""))
        if device:
            first = tokens(self.idp, self.app, user)
            kept = confirm_device(self.idp, first["AccessToken"], first["NewDeviceMetadata"])
            self.acked.append(("device", user, kept.key))


def _check(idp: Any, app: App, kind: str, user: str, detail: str) -> bool:
    record = idp.admin_get_user(UserPoolId=app.pool_id, Username=user)
    if kind == "created":
        return True
    if kind == "password":
        if record["UserStatus"] != "CONFIRMED":
            return False
        answer = idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=app.client_id,
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )
        return "AuthenticationResult" in answer
    if kind == "mfa":
        return "SMS_MFA" in record.get("UserMFASettingList", [])
    devices = idp.admin_list_devices(UserPoolId=app.pool_id, Username=user)["Devices"]
    return detail in [d["DeviceKey"] for d in devices]


def test_sigkill_mid_write_loop_loses_no_acknowledged_write(pool_server: Any) -> None:
    server: PoolServer = pool_server("--workers", "2", "--no-quotas")
    app = server.provision(device_tracking=True)
    writer = Writer(server, app)
    writer.start()
    assert writer.enough.wait(timeout=120)
    killed = _kill_all(server)
    writer.join(timeout=60)
    assert not writer.is_alive()
    assert writer.stopped_by  # the loop was cut by the kill, not finished
    assert len(killed) == 3  # parent and both workers

    again: PoolServer = pool_server("--workers", "2", "--no-quotas", state=server.state)
    idp = again.client()
    lost = [w for w in writer.acked if not _check(idp, app, *w)]
    kinds = {kind for kind, _, _ in writer.acked}
    print(f"\nsigkill: {len(writer.acked)} acknowledged writes ({sorted(kinds)}), lost {lost}")
    assert lost == []
    assert kinds == {"created", "password", "mfa", "device"}
