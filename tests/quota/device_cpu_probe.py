"""Not a test: the one-off probe behind the planning note's device figure.

Generator CPU per login of ``scenarios/device.py`` (identities with TOTP and a registered
device, so every login is the ``device`` profile) and of ``scenarios/srp.py``, side by side,
with the generator suite's own pieces (:func:`benchmarks._locust.run_locust`, the same
probe, 20 users, 2 s warm-up, 8 s window), against a local pool without quotas. The generator
suite has no device case; docs/capacity-planning.md uses SRP's suite figure times the
device/SRP ratio printed here. Takes about a minute::

    .venv/bin/python -m tests.quota.device_cpu_probe
"""

from __future__ import annotations

import json
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import srp_fast
from benchmarks._locust import LocustRun, Probe, run_locust
from benchmarks._target import App, create_users, write_identities
from loadtest.drivers import SyncDriver, Urllib3Transport
from loadtest.flows import FlowContext, LoginOptions, srp_login
from loadtest.locust.cli import scenario_path
from loadtest.target import launch
from loadtest.target.launch import LOCAL_CREDENTIALS_ENV, local_pool

USERS, ROUNDS = 20, 2
FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


def identity_files(app: App, workdir: Path) -> dict[str, Path]:
    """TOTP identities with registered devices for device.py; plain ones for srp.py."""
    devices = create_users(app, "dev-", 2 * USERS + 8, totp=True)
    plain = create_users(app, "plain-", 2 * USERS + 8, totp=False)
    driver = SyncDriver(Urllib3Transport(app.url))
    ctx = FlowContext(
        client=app.app_client, clock=lambda: datetime.now(UTC), ephemerals=srp_fast.new_ephemeral
    )
    for identity in devices:  # the first login registers the device (device_new)
        driver.run(srp_login(identity, ctx, LoginOptions(remember_device=True)))
    return {
        "device": write_identities(devices, workdir / "device.jsonl"),
        "srp": write_identities(plain, workdir / "srp.jsonl"),
    }


def probe(app: App, scenario: str, identities: Path, name: str, workdir: Path) -> float:
    argv = [
        "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
        "--cognito-endpoint-url", app.url, "--cognito-identities", str(identities),
        "--cognito-math", "threads",
    ]  # fmt: skip
    run = LocustRun(
        name=name,
        locustfile=scenario_path(scenario),
        users=USERS,
        argv=argv,
        env=LOCAL_CREDENTIALS_ENV,
    )
    result = run_locust(run, Probe(warmup=2.0, window=8.0), workdir)
    print(
        f"{name}: {result.logins_per_s:.1f} logins/s, {result.cpu_ms_per_login:.2f} ms CPU/login, "
        f"failures {result.failures}/{result.csv_failures}",
        flush=True,
    )
    return result.cpu_ms_per_login


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="device-cpu-") as tmp:
        workdir = Path(tmp)
        with local_pool(workdir / "pool.sqlite", ["--no-quotas"]) as pool:
            local = launch.create_app(pool.url, name="device-cpu", flows=FLOWS)
            app = App(url=pool.url, pool_id=local.pool_id, client_id=local.client_id)
            files = identity_files(app, workdir)
            runs: dict[str, list[float]] = {"device": [], "srp": []}
            for r in range(ROUNDS):
                for scenario, samples in runs.items():
                    samples.append(
                        probe(app, scenario, files[scenario], f"{scenario}-{r}", workdir)
                    )
    medians = {scenario: statistics.median(samples) for scenario, samples in runs.items()}
    print(
        json.dumps(
            {
                **medians,
                "device_over_srp": medians["device"] / medians["srp"],
                "runs": runs,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
