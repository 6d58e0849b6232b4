"""The lockout probe: measure the temporary-lockout schedule a pool applies, against the model.

- :mod:`.model`: the documented model (threshold, first lock, factor, cap, idle reset) and how
  a pool's time scale maps onto it;
- :mod:`.records`: the attempt log's data types;
- :mod:`.inference`: from an attempt log to locks with error bars and verdicts (sans-I/O);
- :mod:`.plan`: what a user's probe sends next and when (sans-I/O);
- :mod:`.attempts`: one sign-in attempt over the asyncio driver (SRP, password flow, MFA code);
- :mod:`.probe`: many users in parallel, events and summary files (:func:`run_probe`);
- :mod:`.report`: the events file, the summary and the table;
- :mod:`.demo`: a time-scaled probe of a few users on a local pool of its own (:func:`demo_probe`);
- :mod:`.cli`: ``cognito-loadtest lockout-probe`` (also ``python -m loadtest.lockout``).
"""

from __future__ import annotations

from .attempts import Method, ProbeUser
from .inference import LockMeasure, Verdict, infer
from .model import DEFAULT_MODEL, LockoutModel
from .plan import Action, ActionKind, PlanSettings, PollSettings, UserPlan, poll_delay
from .probe import SYNTHETIC_PREFIX, ProbeConfig, UnsafeUsername, probe, run_probe
from .records import Attempt, Credential, Outcome, Phase

__all__ = [
    "DEFAULT_MODEL",
    "SYNTHETIC_PREFIX",
    "Action",
    "ActionKind",
    "Attempt",
    "Credential",
    "LockMeasure",
    "LockoutModel",
    "Method",
    "Outcome",
    "Phase",
    "PlanSettings",
    "PollSettings",
    "ProbeConfig",
    "ProbeUser",
    "UnsafeUsername",
    "UserPlan",
    "Verdict",
    "infer",
    "poll_delay",
    "probe",
    "run_probe",
]
