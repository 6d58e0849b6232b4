"""In a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``, installed by
``make test`` through ``.ci/ensure-chromium``; never a browser Playwright downloads).

One real Locust run in web mode (two worker processes) against the local pool: its live
"Cognito" tab must show per-challenge numbers that grow while the test runs; then the run's
``report.html`` (with a real lockout probe folded in) must render from disk with no request
leaving ``file://``, its numbers matching ``summary.json``. Screenshots go to the test's tmp
folder (``<pytest tmp>/<test>/screenshots/``), never into the repository.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from loadtest.capacity.charts import write_html as write_capacity_html
from loadtest.capacity.target import pool_options
from loadtest.lockout.demo import demo_probe
from loadtest.protocol.quotas import QuotaCategory
from loadtest.report import fold_in_lockout_probe
from loadtest.report.html import write_html
from tests.capacity.test_cli import capacity_result
from tests.e2e.locust_runs import provision, target_env

from .live_web import LiveLocust
from .test_html import write_probe_run
from .test_web_tab import assert_api_calls_only

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
FLOW = "login:srp"
CHALLENGE = "RespondToAuthChallenge:PASSWORD_VERIFIER"
_POLLS = 120  # of 0.5 s: how long the live tab may take to show growth (bounded)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, headless; fails (never skips) if it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: 'make test' installs it (.ci/ensure-chromium runs "
            "'apt-get install -y chromium'); run that, or install the chromium package"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


def test_ensuring_chromium_again_is_quiet_once_installed() -> None:
    """``make test`` runs .ci/ensure-chromium every time: once installed, it does nothing."""
    script = Path(__file__).resolve().parents[2] / ".ci" / "ensure-chromium"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert CHROMIUM.exists()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def test_live_tab_then_report_page_in_chromium(
    browser: Any, pool_server: Callable[..., Any], tmp_path: Path, shots: Path
) -> None:
    pool = pool_server("--no-quotas")
    app = pool.provision()
    provision(pool, app, 6, tmp_path / "ids.jsonl", totp=False)
    run_dir = tmp_path / "run"
    settings = target_env(pool, app, tmp_path / "ids.jsonl") | {"COGNITO_REPORT_DIR": str(run_dir)}

    live = LiveLocust("srp", settings, tmp_path, users=3, seconds=60, extra=("--processes", "2"))
    with live:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(live.url + "/")
        page.get_by_role("tab", name="Cognito").click()
        first = _wait_for_count(page, CHALLENGE, above=0, live=live)
        page.screenshot(path=str(shots / "live-cognito-tab-1.png"), full_page=True)
        later = _wait_for_count(page, CHALLENGE, above=first, live=live)
        page.screenshot(path=str(shots / "live-cognito-tab-2.png"), full_page=True)
        cells = _row_cells(page, FLOW)
        assert int(cells["Count"]) > 0
        assert 0 < float(cells["p50 ms"]) <= float(cells["p99 ms"]) <= float(cells["Max ms"])
        assert "ok" in cells["Outcomes"]
        assert _row_cells(page, "ok")["Section"] == "login outcome"
        # the rows in the tab's own order (Locust sorts by a row's ``name``, which they lack):
        # the verdict so far first, then each flow beside its client compute
        sections = [r.split("\t")[0] for r in page.locator("table tbody tr").all_inner_texts()]
        assert sections[0] == "validity", sections
        assert sections.index("client compute") == sections.index("login flow") + 1, sections
        figures = live.get_json("/cognito/stats")
        assert figures["measuring"]
        assert figures["requests"][CHALLENGE]["count"] >= later > first > 0
        assert_api_calls_only(live)  # Locust's totals: API calls only
        page.close()
        assert live.stop() == 0, live.output()

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's loop
        probe = thread.submit(
            demo_probe, run_dir, tmp_path / "private", users=1, failures=6, quiet=True
        )
        probe.result(timeout=300)
    fold_in_lockout_probe(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["flows"][FLOW]["count"] >= later
    _check_report_page(browser, run_dir, summary, shots)
    print(f"screenshots: {shots}")
    assert sorted(p.name for p in shots.iterdir()) == [
        "live-cognito-tab-1.png",
        "live-cognito-tab-2.png",
        "report.png",
    ]


def test_the_start_button_of_the_web_ui_starts_a_run(
    browser: Any, pool_server: Callable[..., Any], tmp_path: Path, shots: Path
) -> None:
    """As a person does it: open the UI of a run that waits, press Start in Locust's form
    (which posts every option of the run, ours among them), and watch logins arrive. An
    option Locust's form cannot post back (a repeatable one) made the start a 500: "An
    unknown error occurred" in the page, and nothing ran."""
    pool = pool_server("--no-quotas")
    app = pool.provision(secret=True)
    provision(pool, app, 4, tmp_path / "ids.jsonl", totp=False)
    run_dir = tmp_path / "run"
    settings = target_env(pool, app, tmp_path / "ids.jsonl") | {"COGNITO_REPORT_DIR": str(run_dir)}
    assert app.client_secret
    assert settings["COGNITO_CLIENT_SECRET"] == app.client_secret

    live = LiveLocust("srp", settings, tmp_path, users=2, seconds=60, autostart=False)
    with live:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        posted: list[str] = []
        page.on(
            "request", lambda r: posted.append(r.post_data or "") if r.method == "POST" else None
        )
        page.goto(live.url + "/")
        assert app.client_secret not in page.content()  # not even in a masked field
        form = page.inner_text("body")
        assert "no host attribute set" not in form  # the target is named: nothing to type
        assert pool.url.rstrip("/") in form  # in the header, as Locust's host
        page.get_by_role("button", name="Start").click()
        page.get_by_role("tab", name="Cognito").click()
        counted = _wait_for_count(page, CHALLENGE, above=0, live=live)
        page.screenshot(path=str(shots / "started-from-the-form.png"), full_page=True)
        assert "unknown error" not in page.inner_text("body").lower()
        assert posted
        assert not any(app.client_secret in body for body in posted)
        assert live.get_json("/stats/requests")["state"] == "running"
        assert counted > 0
        assert_api_calls_only(live)
        # Stop in the page: the test ends, the UI goes on serving, and the terminal already
        # says whether the test's latencies can be trusted (not only when the process quits)
        page.get_by_role("button", name="Stop").click()
        for _ in range(_POLLS):
            if "cognito: latencies " in live.output():
                break
            time.sleep(0.5)
        assert "cognito: latencies " in live.output(), live.output()[-3000:]
        page.close()
        assert live.stop() == 0, live.output()
    said = [line for line in live.output().splitlines() if "cognito: latencies " in line]
    assert len(said) == 1, said  # unchanged at the end: not said twice
    assert said[0].endswith(f"; the report: {run_dir / 'report.html'}")
    assert "resulted in a 500" not in live.output()


