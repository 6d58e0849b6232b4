"""Cognito's temporary-lockout schedule as documented (cognito-facts §4): its defaults, its
formula, and the one declaration of the flags that change them.

After ``threshold`` counted failures the user is locked for ``first_lock`` seconds; each further
counted failure multiplies the lock by ``factor`` up to ``cap`` (failure n locks for 2^(n-5) s,
capped at 900 s); the count resets after ``idle_reset`` seconds without attempts. Both sides
read this module: the local pool enforces the schedule (:mod:`loadtest.pool.lockout`) and the
lockout probe expects it (:mod:`loadtest.lockout.model`); ``pool serve`` and ``lockout-probe``
take the same flags from :func:`add_lockout_options`. The flags live here, not in
:mod:`loadtest.target`, because the pool may import only ``srp_fast`` and ``loadtest.protocol``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DOCUMENTED",
    "LOCKOUT_FLAGS",
    "LockoutFlag",
    "LockoutSchedule",
    "add_lockout_options",
    "lock_seconds",
    "lockout_settings",
]

#: Beyond this exponent the lock is far past any cap; avoids float overflow.
_MAX_EXPONENT = 64


def lock_seconds(
    failures: int, *, threshold: int, first_lock: float, factor: float, cap: float
) -> float:
    """Seconds of the lock that the ``failures``-th counted failure starts (0: none)."""
    if failures < threshold:
        return 0.0
    exponent = failures - threshold
    if exponent > _MAX_EXPONENT:
        return cap
    return float(min(cap, first_lock * factor**exponent))


@dataclass(frozen=True, slots=True, kw_only=True)
class LockoutSchedule:
    """The schedule's parameters in model seconds; the defaults are Cognito's documented ones."""

    threshold: int = 5
    first_lock: float = 1.0
    factor: float = 2.0
    cap: float = 900.0
    idle_reset: float = 900.0

    def lock_seconds(self, failures: int) -> float:
        """Seconds of the lock that the ``failures``-th counted failure starts (0: none)."""
        return lock_seconds(
            failures,
            threshold=self.threshold,
            first_lock=self.first_lock,
            factor=self.factor,
            cap=self.cap,
        )


#: Cognito's documented schedule: threshold 5, first lock 1 s, factor 2, cap 900 s, reset 900 s.
DOCUMENTED = LockoutSchedule()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockoutFlag:
    """One command-line flag of the schedule: the :class:`LockoutSchedule` field it sets."""

    field: str
    flag: str
    type: type[int] | type[float]
    help: str

    @property
    def dest(self) -> str:
        """The argparse destination: ``lockout_<field>``."""
        return f"lockout_{self.field}"


LOCKOUT_FLAGS: tuple[LockoutFlag, ...] = (
    LockoutFlag(
        field="threshold",
        flag="--lockout-threshold",
        type=int,
        help="counted failures before the first lock",
    ),
    LockoutFlag(field="first_lock", flag="--lockout-first", type=float, help="first lock, seconds"),
    LockoutFlag(
        field="factor",
        flag="--lockout-factor",
        type=float,
        help="each further lock is this many times longer",
    ),
    LockoutFlag(field="cap", flag="--lockout-cap", type=float, help="longest lock, seconds"),
    LockoutFlag(
        field="idle_reset",
        flag="--lockout-idle-reset",
        type=float,
        help="seconds without attempts that reset the count",
    ),
)


def add_lockout_options(parser: argparse._ActionsContainer) -> None:
    """Add the ``--lockout-*`` flags, defaulting to :data:`DOCUMENTED`."""
    for flag in LOCKOUT_FLAGS:
        default = getattr(DOCUMENTED, flag.field)
        parser.add_argument(
            flag.flag,
            dest=flag.dest,
            type=flag.type,
            default=default,
            metavar="N" if flag.type is int else "S",
            help=f"{flag.help} (default {default:g})",
        )


def lockout_settings(args: Any) -> dict[str, Any]:
    """The schedule's fields from parsed ``--lockout-*`` flags, as keyword arguments."""
    return {flag.field: getattr(args, flag.dest) for flag in LOCKOUT_FLAGS}
