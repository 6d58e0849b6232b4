"""``summary.json``: what a run measured, in a documented, versioned shape.

The shape is ``summary.schema.json`` beside this module (JSON Schema 2020-12); ``SCHEMA_VERSION``
changes with it (a new optional field is a minor change, anything else a major one). Every
latency is in milliseconds, read from HDR histograms kept to 3 significant digits; each row
carries its histogram encoded (HdrHistogram's compressed base64), so nothing is lost.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

from loadtest.protocol.quotas import (
    CHALLENGE_ALLOWANCE_FACTOR,
    CHALLENGE_OPERATIONS,
    DEFAULT_RPS,
    QuotaCategory,
)

from .aggregate import Aggregate, quota_category
from .events import read_events
from .histograms import stats

__all__ = [
    "LOCKOUT_SUMMARY",
    "SCHEMA_VERSION",
    "SUMMARY_FILE",
    "build_summary",
    "fold_lockout_probe",
    "identity_waits",
    "run_metadata",
    "schema",
    "unfinished",
    "validity",
    "waited_for_identities",
    "write_summary",
]

SCHEMA_VERSION = "1.7"
SUMMARY_FILE = "summary.json"
LOCKOUT_SUMMARY = "lockout-summary.json"
LOCKOUT_EVENTS = "lockout-events.jsonl"
#: Most probe attempts the summary keeps for the lockout timeline.
MAX_PROBE_ATTEMPTS = 5000
#: A process whose CPU use passes this share of a core may have delayed its own timings.
CPU_WARNING = 0.85
#: Event-loop lag p99 above this (ms) makes latencies untrustworthy.
LAG_WARNING_MS = 10.0
#: A login whose client compute took longer than this (ms) was slowed by the generator: the
#: protocol's floor is one exponentiation of a few ms.
COMPUTE_MAX_MS = 50.0
#: Client compute p99 above this share of the login p99 (per flow) is a material part of what
#: the run calls login latency: the maths rivals the server time. Against the local pool a
#: healthy login's maths is already a fifth to a third of it (a few ms against ~10 ms of
#: server time), so a lower share would flag every local run.
COMPUTE_SHARE_WARNING = 0.5
#: Most rows the timeline keeps (its buckets widen to fit).
TIMELINE_ROWS = 300
_PACKAGES = ("cognito-loadtest", "locust", "gmpy2", "structlog", "hdrhistogram", "gevent")


def schema() -> dict[str, Any]:
    """The JSON Schema of ``summary.json``."""
    text = files("loadtest.report").joinpath("summary.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def run_metadata(
    *,
    run_id: str,
    target: dict[str, Any],
    configuration: dict[str, Any],
    pool: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's identity: id, target, configuration, versions, git revision, host, and the
    target pool's settings (:func:`loadtest.report.pool_settings.pool_settings`)."""
    return {
        "run_id": run_id,
        "target": target,
        "configuration": configuration,
        "versions": {"python": platform.python_version()} | _versions(),
        "git_revision": _git_revision(),
        "host": platform.node(),
        "pool": pool,
    }


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _git_revision() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def build_summary(
    aggregate: Aggregate, run: dict[str, Any], *, source: str, run_dir: Path | None = None
) -> dict[str, Any]:
    """The summary of an aggregate; the lockout probe's summary is folded in if ``run_dir``
    holds one."""
    duration = _duration(aggregate)
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "run": run | {"duration_s": duration},
        "requests": _rows(aggregate, "requests", aggregate.by_label, duration),
        "flows": _rows(aggregate, "flows", aggregate.by_flow, duration),
        "server_time": aggregate.histograms["server"].stats(),
        "client_compute": aggregate.histograms["compute"].stats(),
        "out_of_band": aggregate.histograms["out_of_band"].stats(),
        "outcomes": {g: dict(aggregate.counts[g]) for g in ("calls", "logins")},
        "stopped": _stopped(aggregate),
        "errors": dict(aggregate.counts["errors"]),
        "throttles": _throttles(aggregate),
        "lockouts": {
            "total": sum(aggregate.counts["lockouts"].values()),
            "by_flow": dict(aggregate.counts["lockouts"]),
        },
        "quotas": _quotas(aggregate, duration),
        "timeline": _timeline(aggregate),
        "validity": _validity(aggregate),
        "lockout_probe": None,
    }
    if run_dir is not None:
        fold_lockout_probe(summary, run_dir)
    return summary


