"""Only the Locust adapter (``loadtest/locust/``) imports locust or gevent.

Read from the source with ``ast`` (every ``import`` and ``from ... import``, at any depth), so a
lazy import inside a function counts too; and checked for real: importing the report, the
drivers and the flows in a fresh interpreter loads neither package (Locust monkey-patches the
process it is imported into). ``loadtest/bench/`` is left out: it is leaving the installed package
for a top-level ``benchmarks/`` (issue 15), and drives Locust on purpose.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "loadtest"
FRAMEWORKS = {"locust", "gevent", "geventhttpclient"}
ALLOWED = ("locust", "bench")


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every absolute import in a module."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


def test_no_module_outside_the_adapter_imports_locust_or_gevent() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(imported_roots(path) & FRAMEWORKS)
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in ALLOWED
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_adapter_is_where_they_are_imported() -> None:
    adapter = set().union(*(imported_roots(p) for p in (PACKAGE / "locust").rglob("*.py")))
    assert adapter >= FRAMEWORKS


def test_importing_the_report_drivers_and_flows_loads_no_framework() -> None:
    code = (
        "import sys, loadtest.report, loadtest.drivers, loadtest.flows, loadtest.locust, "
        "loadtest.locust.cli\n"
        f"print(sorted(m for m in sys.modules if m.partition('.')[0] in {sorted(FRAMEWORKS)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
