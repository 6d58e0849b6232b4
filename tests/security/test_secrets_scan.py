"""One run of every command and scenario against local pools, then a scan of everything it wrote.

The commands run as a user runs them (``python -m loadtest.cli ...`` subprocesses), each one's
standard output and error kept in a file, Locust at DEBUG with its own log file: ``provision``,
``run`` of every scenario in ``scenarios/`` (briefly, each with its report folder), ``report``
(regenerate and compare), ``lockout-probe`` (on a second pool at time scale 0.01), ``teardown``.
Then every log, report and output file is searched for the identities' secrets: passwords, TOTP
seeds (those of the identities file and those the pool holds, so a seed re-enrolled during the
run counts), every TOTP code of those seeds in the run's window, device passwords, the app
client secret, the pool's password and device verifiers, and any token (JWT) at all; and for
every password the run itself generated (sign-up, recovery, password change): those live only in
the Locust processes' memory, so the scan looks for their one shape
(:data:`loadtest.flows.account.GENERATED_PASSWORD`), which every generated password has. The
identities file must be 0600 and the folder ``provision`` made for it 0700.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest

from loadtest.flows.account import GENERATED_PASSWORD, SIGNUP_PREFIX, new_password
from loadtest.locust.cli import SCENARIO_DIR, SCENARIOS
from loadtest.provision.oauth import provision_oauth
from loadtest.target.launch import ALL_FLOWS
from tests.conftest import CAPTCHA_TRIGGERS, App
from tests.flows.scripted import context

from .scan import STEP, files, identity_secrets, pool_secrets, scan, totp_codes, totp_seeds

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
#: Identities per scenario: each run gets its own, since a TOTP step spent by one Locust
#: process is unknown to the next, and runs follow each other within the same 30 s step.
PER_SCENARIO = 3
#: Scenario runs at once: most of a short run is Locust starting and stopping, not load.
PARALLEL_RUNS = 3
#: Every locustfile of scenarios/, with what it needs besides the target.
#: The domain scenarios (managed login, client credentials) also get the domain's options.
DOMAIN_SCENARIOS = frozenset({"managed_login", "managed_login_password", "client_credentials"})
#: Choice-based sign-in and rotation: a pool of their own (every first factor, a relying party,
#: a client with rotation for refresh_rotation) and identities with passkeys, e-mail and phone.
CHOICE_RUNS = frozenset({"user_auth", "passkey", "refresh_rotation"})
RUNS: dict[str, tuple[str, ...]] = {
    n: () for n in SCENARIOS if n not in CHOICE_RUNS
} | {
    "open_logins": ("--cognito-stages", "1:3s", "--cognito-mix", "device=1",
                    "--cognito-drain", "2"),
    "sms_mfa": (),
    "custom_auth": (),
}  # fmt: skip
#: Scenarios whose identities come from a provisioning run of their own (SMS or e-mail MFA,
#: no TOTP).
SMS_RUNS = ("sms_mfa",)
EMAIL_MFA_RUNS = ("email_mfa",)
#: The account journey: identities without TOTP, with a verified e-mail (codes go there), on
#: the same pool, which auto-verifies e-mail for sign-ups.
ACCOUNT_RUNS = ("signup", "forgot_password", "change_password", "profile_update")


class Commands:
    """Runs ``cognito-loadtest`` commands, each one's output kept in ``out/<name>.txt``."""

    def __init__(self, out: Path, env: dict[str, str]) -> None:
        self.out, self.env = out, env
        out.mkdir()

    def __call__(self, name: str, *argv: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "loadtest.cli", *argv],
            env=env or self.env,
            cwd=self.out,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        text = f"$ {' '.join(argv)}\n{done.stdout}\n--- stderr\n{done.stderr}"
        (self.out / f"{name}.txt").write_text(text)
        assert done.returncode == 0, text[-3000:]
        return done.stdout


def environment(client_secret: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "LOCUST_"))}
    env["PYTHONPATH"] = str(ROOT)
    if client_secret:
        env["COGNITO_CLIENT_SECRET"] = client_secret  # never on a command line
    return env


def target(pool: Any, app: Any) -> list[str]:
    return ["--pool-id", app.pool_id, "--endpoint-url", pool.url]


