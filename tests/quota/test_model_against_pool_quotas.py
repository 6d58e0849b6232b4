"""The model and the local pool's quota enforcement agree on where throttling starts.

The pool's own token buckets (:class:`loadtest.pool.quotas.Quotas`, the code the server runs)
are fed the calls of a mix at a steady sign-in rate on a simulated clock: a little below the
model's onset nothing is throttled; a little above it calls are, in the category the model
names.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from loadtest.pool.quotas import Quotas, QuotaSettings
from loadtest.protocol.errors import TooManyRequests
from loadtest.protocol.quotas import QuotaCategory, category_of
from loadtest.quota import PROFILES, category_rates, normalise_mix, throttle_onset

Q = QuotaCategory
SECONDS = 40.0
#: Long enough for the buckets' initial burst to be spent at the rates tested.
WARMUP = 10.0


def logins(mix: dict[str, float], count: int) -> list[str]:
    """``count`` flow names in the mix's shares, interleaved (smooth weighted round robin)."""
    shares = normalise_mix(mix)
    credit = dict.fromkeys(shares, 0.0)
    order = []
    for _ in range(count):
        for name, share in shares.items():
            credit[name] += share
        chosen = max(credit, key=lambda n: credit[n])
        credit[chosen] -= 1
        order.append(chosen)
    return order


def throttled(mix: dict[str, float], rate: float, *, after: float = 0.0) -> Counter[QuotaCategory]:
    """Calls the pool's buckets refuse, by category, in ``SECONDS`` of ``rate`` sign-ins/s
    (counted from ``after`` seconds on)."""
    settings = QuotaSettings()
    now = [1.0]
    quotas = Quotas(settings, [0.0] * (2 * settings.bucket_slots), threading.Lock(), lambda: now[0])
    refused: Counter[QuotaCategory] = Counter()
    for index, name in enumerate(logins(mix, int(SECONDS * rate))):
        now[0] = 1.0 + index / rate
        for (operation, challenge), count in PROFILES[name].calls.items():
            for _ in range(int(count)):
                try:
                    quotas.admit(operation, challenge, user=None)
                except TooManyRequests:
                    if now[0] - 1.0 >= after:
                        refused[category_of(operation, challenge)] += 1
    return refused


@pytest.mark.parametrize(
    "mix",
    [
        {"srp": 1},
        {"srp": 0.5, "srp_totp": 0.3, "device": 0.2},
        {"srp": 2, "srp_totp": 1, "device": 2, "device_new": 5},
        {"srp": 1, "new_password": 1},
    ],
)
def test_throttling_starts_where_the_model_says(mix: dict[str, float]) -> None:
    onset = throttle_onset(mix)
    assert not throttled(mix, 0.95 * onset.logins_per_second)
    above = throttled(mix, 1.1 * onset.logins_per_second)
    assert above, "nothing throttled above the predicted onset"
    assert above.most_common(1)[0][0] is onset.category


def test_above_the_onset_the_pool_refuses_the_demand_the_quota_cannot_carry() -> None:
    """At 500 sign-ins/s the challenge responses overflow their allowance: the pool refuses
    (InitiateAuth + spill - quota) per second, the model's UserAuthentication demand less 120."""
    mix = {"srp": 0.5, "srp_totp": 0.3, "device": 0.2}
    demand = category_rates(mix, 500)[Q.USER_AUTHENTICATION]
    window = SECONDS - WARMUP
    refused = throttled(mix, 500, after=WARMUP)
    assert refused[Q.USER_AUTHENTICATION] / window == pytest.approx(demand - 120, rel=0.01)