def unfinished(summary: Mapping[str, Any]) -> str | None:
    """One sentence if the run's events end before the run did (``run.unfinished``, 1.7: a
    process killed, crashed or still running when its summary was regenerated), else ``None``:
    its figures are right for what it measured, but cover less than was asked."""
    run: Mapping[str, Any] = summary.get("run") or {}
    processes = run.get("unfinished") or []
    if not processes:
        return None
    which = ", ".join(str(p) for p in processes)
    asked = (run.get("configuration") or {}).get("run_time")
    duration = run.get("duration_s")
    covered = "it recorded no figures"
    if duration is not None:
        covered = f"its figures cover {duration} s" + (f" of the {asked} s asked" if asked else "")
    return (
        f"the run did not finish: no end recorded by process {which} (killed, crashed, or "
        f"still running); {covered}"
    )


def _duration(aggregate: Aggregate) -> float | None:
    """From the test's start (its first ``test_started`` event) to the last event that carries
    figures; events from before 1.6 have no start, and span from their first login. Events
    that span no time lasted as long as the longest-lived process measured, not 0 s."""
    span = None
    if aggregate.first_ts is not None and aggregate.last_ts is not None:
        span = round(aggregate.last_ts - aggregate.first_ts, 3)
    if span:
        return span
    walls = [float(p["wall_s"]) for p in aggregate.processes.values() if p.get("wall_s")]
    return round(max(walls), 3) if walls else span


def _rows(
    aggregate: Aggregate, group: str, outcomes: dict[str, Any], duration: float | None
) -> dict[str, Any]:
    rows = aggregate.histograms[group].stats()
    for name, row in rows.items():
        row["outcomes"] = dict(outcomes.get(name, {}))
        row["rate_per_s"] = round(row["count"] / duration, 3) if duration else None
        if group == "requests":
            row["quota_category"] = quota_category(name)
    return rows


def _stopped(aggregate: Aggregate) -> dict[str, Any]:
    """Logins the end of the run cut short, by flow, and the calls they completed: those calls
    are in ``requests`` and ``outcomes.calls`` (Locust counted them), the logins in no latency
    figure and no login outcome."""
    by_flow = aggregate.counts["stopped"]
    calls = aggregate.counts["stopped_calls"]
    rows = {flow: {"logins": n, "calls": calls[flow]} for flow, n in sorted(by_flow.items())}
    return {"logins": sum(by_flow.values()), "calls": sum(calls.values()), "by_flow": rows}


def _throttles(aggregate: Aggregate) -> dict[str, Any]:
    by_category = dict(aggregate.counts["throttles"])
    calls = sum(aggregate.counts["calls"].values())
    total = sum(by_category.values())
    return {"total": total, "rate": total / calls if calls else 0.0, "by_category": by_category}


