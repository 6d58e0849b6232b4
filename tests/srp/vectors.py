"""Loads the known-answer vectors shipped beside the project in ../shared/vectors/.

Their provenance (cross-checked against warrant and amazon-cognito-identity-js) is described in
the file's "about" field and in cognito-facts.md §1.9.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@cache
def vectors() -> dict[str, Any]:
    shared = Path(os.environ.get("COGNITO_LOADTEST_SHARED", ROOT.parent / "shared"))
    path = shared / "vectors" / "cognito_srp.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"known-answer vectors not found at {path}; clone the project with ../shared beside "
            "it or set COGNITO_LOADTEST_SHARED"
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data
