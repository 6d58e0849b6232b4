"""End to end: managed-login sign-ins the end of a run cuts short are recorded as the API
users' logins are (``tests/e2e/test_stopped_logins.py``), so the report's count of each step is
Locust's, and a run in which no sign-in completed says it measured nothing (exit code 1).

A managed-login user (:mod:`loadtest.locust.hosted`) is a browser going through the domain's
pages; Locust kills it wherever it is, often between two pages of a sign-in whose first steps it
has already counted. The pool holds every answer of one page for longer than the run
(``--fault latency:40s/<endpoint>``), so every user is between two pages when the run ends,
whatever the machine's speed: the users with temporary passwords after the new-password page
(their new password already set), the TOTP users after the password, on the code page, and
the users with neither, ended by a SIGTERM, after the password, at the code exchange.
"""

from __future__ import annotations

import csv
import json
import select
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from loadtest.flows import Identity, dump_identities, load_identities
from loadtest.flows.account import GENERATED_PASSWORD
from loadtest.provision.oauth import provision_oauth
from loadtest.report import read_events, schema
from tests.conftest import App, PoolServer, StartPool

from .locust_runs import PASSWORD, provision
from .test_stopped_logins import STALL_S, USERS, finish, start

pytestmark = pytest.mark.e2e

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
AUTHORIZE, FORM, SIGN_IN = "GET /oauth2/authorize", "GET /login", "POST /login"


Ending = Callable[[subprocess.Popen[bytes], Path, str], None]


def run_time(process: subprocess.Popen[bytes], workdir: Path, last: str) -> None:
    """The run ends by its run time (``-t 6s``): every user is held long before."""


def sigterm(process: subprocess.Popen[bytes], workdir: Path, last: str) -> None:
    """SIGTERM (as Ctrl-C; Locust fires ``quitting`` before it stops the users) once Locust's
    stats count every user's ``last`` step before the held page (bounded: 60 s)."""
    stats = workdir / "locust_stats.csv"  # rewritten by Locust once a second
    for _ in range(600):
        if process.poll() is not None or _count(stats, last) >= USERS:
            break
        select.select([], [], [], 0.1)
    process.send_signal(signal.SIGTERM)


