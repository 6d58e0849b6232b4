"""The README's srp_fast example is code a user will copy: it must run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_srp_example_runs_and_verifies() -> None:
    blocks = python_blocks()
    assert blocks, "the README lost its srp_fast example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # raises if the proof fails
    assert namespace["claim"] is not None
