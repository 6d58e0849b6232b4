"""What ``cognito-loadtest quota`` reads: flow mixes, named mixes from the locustfiles, quotas, MAU.

A mix is ``srp=0.5,srp_totp=0.3,device=0.2`` (catalogue names, weights normalised; parsed by
:func:`loadtest.flows.parse_mix`, the one mix parser), a bare flow name (``srp``), or a
scenario name or locustfile path (``mix``, ``scenarios/mix.py``), whose user classes and
``weight`` attributes are read from its source (never imported: importing a locustfile starts
gevent). Each of our Locust user classes is named after its catalogue entry
(:func:`loadtest.flows.catalogue.user_class_name`: ``SrpTotpUser`` runs ``srp_totp``) and
counts as that entry; a class also runs its entry's fallbacks for identities the entry
refuses (``SrpUser`` logs a TOTP identity in as ``srp_totp``), which a locustfile does not say,
so give the mix by names when the identities are not the entry's own.

Locust weights share virtual users, not logins: they equal login shares when every user's
login takes about as long (each waits 1 s between logins, so this holds while latency is small
against the wait).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from loadtest.flows.catalogue import CATALOGUE, MixError, user_class_name
from loadtest.flows.catalogue import parse_mix as parse_pairs
from loadtest.protocol import units
from loadtest.protocol.quotas import QuotaCategory

from .model import QuotaModelError

__all__ = [
    "SECONDS_PER_MONTH",
    "USER_FLOWS",
    "MauAssumptions",
    "parse_mix",
    "parse_quota",
    "quotas_from_file",
    "scenario_mix",
]

#: Which catalogue entry each of our Locust user classes runs first.
USER_FLOWS = MappingProxyType({user_class_name(e): name for name, e in CATALOGUE.items()})
#: A 30-day month.
SECONDS_PER_MONTH = 30 * 24 * 3600


def parse_mix(text: str, scenario_dir: Path) -> dict[str, float]:
    """A mix from ``name=weight,...``, a flow name, a scenario name or a locustfile path."""
    text = text.strip()
    if "=" in text or "," in text or text in CATALOGUE:
        try:
            return parse_pairs(text)
        except MixError as exc:
            raise QuotaModelError(str(exc)) from None
    path = Path(text) if text.endswith(".py") else scenario_dir / f"{text}.py"
    if path.is_file():
        return scenario_mix(path)
    flows, scenarios = ", ".join(CATALOGUE), ", ".join(_scenarios(scenario_dir))
    raise QuotaModelError(
        f"unknown flow or scenario {text!r}: use flows ({flows}), NAME=WEIGHT pairs, "
        f"a scenario ({scenarios}) or a locustfile path"
    )


def _scenarios(scenario_dir: Path) -> list[str]:
    return sorted(p.stem for p in scenario_dir.glob("*.py") if not p.stem.startswith("_"))


def scenario_mix(path: Path) -> dict[str, float]:
    """The flow mix a locustfile's user classes and weights make (read, not imported)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    mix: dict[str, float] = {}
    for flow, weight in _users(tree, path):
        mix[flow] = mix.get(flow, 0.0) + weight
    if not mix:
        raise QuotaModelError(f"{path} defines none of our users ({', '.join(USER_FLOWS)})")
    return mix


def _users(tree: ast.Module, path: Path) -> list[tuple[str, float]]:
    """(profile, weight) of each user class a locustfile runs: imported ones weigh 1."""
    users: list[tuple[str, float]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            users += [(USER_FLOWS[a.name], 1.0) for a in node.names if a.name in USER_FLOWS]
        elif isinstance(node, ast.ClassDef):
            base = _our_base(node, path)
            if base is not None:
                users.append((USER_FLOWS[base], _weight(node, path)))
    return users


def _our_base(node: ast.ClassDef, path: Path) -> str | None:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
        if name in USER_FLOWS:
            return str(name)
    if any("User" in ast.unparse(base) for base in node.bases):
        raise QuotaModelError(f"{path}: user class {node.name} runs no flow the model knows")
    return None


def _weight(node: ast.ClassDef, path: Path) -> float:
    """The class's ``weight`` (Locust's default is 1); only a plain number can be read."""
    for statement in node.body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == "weight" for t in targets):
            continue
        value = getattr(statement, "value", None)
        if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
            return float(value.value)
        raise QuotaModelError(f"{path}: the weight of {node.name} is not a plain number")
    return 1.0


def parse_quota(spec: str) -> tuple[QuotaCategory, float]:
    """``CATEGORY=RPS`` (category names as on the quotas page, any case)."""
    try:
        return units.parse_quota(spec)
    except units.BadValue as exc:
        raise QuotaModelError(str(exc)) from None


def quotas_from_file(path: Path) -> dict[QuotaCategory, float]:
    """A JSON object ``{"UserAuthentication": 500, ...}``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise QuotaModelError(f"cannot read quotas file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise QuotaModelError(f"quotas file {path}: expected a JSON object of CATEGORY: RPS")
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise QuotaModelError(f"quotas file {path}: {name} is not a number: {value!r}")
    return dict(parse_quota(f"{name}={value}") for name, value in data.items())


@dataclass(frozen=True, slots=True, kw_only=True)
class MauAssumptions:
    """Peak sign-ins/s from monthly active users.

    ``mau * sign_ins_per_user * peak_factor / seconds_per_month``: the month's average sign-in
    rate, times how much busier the peak is than the average.
    """

    mau: float
    sign_ins_per_user: float = 10.0
    peak_factor: float = 10.0
    seconds_per_month: float = SECONDS_PER_MONTH

    def __post_init__(self) -> None:
        for name in ("mau", "sign_ins_per_user", "peak_factor", "seconds_per_month"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise QuotaModelError(f"{name.replace('_', ' ')} must be above 0, not {value}")

    @property
    def average_logins_per_second(self) -> float:
        """The month's average sign-in rate."""
        return self.mau * self.sign_ins_per_user / self.seconds_per_month

    @property
    def peak_logins_per_second(self) -> float:
        """The rate the quotas must carry."""
        return self.average_logins_per_second * self.peak_factor
