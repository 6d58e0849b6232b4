"""The built wheel, installed with its runtime dependencies only, works from any folder.

Builds the wheel from this checkout, installs it into a fresh venv without the dev extra (pip's
cache and the configured indexes, as a user's pip would), and from an empty folder runs a short
``cognito-loadtest demo``: it must finish with exit 0 and print, last, the path of a report.html
that exists. The ready scenarios come from the installed package, not from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _source_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (committed or not, ignored ones left out): a build
    in the checkout would leave build/ behind, whose stale files setuptools would pack."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def _build_wheel(out: Path) -> Path:
    source = _source_copy(out.parent / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("cognito_loadtest-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    return where / "bin"


def _clean_env() -> dict[str, str]:
    """The environment minus anything that would let the checkout leak into the venv."""
    hidden = ("PYTHONPATH", "VIRTUAL_ENV", "COGNITO_LOADTEST_SHARED")
    return {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith("COGNITO_")}


@pytest.mark.e2e
def test_the_wheel_runs_the_demo_from_an_empty_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "loadtest/scenarios/srp_totp.py" in names
    # custom_auth.py imports its example trigger from the installed package
    assert "loadtest/scenarios/triggers/captcha.py" in names
    assert not [n for n in names if n.startswith(("scenarios/", "tests/"))]

    bin_dir = _fresh_venv(tmp_path / "venv", wheel)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = _clean_env()
    probe = (
        "import importlib.util as u; import loadtest.scenarios.triggers.captcha; "
        "from loadtest.locust.cli import SCENARIO_DIR as d; "
        "print(u.find_spec('pycognito') is None, d)"
    )
    found = subprocess.run(
        [str(bin_dir / "python"), "-c", probe], cwd=empty, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    no_dev, scenarios = found.stdout.split()
    assert no_dev == "True", "the fresh venv has a dev-only package"
    assert Path(scenarios).is_relative_to(bin_dir.parent)
    assert (Path(scenarios) / "mix.py").is_file()

    result = subprocess.run(
        [str(bin_dir / "cognito-loadtest"), "demo",
         "--identities", "6", "--users", "2", "--run-time", "4s",
         "--probe-users", "1", "--probe-failures", "6"],
        cwd=empty, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    report = Path(result.stdout.strip().splitlines()[-1])
    assert report.name == "report.html"
    assert (empty / report).is_file()
    assert "srp_fast critical path:" in result.stdout
