"""docs/capacity-planning.md stays true: its tables, command outputs and figures are recomputed.

Blocks after ``<!-- quota-example -->``, ``<!-- generator-table -->`` and
``<!-- quota-table -->`` are regenerated from the model and compared with the page. After a
change to the model or the figures, rewrite them with::

    .venv/bin/python -c "from tests.quota.test_capacity_doc import rewrite; rewrite()"
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

from loadtest.cli import main
from loadtest.provision.plan import Plan, estimate
from loadtest.provision.ratelimit import RateLimits
from loadtest.quota.inputs import MauAssumptions
from loadtest.quota.planning import (
    CPU_MS_PER_LOGIN,
    MIXES,
    RATES,
    UTILISATION,
    generator_table,
    quota_table,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "capacity-planning.md"
_EXAMPLE = re.compile(
    r"(<!-- quota-example -->\n```console\n\$ cognito-loadtest (quota [^\n]*)\n)(.*?)(```)",
    re.DOTALL,
)
_TABLE = re.compile(r"(<!-- (generator|quota)-table -->\n\n)((?:\|[^\n]*\n)*)")


def command_output(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(shlex.split(command)) == 0
    return out.getvalue()


def _table(kind: str) -> str:
    if kind == "generator":
        return generator_table(MIXES, RATES, utilisation=UTILISATION) + "\n"
    return quota_table(MIXES, RATES) + "\n"


def render(text: str) -> str:
    """The page with every generated block recomputed."""
    text = _EXAMPLE.sub(lambda m: m[1] + command_output(m[2]) + m[4], text)
    return _TABLE.sub(lambda m: m[1] + _table(m[2]), text)


def rewrite() -> None:
    """Regenerate the page's blocks in place."""
    DOC.write_text(render(DOC.read_text()))


def test_every_generated_block_is_there() -> None:
    text = DOC.read_text()
    assert len(_EXAMPLE.findall(text)) == 5
    assert {m[1] for m in _TABLE.findall(text)} == {"generator", "quota"}


def test_the_tables_and_command_outputs_match_the_model() -> None:
    text = DOC.read_text()
    assert render(text) == text, "docs/capacity-planning.md drifted: see this module's docstring"


def test_the_figures_in_the_prose_are_the_ones_used() -> None:
    text = flat(DOC.read_text())
    cpu = CPU_MS_PER_LOGIN
    assert f"SRP {cpu['srp']:.3f} ms, SRP + TOTP {cpu['srp_totp']:.3f} ms" in text
    assert f"Remembered device {cpu['device']:.3f} ms" in text
    assert f"= {MIXES[1].cpu_ms_per_login:.3f} ms" in text
    assert f"keeps each core at {UTILISATION:.0%}" in text


def flat(text: str) -> str:
    """The text with line breaks and indentation folded into single spaces."""
    return " ".join(text.split())


def test_the_provisioning_times_are_the_provisioners_estimates() -> None:
    text = flat(DOC.read_text())
    full = estimate(Plan(), 90_000, RateLimits())
    assert f"manages {full.users_per_second:g} identities/s" in text
    assert f"{estimate(Plan(), 9_000, RateLimits()).seconds / 60:.0f} minutes for 9,000" in text
    assert f"{full.seconds / 3600:.1f} h for 90,000" in text
    plain = estimate(Plan(totp=False, device=False), 2_000, RateLimits())
    assert f"{plain.seconds / 60:.1f} min for 2,000" in text


def test_the_mau_example_is_the_conversion() -> None:
    rate = MauAssumptions(mau=2_000_000).peak_logins_per_second
    assert f"2,000,000 MAU come to {rate:.0f} sign-ins/s" in flat(DOC.read_text())


def test_the_python_example_runs() -> None:
    text = DOC.read_text()
    code = text.split("### From Python\n\n```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, str(DOC), "exec"), {})
