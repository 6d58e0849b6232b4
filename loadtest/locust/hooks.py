"""Locust glue: each process of a run with ``--cognito-report-dir`` writes the report.

The report (:class:`loadtest.report.run.RunReport`) hangs on the process's
:class:`~loadtest.locust.run.LocustRun`, beside the loop-lag monitor measured here:

- every process that runs users appends to ``events.jsonl`` (one canonical event per login, a
  ``validity`` event every few seconds with its CPU, loop lag, math mode and stock hits and
  misses) and times its event-loop lag while the test runs;
- a Locust worker ships what it has not shipped yet (encoded histograms, counts, its CPU and
  loop lag) to the master with every stats report (``report_to_master``), which merges them
  (``worker_report``). When the test stops, the master asks each worker to stop its users and
  send the rest, and waits for them (bounded by the stop timeout): Locust's own headless quit
  does not wait for the workers' last stats, so without this the tail of a run would be lost;
- the master, or a local runner, writes ``summary.json`` when the test stops and again when
  Locust quits (having stopped the users first if they still run: Locust's own quit on a
  SIGTERM or Ctrl-C fires ``quitting`` before it stops them);
- with Locust's web UI, the "Cognito" tab shows those figures live (:mod:`.web_tab`), and the
  run metadata names the target pool and its settings
  (:mod:`loadtest.report.pool_settings`).

Importing this module registers the listeners (the user module imports it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import gevent
import gevent.event
from locust import events
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING

from loadtest.report.events import has_events
from loadtest.report.pool_settings import pool_settings
from loadtest.report.run import RunReport
from loadtest.report.slo import check, parse_slo
from loadtest.report.summary import run_metadata
from loadtest.report.verdict import verdict
from loadtest.target.config import ConfigError
from loadtest.target.options import target_from

from .loop_lag import LoopLagMonitor
from .run import LocustRun, existing_run, run_for
from .web_tab import install_tab, live_figures

__all__ = ["FLUSH_MESSAGE", "SNAPSHOT_KEY"]

log = logging.getLogger(__name__)

#: Key of our snapshot in a worker's stats report, and the message carrying its last one.
SNAPSHOT_KEY = "cognito_report"
#: The master's request to a worker: stop the users and send what is left.
FLUSH_MESSAGE = "cognito_report_flush"
#: How much longer than Locust's stop timeout the master waits for the workers' last figures.
FINAL_MARGIN_S = 10.0
_TARGET_KEYS = ("endpoint_url", "pool_id", "client_id", "region")
_CONFIG_KEYS = (
    "locustfile",
    "num_users",
    "spawn_rate",
    "run_time",
    "processes",
    "cognito_math",
    "cognito_retries",
    "cognito_workers",
)


def _role(runner: Any) -> str:
    return type(runner).__name__.removesuffix("Runner").lower()  # local, master, worker


def _process_name(runner: Any) -> str:
    role = _role(runner)
    return f"worker-{getattr(runner, 'worker_index', 0)}" if role == "worker" else role


def _metadata(options: Any, run_dir: Path) -> dict[str, Any]:
    target = {key: getattr(options, f"cognito_{key}", None) for key in _TARGET_KEYS}
    configuration = {key: getattr(options, key, None) for key in _CONFIG_KEYS}
    configuration["locustfile"] = str(configuration["locustfile"])
    pool = pool_settings(target)
    return run_metadata(run_id=run_dir.name, target=target, configuration=configuration, pool=pool)


def _show_target(environment: Any, options: Any) -> None:
    """Name the target endpoint as Locust's host, for its web UI: the page's header shows it,
    and its form no longer asks for a host ("One or more User class in your locustfile has
    no host attribute set"), which the Cognito users never read: they call the target of
    the ``cognito-*`` settings. A bad target is left to the checks that refuse it."""
    if environment.host or options is None:
        return
    try:
        environment.host = target_from(options).endpoint_url
    except ConfigError:
        return


def _on_init(environment: Any, runner: Any = None, web_ui: Any = None, **_: Any) -> None:
    options = environment.parsed_options
    folder = getattr(options, "cognito_report_dir", None) if options is not None else None
    if web_ui is not None:
        install_tab(web_ui, lambda: _live(environment))
        _show_target(environment, options)
    if not folder or runner is None:
        return
    _refuse_bad_slos(options)
    run_dir = Path(folder)
    _refuse_a_used_folder(run_dir, _role(runner))
    compress = getattr(options, "cognito_report_events", "jsonl") == "gzip"
    report = RunReport(
        run_dir,
        run=_metadata(options, run_dir),
        process=_process_name(runner),
        compress=compress,
        ships=_role(runner) == "worker",
    )
    run = run_for(environment)
    run.report = report
    run.monitor = monitor = LoopLagMonitor(run.validity)
    role = _role(runner)
    if role == "worker":
        _wire_worker(environment, runner, run, monitor)
    elif role == "master":
        _wire_master(environment, runner, report)
    if role != "master":
        environment.events.test_start.add_listener(lambda **_: monitor.start())
    environment.events.test_start.add_listener(lambda **_: run.test_started())
    if role != "worker":
        environment.events.test_stop.add_listener(lambda **_: _finish(run, monitor, runner))
    environment.events.quitting.add_listener(lambda **_: _quit(environment, report, role))


def _live(environment: Any) -> dict[str, Any] | None:
    """The live figures of this process (a master's: merged from its workers), if measured."""
    run = existing_run(environment)
    return None if run is None or run.report is None else live_figures(run.report.total)


def _wire_worker(environment: Any, runner: Any, run: LocustRun, monitor: LoopLagMonitor) -> None:
    report = run.report
    assert report is not None

    def ship(data: dict[str, Any], **_: Any) -> None:
        run.validity(monitor.drain())
        data[SNAPSHOT_KEY] = report.take()

    def stopped(**_: Any) -> None:
        monitor.stop()
        run.validity(None)
        runner.send_message(SNAPSHOT_KEY, {"snapshot": report.take(), "final": False})

    def flush(**_: Any) -> None:
        runner.stop()  # the master is ending the test: stop users now, then send the rest
        runner.send_message(SNAPSHOT_KEY, {"snapshot": report.take(), "final": True})

    environment.events.report_to_master.add_listener(ship)
    environment.events.test_stop.add_listener(stopped)
    runner.register_message(FLUSH_MESSAGE, flush, concurrent=True)


class _Finals:
    """On the master: which workers have sent their last snapshot of the test."""

    def __init__(self) -> None:
        self.received: set[str] = set()
        self.arrived = gevent.event.Event()

    def wait_for(self, runner: Any, timeout: float) -> None:
        """Ask every connected worker to stop and send the rest; wait for all (bounded)."""
        workers = {c.id for c in runner.clients.all if c.state != STATE_MISSING}
        for worker in workers - self.received:
            runner.send_message(FLUSH_MESSAGE, None, worker)
        with gevent.Timeout(timeout, False):
            while not workers <= self.received:
                self.arrived.clear()
                self.arrived.wait()
        if not workers <= self.received:
            log.warning("cognito report: no final snapshot from %s", workers - self.received)


def _wire_master(environment: Any, runner: Any, report: RunReport) -> None:
    finals = _Finals()

    def merge(data: dict[str, Any], **_: Any) -> None:
        report.merge(data.get(SNAPSHOT_KEY))

    def message(msg: Any, **_: Any) -> None:
        report.merge(msg.data["snapshot"])
        if msg.data["final"]:
            finals.received.add(msg.node_id)
            finals.arrived.set()

    def collect(**_: Any) -> None:
        timeout = float(getattr(environment, "stop_timeout", 0) or 0) + FINAL_MARGIN_S
        finals.wait_for(runner, timeout)

    def restart(**_: Any) -> None:
        finals.received.clear()

    environment.events.worker_report.add_listener(merge)
    environment.events.test_stop.add_listener(collect)
    environment.events.test_start.add_listener(restart)
    runner.register_message(SNAPSHOT_KEY, message)


def _finish(run: LocustRun, monitor: LoopLagMonitor, runner: Any) -> None:
    monitor.stop()
    if _role(runner) == "local":
        run.validity(None)
    if run.report is not None:
        path = run.report.write_summary()
        log.info("cognito report: %s", path)
        if run.started:
            _state_verdict(run, json.loads(path.read_text("utf-8")), path.parent)


def _quit(environment: Any, report: RunReport, role: str) -> None:
    _stop_load(environment.runner)
    monitor = run_for(environment).monitor
    if monitor is not None:
        monitor.stop()
    if role != "worker":
        path = report.write_summary()
        summary = json.loads(path.read_text("utf-8"))
        _check_slos(environment, summary)
        run = run_for(environment)
        if run.started:
            _check_measured(environment, summary)
            _state_verdict(run, summary, path.parent)
    report.close()


def _stop_load(runner: Any) -> None:
    """Stop the users before the last summary: on a SIGTERM or Ctrl-C Locust fires ``quitting``
    before it stops them, so logins ran on while the summary was written (which holds the hub
    for up to a second: their timings grew by it), then ended after the event log closed and
    reached only the test-stop summary, which presented logins ``events.jsonl`` lacks."""
    if runner is not None and runner.state in (STATE_SPAWNING, STATE_RUNNING):
        runner.stop()


def _refuse_a_used_folder(run_dir: Path, role: str) -> None:
    """A report folder that holds another run's events stops the run (exit code 2) before it
    writes any: its events would go into the same log (appended: a run's processes share
    it), and ``report RUN_DIR`` would then mix both runs. Workers write where their master
    checked."""
    if role == "worker" or not has_events(run_dir):
        return
    log.error(
        "cognito: the report folder %s already holds a run's events: name a new one "
        "(--cognito-report-dir; 'cognito-loadtest run' names one per run by default), or "
        "move that run away",
        run_dir,
    )
    raise SystemExit(2)


def _refuse_bad_slos(options: Any) -> None:
    """A malformed SLO stops Locust before the run (exit code 2), not after it."""
    try:
        for text in getattr(options, "cognito_slo", None) or []:
            parse_slo(text)
    except ValueError as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc


def _check_slos(environment: Any, summary: dict[str, Any]) -> None:
    """Log each SLO's result; a failure sets Locust's exit code to 1."""
    texts = getattr(environment.parsed_options, "cognito_slo", None) or []
    results = check(summary, [parse_slo(text) for text in texts])
    for result in results:
        (log.info if result.passed else log.error)("cognito SLO %s", result.line())
    if not all(r.passed for r in results):
        environment.process_exit_code = 1


def _state_verdict(run: LocustRun, summary: dict[str, Any], run_dir: Path) -> None:
    """Say whether the run's latencies can be trusted, in one line, where its user reads first
    (a measured run; one that measured nothing says why in :func:`_check_measured`): when a
    test stops (a web UI's run goes on serving) and at the end, if that changed it."""
    said = verdict(summary)
    if said.measured and said.line != run.verdict:
        run.verdict = said.line
        (log.info if said.trustworthy else log.warning)(
            "cognito: %s; the report: %s", said.line, run_dir / "report.html"
        )


def _check_measured(environment: Any, summary: dict[str, Any]) -> None:
    """A test that ran and completed no login measured nothing: say why in one line (the
    summary's ``no_logins`` flag) and end with exit code 1, not Locust's 0 for no failures."""
    flags = (summary.get("validity") or {}).get("flags") or []
    reasons = [f["reason"] for f in flags if f.get("name") == "no_logins"]
    if reasons:
        log.error("cognito: %s", reasons[0])
        if not environment.process_exit_code:
            environment.process_exit_code = 1


_installed: list[bool] = []


def install() -> None:
    """Register the report's ``init`` hook, once. A locustfile module calls it after adding its
    own ``init`` checks: Locust runs the listeners in that order, so a run refused at start (an
    unreachable endpoint, an unconfirmed pool, identities that fit no user) stops before its
    report folder is made, instead of leaving one whose events start and never end."""
    if not _installed:
        _installed.append(True)
        events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