def run_scenario(
    cli: Commands,
    scenario: str,
    pool: Any,
    app: Any,
    ids: Path,
    reports: Path,
    env: dict[str, str] | None = None,
    domain: tuple[str, ...] = (),
):
    folder = reports / scenario
    extra = domain if scenario in DOMAIN_SCENARIOS else ()
    locustfile = scenario if scenario in SCENARIOS else str(SCENARIO_DIR / f"{scenario}.py")
    cli(
        f"run-{scenario}", "run", locustfile, "-u", "2", "-r", "2", "-t", "5s",
        "--report-dir", str(folder), "--csv", str(folder / "locust"),
        "--cognito-pool-id", app.pool_id, "--cognito-client-id", app.client_id,
        "--cognito-endpoint-url", pool.url, "--cognito-identities", str(ids), *extra,
        "--locust", "--loglevel", "DEBUG", "--logfile", str(folder / "locust.log"),
        "--html", str(folder / "locust.html"), "--stop-timeout", "2", *RUNS.get(scenario, ()),
        env=env,
    )  # fmt: skip
    return json.loads((folder / "summary.json").read_text())


def test_no_secret_reaches_a_log_a_report_or_an_output(
    pool_server: Callable[..., Any], tmp_path: Path
) -> None:
    started = time.time()
    private, reports = tmp_path / "private", tmp_path / "reports"
    private.mkdir(mode=0o700)
    pool = pool_server("--no-quotas", *CAPTCHA_TRIGGERS, state=private / "pool.sqlite3")
    app = pool.provision(
        secret=True, mfa="OPTIONAL", device_tracking=True, auto_verified=("email",), ses=True
    )
    pool.client().set_user_pool_mfa_config(
        UserPoolId=app.pool_id,
        SmsMfaConfiguration={"SmsAuthenticationMessage": "{####}"},
        EmailMfaConfiguration={"Message": "Your code is {####}"},
    )
    cli = Commands(tmp_path / "out", environment(app.client_secret))
    ids = private / "identities" / "load.jsonl"  # provision makes the folder

    assert set(RUNS) | CHOICE_RUNS == set(SCENARIOS)  # none left out
    oauth = provision_oauth(pool.client(), app.pool_id, domain="lt-scan")
    cli.env["COGNITO_M2M_CLIENT_SECRET"] = oauth.m2m_client_secret  # never on a command line
    domain = ("--cognito-domain-url", f"{pool.url}/domain/{oauth.domain}",
              "--cognito-oauth-client-id", oauth.code_client_id,
              "--cognito-m2m-client-id", oauth.m2m_client_id)  # fmt: skip
    count = str(
        PER_SCENARIO * (len(RUNS) - len(SMS_RUNS) - len(EMAIL_MFA_RUNS) - len(ACCOUNT_RUNS))
    )
    cli("provision", "provision", "-n", count, "--identities", str(ids), "--run", "scan",
        "--client-id", app.client_id, *target(pool, app))  # fmt: skip
    sms_ids = ids.with_name("sms.jsonl")
    cli("provision-sms", "provision", "-n", str(PER_SCENARIO), "--identities", str(sms_ids),
        "--run", "sms", "--sms-mfa", "--no-totp", "--no-device", "--client-id", app.client_id,
        *target(pool, app))  # fmt: skip
    email_ids = ids.with_name("email-mfa.jsonl")
    cli("provision-email-mfa", "provision", "-n", str(PER_SCENARIO), "--identities",
        str(email_ids), "--run", "email", "--email-mfa", "--no-totp", "--no-device",
        "--client-id", app.client_id, *target(pool, app))  # fmt: skip
    account_ids = ids.with_name("account.jsonl")
    cli("provision-account", "provision", "-n", str(PER_SCENARIO * len(ACCOUNT_RUNS)),
        "--identities", str(account_ids), "--run", "account", "--emails", "--no-totp",
        "--no-device", "--client-id", app.client_id, *target(pool, app))  # fmt: skip
    own = (*SMS_RUNS, *EMAIL_MFA_RUNS, *ACCOUNT_RUNS)
    shares = split(ids, [s for s in RUNS if s not in own])
    shares |= {scenario: sms_ids for scenario in SMS_RUNS}
    shares |= {scenario: email_ids for scenario in EMAIL_MFA_RUNS}
    shares |= split(account_ids, list(ACCOUNT_RUNS))
    choice = Choice.provision(cli, pool_server, private)
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as runs:
        embedded = runs.submit(capacity, cli, private, reports)
        futures = {s: runs.submit(run_scenario, cli, s, pool, app, shares[s], reports,
                                  domain=domain) for s in RUNS}  # fmt: skip
        futures |= {s: runs.submit(choice.run, cli, s, reports) for s in CHOICE_RUNS}
        logins = {s: future.result() for s, future in futures.items()}
        capacity_private = embedded.result()
    cli("report", "report", str(reports / "srp"))
    cli("compare", "report", "--compare", str(reports / "srp"), str(reports / "mix"))
    probe_pool, probe_ids = probe(cli, pool_server, private, reports)
    cli("teardown", "teardown", "--identities", str(ids), *target(pool, app))
    choice.teardown(cli)

    ok = {s: summary["outcomes"]["logins"].get("ok", 0) for s, summary in logins.items()}
    assert all(ok.values()), ok  # every scenario really logged in
    # each of those logins used a password the run generated: there is something to look for
    assert signed_up(pool.state) >= ok["signup"] > 0
    assert ok["forgot_password"] > 0
    assert ok["change_password"] > 0
    capacity_ids = sorted(capacity_private.glob("identities*.jsonl"))
    for path in [ids, probe_ids, choice.ids, *capacity_ids]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (ids.parent, capacity_private):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

    states = [pool.state, probe_pool.state, choice.pool.state, capacity_private / "pool.sqlite"]
    identity_files = [ids, sms_ids, email_ids, account_ids, probe_ids, choice.ids, *capacity_ids]
    secrets, codes = known_secrets(identity_files, states, started)
    # SMS_MFA, EMAIL_OTP and SMS_OTP codes from the message sinks: secrets too
    codes |= sent_codes(pool.state) | sent_codes(choice.pool.state)
    keys = passkey_keys(choice.ids)
    assert len(keys) >= len(CHOICE_RUNS) * PER_SCENARIO * 2  # key material to look for
    secrets |= keys
    logs = [pool.log, probe_pool.log, choice.pool.log, *capacity_private.glob("*.log")]
    scanned = [*files(tmp_path / "out"), *files(reports), *logs]
    assert len(scanned) > 50
    leaks = scan(scanned, secrets, codes, shapes=(GENERATED_PASSWORD,))
    assert leaks == [], "\n".join(leaks)