def _wait_for_count(page: Any, name: str, *, above: int, live: LiveLocust) -> int:
    """Poll the tab (the UI refreshes it itself) until the row's count passes ``above``."""
    for _ in range(_POLLS):
        row = page.locator("tr", has=page.locator("td", has_text=name))
        if row.count():
            count = _row_cells(page, name).get("Count", "")
            if count.isdigit() and int(count) > above:
                return int(count)
        assert live.process is not None
        assert live.process.poll() is None, live.output()
        page.wait_for_timeout(500)
    pytest.fail(f"the Cognito tab never showed {name} above {above}: {page.inner_text('body')}")


def _row_cells(page: Any, name: str) -> dict[str, str]:
    """The cells of the table row whose Name is ``name``, by column title."""
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    for row in page.locator("table tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        by_title = dict(zip(headers, cells, strict=False))
        if by_title.get("Name") == name:
            return by_title
    return {}


#: Every pair of labels in one chart whose boxes, as Chromium lays the text out, overlap by
#: more than half a pixel each way, and every label that leaves its chart.
_TEXT_CLASHES = """svg => {
  const outer = svg.getBoundingClientRect();
  const boxes = [...svg.querySelectorAll('text')]
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const found = [];
  boxes.forEach(([name, a], i) => {
    if (a.left < outer.left - 0.5 || a.right > outer.right + 0.5 || a.top < outer.top - 0.5
        || a.bottom > outer.bottom + 0.5) found.push(['outside', name]);
    for (const [other, b] of boxes.slice(i + 1)) {
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 0.5 && h > 0.5) found.push([name, other]);
    }
  });
  return found;
}"""


def _text_clashes(page: Any) -> list[Any]:
    charts = page.locator("svg")
    return [clash for i in range(charts.count()) for clash in charts.nth(i).evaluate(_TEXT_CLASHES)]


def _open_offline(browser: Any, path: Path, shot: Path) -> tuple[Any, Any]:
    """Open a page from disk with every non-file request blocked; check none was made, and
    keep a screenshot. Returns the context and the page."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    left_file: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            left_file.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path.as_uri())
    page.screenshot(path=str(shot), full_page=True)
    assert left_file == []
    assert requested
    assert all(url.startswith("file://") for url in requested)
    return context, page


def _check_charts(page: Any, least: int) -> None:
    """At least ``least`` charts, each drawn, none with a label over another, and every dot
    with its value on hover (an SVG title)."""
    charts = page.locator("svg")
    assert charts.count() >= least
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None
        assert box["width"] > 0
        assert box["height"] > 0
    assert _text_clashes(page) == []
    assert page.locator("svg circle").count() > 0
    assert page.locator("svg circle:not(:has(title))").count() == 0


def test_pages_from_test_data_have_no_label_over_another(
    browser: Any, tmp_path: Path, shots: Path
) -> None:
    """report.html with a lockout probe and capacity.html, rendered from test data."""
    quotas = {QuotaCategory.USER_AUTHENTICATION: 36.0, QuotaCategory.USER_RESOURCE_UPDATE: 7.5}
    result = capacity_result(pool_options(quotas, burst_seconds=0.25, workers=2))
    pages = [
        (write_html(tmp_path, write_probe_run(tmp_path)), 5),
        (write_capacity_html(tmp_path, result), 3),
    ]
    for path, charts in pages:
        context, page = _open_offline(browser, path, shots / f"{path.stem}.png")
        _check_charts(page, charts)
        if path.stem == "capacity":
            texts = page.locator("svg text").all_text_contents()
            assert {"onset 15/s (UserResourceUpdate)", "model 15.2/s"} <= set(texts)
        context.close()


def _check_report_page(browser: Any, run_dir: Path, summary: dict[str, Any], shots: Path) -> None:
    """Open report.html from disk with every non-file request blocked and recorded."""
    context, page = _open_offline(browser, run_dir / "report.html", shots / "report.png")
    banner = page.locator(".banner").inner_text()
    expected = "Latencies trustworthy" if summary["validity"]["trustworthy"] else "untrustworthy"
    assert expected in banner
    row = page.locator("table tr", has=page.locator("td", has_text=FLOW)).first
    cells = row.locator("td").all_inner_texts()
    flow = summary["flows"][FLOW]
    assert cells[0] == FLOW
    assert int(cells[1]) == flow["count"] > 0
    assert cells[5] == f"{flow['p99']:.4g}"  # p99 as summary.json has it
    _check_charts(page, 5)
    lines = page.locator("svg polyline").evaluate_all("els => els.map(e => e.points.length)")
    assert lines
    assert min(lines) >= 2
    timeline = page.locator("svg[aria-label='lockout timeline']")
    assert timeline.count() == 1
    assert timeline.locator("circle").count() >= 6  # one dot per probe attempt
    context.close()
