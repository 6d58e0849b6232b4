"""The quota model (issue 8): what a flow mix at a sign-in rate asks of each Cognito quota.

Library: :mod:`loadtest.quota.model` (profiles of our flows, category rates with the
RespondToAuthChallenge allowance, throttle onset, headroom, per-user and per-pool checks).
Command: ``cognito-loadtest quota`` (:mod:`loadtest.quota.cli`).
"""

from __future__ import annotations

from . import model
from .model import *  # noqa: F403  (the package re-exports the model's public names)

#: The model's list, not a second copy of it.
__all__ = list(model.__all__)