def _count(stats: Path, name: str) -> int:
    """Locust's count of ``name`` so far (0 until its CSV has the row; a file read while
    Locust rewrites it may be cut short: read again at the next poll)."""
    if not stats.is_file():
        return 0
    with stats.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("Name") == name]
    try:
        return int(rows[0]["Request Count"]) if rows else 0
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A managed-login scenario, its identities, the page whose answer the pool holds and how
    the run ends."""

    scenario: str
    identities: Callable[[PoolServer, App, Path], None]
    held: str
    #: the steps each sign-in completes before the held one
    steps: tuple[str, ...]
    ending: Ending = run_time

    @property
    def flow(self) -> str:
        return f"login:{self.scenario}"


def temporary(server: PoolServer, app: App, path: Path) -> None:
    """Users with a temporary password (AdminCreateUser's): their first sign-in passes the
    new-password page."""
    names = [f"temporary{index}" for index in range(2 * USERS)]
    for name in names:
        server.add_user(app, name, PASSWORD, permanent=False)
    dump_identities([Identity(username=name, password=PASSWORD) for name in names], path)


def totp(server: PoolServer, app: App, path: Path) -> None:
    """Users with TOTP enrolled: each sign-in passes the code page."""
    provision(server, app, 2 * USERS, path, totp=True)


def plain(server: PoolServer, app: App, path: Path) -> None:
    """Users with a permanent password and no second factor: no page after the password."""
    provision(server, app, 2 * USERS, path, totp=False)


CASES = [
    Case(scenario="managed_login_password", identities=temporary, held="oauth2/token",
         steps=(AUTHORIZE, FORM, SIGN_IN, "POST /forceChangePassword")),
    Case(scenario="managed_login", identities=totp, held="mfa",
         steps=(AUTHORIZE, FORM, SIGN_IN)),
    Case(scenario="managed_login_password", identities=plain, held="oauth2/token",
         steps=(AUTHORIZE, FORM, SIGN_IN), ending=sigterm),
]  # fmt: skip
IDS = ["new_password", "totp", "sigterm"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sign_ins_the_stop_cuts_short_are_recorded_and_the_step_totals_are_locusts(
    pool_server: StartPool, tmp_path: Path, case: Case
) -> None:
    server = pool_server("--no-quotas", "--fault", f"latency:{STALL_S}s/{case.held}")
    app = server.provision(mfa="OPTIONAL")
    setup = provision_oauth(server.client(), app.pool_id, domain="lt-stopped")
    identities = tmp_path / "identities.jsonl"
    case.identities(server, app, identities)
    report = tmp_path / "report"
    settings = {
        "COGNITO_DOMAIN_URL": f"{server.url}/domain/{setup.domain}",
        "COGNITO_OAUTH_CLIENT_ID": setup.code_client_id,
        "COGNITO_OAUTH_IDENTITIES": str(identities),
        "COGNITO_REPORT_DIR": str(report),
    }
    scenario = str(SCENARIOS / f"{case.scenario}.py")
    seconds = "6s" if case.ending is run_time else "60s"
    args = ("-t", seconds, "--host", server.url, "--csv", "locust")
    process = start(settings, tmp_path, *args, scenario=scenario)
    case.ending(process, tmp_path, case.steps[-1])
    final = finish(process, tmp_path, code=1)  # no sign-in completed: nothing measured

    lines = list(read_events(report / "events.jsonl"))
    summary = json.loads((report / "summary.json").read_text())
    jsonschema.validate(summary, schema())
    logins = [e for e in lines if e["event"] == "login"]

    # every user was held in its first sign-in: each is in the report as stopped, with the
    # steps it completed, before the report closed
    assert len(logins) == USERS, logins
    assert [e["event"] for e in lines][-1] == "run_finished"
    assert all(e["outcome"] == "stopped" and e["error_type"] == "LoginStopped" for e in logins)
    assert {e["flow"] for e in logins} == {case.flow}
    assert all([s.get("label") for s in e["steps"]] == list(case.steps) for e in logins), logins

    # the report's steps are Locust's, label by label, exactly (the held one in neither)
    locust = {name: stat.requests for (kind, name), stat in final.items() if kind == "cognito"}
    assert {k for k, _ in final} == {"cognito"}, final
    assert locust == dict.fromkeys(case.steps, USERS)
    assert {name: row["count"] for name, row in summary["requests"].items()} == locust
    assert sum(summary["outcomes"]["calls"].values()) == sum(locust.values())

    # the cut sign-ins are counted apart, and in no latency figure or login outcome
    calls = USERS * len(case.steps)
    assert summary["stopped"] == {
        "logins": USERS,
        "calls": calls,
        "by_flow": {case.flow: {"logins": USERS, "calls": calls}},
    }
    assert summary["outcomes"]["logins"] == {}
    assert summary["validity"]["judged"] == {"logins": 0}
    assert summary["validity"]["excluded"] == {"stopped": USERS}
    assert case.flow not in summary["flows"]
    assert case.flow not in summary["server_time"]
    flags = summary["validity"]["flags"]
    assert [f["name"] for f in flags] == ["no_logins"], flags
    why = f"the logins it made are left out of the figures: {USERS} cut short by the end of the run"
    assert flags[0]["reason"].endswith(why)
    page = (report / "report.html").read_text()
    assert "Nothing measured: no login completed." in page
    assert why in page
    log = (tmp_path / "locust.log").read_text()
    errors = [line for line in log.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert errors[0].endswith(why), errors
    assert "[info     ] login" not in log, "a login was printed after the report closed"
    if case.identities is temporary:
        _new_passwords_are_kept(server, app, identities, tmp_path)


def _new_passwords_are_kept(server: PoolServer, app: App, identities: Path, workdir: Path) -> None:
    """A sign-in cut after the new-password page keeps the password it set there: the next run
    reads it (the pool would refuse the temporary one), and no report or log holds it."""
    changed = [i for i in load_identities(identities) if i.password != PASSWORD]
    assert len(changed) == USERS
    assert all(GENERATED_PASSWORD.fullmatch(i.password or "") for i in changed)
    idp = server.client()
    for identity in changed:
        answer = idp.admin_initiate_auth(
            UserPoolId=app.pool_id,
            ClientId=app.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": identity.username, "PASSWORD": identity.password},
        )
        assert "AuthenticationResult" in answer
    outputs = [workdir / "locust.log", workdir / "locust.json", *(workdir / "report").rglob("*")]
    written = "".join(f.read_text() for f in outputs if f.is_file())
    assert GENERATED_PASSWORD.findall(written) == []
