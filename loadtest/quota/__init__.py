"""The quota model (issue 8): what a flow mix at a sign-in rate asks of each Cognito quota.

Library: :mod:`loadtest.quota.model` (profiles of our flows, category rates with the
RespondToAuthChallenge allowance, throttle onset, headroom, per-user and per-pool checks).
Command: ``cognito-loadtest quota`` (:mod:`loadtest.quota.cli`).
"""

from __future__ import annotations

from .model import (
    ADJUSTABLE,
    DEFAULT_RPS,
    PROFILES,
    Allowance,
    CallKey,
    FlowProfile,
    Headroom,
    Onset,
    PerPoolOperation,
    PerUser,
    QuotaModelError,
    UnknownFlow,
    category_rates,
    challenge_allowance,
    effective_quotas,
    headroom,
    mix_calls,
    normalise_mix,
    per_pool_operations,
    per_user,
    required_quotas,
    throttle_onset,
)

__all__ = [
    "ADJUSTABLE",
    "DEFAULT_RPS",
    "PROFILES",
    "Allowance",
    "CallKey",
    "FlowProfile",
    "Headroom",
    "Onset",
    "PerPoolOperation",
    "PerUser",
    "QuotaModelError",
    "UnknownFlow",
    "category_rates",
    "challenge_allowance",
    "effective_quotas",
    "headroom",
    "mix_calls",
    "normalise_mix",
    "per_pool_operations",
    "per_user",
    "required_quotas",
    "throttle_onset",
]