def capacity(cli: Commands, private: Path, reports: Path) -> Path:
    """A short capacity ramp on the embedded local pool it starts; its private folder."""
    cli("capacity", "capacity", "--mix", "srp=1,device=1", "--start", "2", "--step", "2",
        "--ceiling", "4", "--step-seconds", "3", "--warmup", "1", "--private", str(private),
        "--reports", str(reports), "--run-id", "capacity")  # fmt: skip
    return private / "capacity"


def known_secrets(
    identity_files: list[Path], states: list[Path], started: float
) -> tuple[set[str], set[str]]:
    """Every secret of the identities and pools, and every TOTP code of the run's window."""
    identities = [json.loads(line) for p in identity_files for line in p.read_text().splitlines()]
    secrets = identity_secrets(identities).union(*(pool_secrets(state) for state in states))
    seeds = {i["totp_secret"] for i in identities if i.get("totp_secret")}
    seeds = seeds.union(*(totp_seeds(state) for state in states))
    return secrets, totp_codes(seeds, started - STEP, time.time() + STEP)


def passkey_keys(identities: Path) -> set[str]:
    """Every line of every passkey private key's PEM body (a leak of part of a key, or of the
    key JSON-escaped, still shows whole base64 lines)."""
    keys = (json.loads(line).get("passkey", {}).get("private_key", "") for line in
            identities.read_text().splitlines())  # fmt: skip
    lines = {line for pem in keys for line in pem.splitlines() if "-----" not in line}
    return {line for line in lines if len(line) >= 32}


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """A pool for choice-based sign-in and rotation, its clients, and provisioned identities
    with passkeys, reserved e-mail addresses and fictional phone numbers."""

    pool: Any
    app: App
    rotating: App
    ids: Path
    shares: dict[str, Path]

    @classmethod
    def provision(cls, cli: Commands, pool_server: Callable[..., Any], private: Path) -> Choice:
        pool = pool_server("--no-quotas", state=private / "choice.sqlite3")
        app, rotating = choice_pool(pool), choice_pool(pool, rotation=True)
        ids = private / "identities" / "choice.jsonl"
        cli("provision-choice", "provision", "-n", str(PER_SCENARIO * len(CHOICE_RUNS)),
            "--no-totp", "--no-device", "--passkeys", "--emails", "--phones", "--identities",
            str(ids), "--run", "choice", "--client-id", app.client_id, *target(pool, app),
            env=environment(app.client_secret))  # fmt: skip
        shares = split(ids, sorted(CHOICE_RUNS))
        return cls(pool=pool, app=app, rotating=rotating, ids=ids, shares=shares)

    def run(self, cli: Commands, scenario: str, reports: Path) -> Any:
        app = self.rotating if scenario == "refresh_rotation" else self.app
        env = environment(app.client_secret)
        return run_scenario(cli, scenario, self.pool, app, self.shares[scenario], reports, env=env)

    def teardown(self, cli: Commands) -> None:
        cli("teardown-choice", "teardown", "--identities", str(self.ids),
            *target(self.pool, self.app), env=environment(self.app.client_secret))  # fmt: skip