def _timeline(aggregate: Aggregate) -> dict[str, Any]:
    """Logins per second by outcome, and throttled calls per second, over the run; in buckets
    of whole seconds, wide enough to keep at most ``TIMELINE_ROWS`` rows."""
    if not aggregate.timeline:
        return {"start": None, "bucket_s": 1, "rows": []}
    start, end = min(aggregate.timeline), max(aggregate.timeline)
    bucket = max(1, math.ceil((end - start + 1) / TIMELINE_ROWS))
    rows: dict[int, Counter[str]] = {}
    for second, counts in aggregate.timeline.items():
        rows.setdefault((second - start) // bucket, Counter()).update(counts)
    return {
        "start": start,
        "bucket_s": bucket,
        "rows": [
            {"t": index * bucket} | {k: v / bucket for k, v in sorted(rows[index].items())}
            for index in range(max(rows) + 1)
            if index in rows
        ],
    }


def _quotas(aggregate: Aggregate, duration: float | None) -> dict[str, Any]:
    """Achieved calls per second by quota category against the category's default quota.

    Challenge responses count first against their own allowance (3x UserAuthentication's), so
    they are shown apart, as ``UserAuthentication:challenges``.
    """
    calls: Counter[str] = Counter()
    for label, outcomes in aggregate.by_label.items():
        calls[_quota_key(label)] += sum(outcomes.values())
    view = {}
    for key, count in sorted(calls.items()):
        quota = _quota_rps(key)
        rate = count / duration if duration else None
        share = rate / quota if rate is not None and quota else None
        view[key] = {"calls": count, "rate_per_s": _round(rate), "quota_rps": quota}
        view[key]["share_of_quota"] = _round(share)
    return view


def _quota_key(label: str) -> str:
    category = quota_category(label)
    operation = label.partition(":")[0]
    if category == QuotaCategory.USER_AUTHENTICATION and operation in CHALLENGE_OPERATIONS:
        return f"{category}:challenges"
    return category


def _quota_rps(key: str) -> float | None:
    category, _, challenges = key.partition(":")
    try:
        quota = DEFAULT_RPS[QuotaCategory(category)]
    except ValueError:
        return None
    return float(quota * (CHALLENGE_ALLOWANCE_FACTOR if challenges else 1))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def validity(aggregate: Aggregate) -> dict[str, Any]:
    """The ``validity`` section of :func:`build_summary`, alone (the web UI's live tab)."""
    return _validity(aggregate)


def _validity(aggregate: Aggregate) -> dict[str, Any]:
    """Whether the generator distorted what it measured, and if so how: each flag its name and
    reason in ``flags``; ``warnings`` repeats the reasons (the 1.0 shape). It judges the logins
    the summary presents (``judged``), not those it left out (``excluded``, by reason: the open
    model's warm-up)."""
    processes = []
    for name, figures in sorted(aggregate.processes.items()):
        wall = figures["wall_s"]
        use = figures["cpu_s"] / wall if wall > 0 else 0.0
        processes.append({"process": name, **figures, "cpu_share_of_core": round(use, 3)})
    lag = aggregate.histograms["loop_lag"].by_name.get("loop_lag")
    lag_row = stats(lag) if lag is not None else None
    loop_lag = {
        key: (lag_row[key] if lag_row else None) for key in ("p50", "p99", "max", "histogram")
    }
    loop_lag = {"count": lag_row["count"] if lag_row else 0} | loop_lag
    stock = _stock(aggregate, processes)
    judged = sum(aggregate.counts["logins"].values())
    waits = identity_waits(processes)
    flagged = _flags(aggregate, processes, loop_lag, stock)
    flagged += _nothing_measured(judged, dict(aggregate.counts["excluded"]), waits)
    return {
        "processes": processes,
        "loop_lag_ms": loop_lag,
        "judged": {"logins": judged},
        "excluded": dict(aggregate.counts["excluded"]),
        "stock": stock,
        "identity_waits": waits,
        "flags": [{"name": flag, "reason": text} for flag, text in flagged],
        "warnings": [text for _, text in flagged],
        "trustworthy": not flagged,
    }


def _stock(aggregate: Aggregate, processes: list[dict[str, Any]]) -> dict[str, Any]:
    """The ephemeral stock's hits and misses over every process, and misses per flow."""
    return {
        "hits": sum(int(p.get("stock_hits", 0)) for p in processes),
        "misses": sum(int(p.get("stock_misses", 0)) for p in processes),
        "misses_by_flow": dict(aggregate.counts["stock_misses"]),
    }


def waited_for_identities(waits: Mapping[str, Any]) -> str:
    """The identity waits of :func:`identity_waits` in words (the report's and the flag's)."""
    return (
        f"users waited {waits['waits']} times, {waits['seconds']:.1f} s in all, for an identity "
        "free to sign in (each was leased, or had sent its code of the current TOTP step: "
        "Cognito takes each code once)"
    )


def identity_waits(processes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How often and how long users waited for an identity free to sign in, over every process:
    not a distortion of the timings (a login's clock starts after its lease), but the run
    offered less load than its users could: its identities bound it."""
    rows = list(processes)
    return {
        "waits": sum(int(p.get("identity_waits", 0)) for p in rows),
        "seconds": round(sum(float(p.get("identity_wait_s", 0)) for p in rows), 3),
    }


Flag = tuple[str, str]


def _flags(
    aggregate: Aggregate,
    processes: list[dict[str, Any]],
    loop_lag: dict[str, Any],
    stock: dict[str, Any],
) -> list[Flag]:
    return (
        _cpu_flags(processes)
        + _lag_flags(loop_lag)
        + _compute_flags(aggregate)
        + _stock_flags(processes, stock)
    )


def _cpu_flags(processes: list[dict[str, Any]]) -> list[Flag]:
    return [
        (
            "generator_cpu",
            f"process {p['process']} used {p['cpu_share_of_core']:.0%} of a core "
            f"(over {CPU_WARNING:.0%}): the generator may have delayed its own timings",
        )
        for p in processes
        if p["cpu_share_of_core"] > CPU_WARNING
    ]


def _lag_flags(loop_lag: dict[str, Any]) -> list[Flag]:
    if loop_lag["p99"] is None or loop_lag["p99"] <= LAG_WARNING_MS:
        return []
    return [
        (
            "loop_lag",
            f"event-loop lag p99 {loop_lag['p99']:.3g} ms (over {LAG_WARNING_MS:g} ms): "
            "latencies include time the generator spent not reading answers",
        )
    ]


def _compute_flags(aggregate: Aggregate) -> list[Flag]:
    """Client compute that is a material part of login latency, per flow."""
    flags: list[Flag] = []
    logins = aggregate.histograms["flows"].stats()
    for flow, row in sorted(aggregate.histograms["compute"].stats().items()):
        if row["max"] is not None and row["max"] > COMPUTE_MAX_MS:
            flags.append(
                (
                    "client_compute_max",
                    f"{flow}: a login spent {row['max']:.3g} ms on client maths (over "
                    f"{COMPUTE_MAX_MS:g} ms): the generator, not the pool, made it slow",
                )
            )
        login_p99 = logins.get(flow, {}).get("p99")
        if login_p99 and row["p99"] is not None and row["p99"] > COMPUTE_SHARE_WARNING * login_p99:
            flags.append(
                (
                    "client_compute_share",
                    f"{flow}: client compute p99 {row['p99']:.3g} ms is over "
                    f"{COMPUTE_SHARE_WARNING:.0%} of the login p99 {login_p99:.3g} ms",
                )
            )
    return flags


def _stock_flags(processes: list[dict[str, Any]], stock: dict[str, Any]) -> list[Flag]:
    flags: list[Flag] = []
    inline = [p["process"] for p in processes if p.get("math") == "inline"]
    if inline:
        flags.append(
            (
                "inline_maths",
                f"maths ran inline on the event loop in {', '.join(inline)} "
                "(--cognito-math inline): every exponentiation held up every user",
            )
        )
    misses = max(stock["misses"], sum(stock["misses_by_flow"].values()))
    if misses:
        flags.append(
            (
                "stock_misses",
                f"{misses} login{'s' if misses != 1 else ''} waited for an ephemeral the stock "
                "did not have "
                f"({stock['hits']} taken from it): their latency includes client maths",
            )
        )
    return flags


#: Why logins were left out of the figures (``validity.excluded``), in words.
_EXCLUDED = {"warmup": "in the schedule's warm-up", "stopped": "cut short by the end of the run"}


def _nothing_measured(
    judged: int, excluded: Mapping[str, int], waits: Mapping[str, Any]
) -> list[Flag]:
    """A run that presents no login measured nothing of the pool: there is no latency to
    trust, whatever the generator's own figures say. Why, when the run knows: its users
    waited for identities, or its logins were all left out (warm-up, cut short)."""
    if judged:
        return []
    why = []
    if waits.get("waits"):
        why.append(
            waited_for_identities(waits)
            + "; more identities, or a run longer than a TOTP step, let logins run"
        )
    left_out = [
        f"{count} {_EXCLUDED.get(reason, reason)}"
        for reason, count in sorted(excluded.items())
        if count
    ]
    if left_out:
        why.append(f"the logins it made are left out of the figures: {', '.join(left_out)}")
    reason = "no login completed, so nothing here measures the pool"
    return [("no_logins", reason + (": " + "; ".join(why) if why else ""))]


def fold_lockout_probe(summary: dict[str, Any], run_dir: Path) -> None:
    """Put the lockout probe's ``lockout-summary.json`` (if the run folder has one) into the
    summary's ``lockout_probe`` section, with its attempts over time (``attempts``: from
    ``lockout-events.jsonl``, at most ``MAX_PROBE_ATTEMPTS``) for the lockout timeline."""
    path = run_dir / LOCKOUT_SUMMARY
    if path.is_file():
        probe = json.loads(path.read_text("utf-8"))
        events = run_dir / LOCKOUT_EVENTS
        attempts = _probe_attempts(events) if events.is_file() else []
        probe["attempts"] = attempts[:MAX_PROBE_ATTEMPTS]
        probe["attempts_truncated"] = len(attempts) > MAX_PROBE_ATTEMPTS
        summary["lockout_probe"] = probe


def _probe_attempts(path: Path) -> list[dict[str, Any]]:
    """Each attempt of the probe: user, phase, outcome, sent and answered on the probe's clock
    (seconds from its start); nothing of what was sent."""
    keys = ("user", "phase", "outcome", "sent_at", "answered_at")
    return [
        {key: event.get(key) for key in keys}
        for event in read_events(path)
        if event.get("event") == "attempt"
    ]


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write atomically: a crash mid-write never leaves a half summary in place."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
