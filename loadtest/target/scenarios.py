"""The ready scenarios: where the installed locustfiles are, and a name to a path.

They ship as the package ``loadtest.scenarios``, which is the repository's top-level
``scenarios/`` in a checkout (see setup.py) and a folder of the wheel once installed, so
``run NAME``, the demo, ``capacity`` and the quota model's ``--mix FILE`` find them from any
folder. Nothing here imports them (a locustfile imports Locust, which patches the process).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["SCENARIOS", "SCENARIO_DIR", "scenario_path"]

#: Where the ready locustfiles are installed.
SCENARIO_DIR = Path(str(files("loadtest.scenarios")))
#: Their names: every locustfile in that folder.
SCENARIOS: tuple[str, ...] = tuple(
    sorted(p.stem for p in SCENARIO_DIR.glob("*.py") if not p.stem.startswith("_"))
)


def scenario_path(scenario: str) -> Path:
    """The locustfile of a scenario name, or the given path; ``ValueError`` if neither."""
    if scenario in SCENARIOS:
        return SCENARIO_DIR / f"{scenario}.py"
    path = Path(scenario)
    if path.is_file():
        return path
    raise ValueError(f"unknown scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