def choice_pool(pool: Any, *, rotation: bool = False) -> App:
    """The USER_AUTH pool (made once) and a client with a secret allowing USER_AUTH."""
    idp = pool.client()
    pools = idp.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == "choice"), None)
    if pool_id is None:
        factors = {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]}
        created = idp.create_user_pool(PoolName="choice", Policies={"SignInPolicy": factors})
        pool_id = created["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost"}
        )
    extra = {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}
    client = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="choice", GenerateSecret=True,
        ExplicitAuthFlows=[*ALL_FLOWS, "ALLOW_USER_AUTH"], **(extra if rotation else {}),
    )["UserPoolClient"]  # fmt: skip
    return App(pool_id=pool_id, client_id=client["ClientId"], client_secret=client["ClientSecret"])


def probe(
    cli: Commands, pool_server: Callable[..., Any], private: Path, reports: Path
) -> tuple[Any, Path]:
    """Two synthetic users on a pool at time scale 0.01, and a lockout probe of them."""
    pool = pool_server("--no-quotas", "--time-scale", "0.01", state=private / "probe.sqlite3")
    app = pool.provision(secret=True)
    env = environment(app.client_secret)
    ids = private / "identities" / "probe.jsonl"
    cli("provision-probe", "provision", "-n", "2", "--no-totp", "--no-device",
        "--identities", str(ids), "--run", "probe", "--client-id", app.client_id,
        *target(pool, app), env=env)  # fmt: skip
    cli("lockout-probe", "lockout-probe", "--identities", str(ids), "--count", "2",
        "--failures", "7", "--time-scale", "0.01", "--reports", str(reports), "--run-id",
        "probe", "--client-id", app.client_id, *target(pool, app), env=env)  # fmt: skip
    cli("teardown-probe", "teardown", "--prefix", "lt-probe-", *target(pool, app), env=env)
    return pool, ids


def signed_up(state: Path) -> int:
    """Users the sign-up scenario made (each with a password the run generated)."""
    with contextlib.closing(sqlite3.connect(state)) as db:
        row = db.execute(
            "SELECT COUNT(*) FROM users WHERE username LIKE ?", (SIGNUP_PREFIX + "%",)
        ).fetchone()
    return int(row[0])


def sent_codes(state: Path) -> set[str]:
    """Every code the pool's message sink holds (SMS_MFA codes sent during the runs)."""
    with contextlib.closing(sqlite3.connect(state)) as db:
        return {str(row[0]) for row in db.execute("SELECT code FROM messages")}


def split(ids: Path, scenarios: Iterable[str]) -> dict[str, Path]:
    """The identities file cut into one file (0600) per scenario, beside it."""
    lines = ids.read_text().splitlines(keepends=True)
    shares = {}
    for index, scenario in enumerate(scenarios):
        share = ids.with_name(f"{scenario}.jsonl")
        fd = os.open(share, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(lines[index * PER_SCENARIO : (index + 1) * PER_SCENARIO])
        shares[scenario] = share
    return shares


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    seed = pyotp.random_base32()
    now = time.time()
    codes = totp_codes({seed}, now, now)
    (code,) = codes
    planted = {
        "a.log": "login ok password=Sup3r-s3cret!",
        "b.json": '{"t": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}',
        "c.txt": f"sent code {code} at step",
        "d.txt": f"ms 1.{code} and id ab{code} are not codes",
        "e.json": json.dumps({"event": "signup", "p": new_password(context())}),
    }
    for name, text in planted.items():
        (tmp_path / name).write_text(text)
    # a compressed events segment, its last member cut short as a killed writer leaves it
    member = gzip.compress(b'{"event":"login","p":"Sup3r-s3cret!"}\n')
    (tmp_path / "events-local-0000.jsonl.gz").write_bytes(member + member[:-6])
    leaks = scan(files(tmp_path), {"Sup3r-s3cret!"}, codes, shapes=(GENERATED_PASSWORD,))
    assert sorted(leak.split(":")[0].rsplit("/", 1)[1] for leak in leaks) == [
        "a.log",
        "b.json",
        "c.txt",
        "e.json",
        "events-local-0000.jsonl.gz",
    ]


def test_every_generated_password_has_the_shape_the_scan_looks_for() -> None:
    ctx = context()
    passwords = {new_password(ctx) for _ in range(200)}
    assert len(passwords) == 200
    assert all(GENERATED_PASSWORD.fullmatch(p) for p in passwords)
