"""What one run of each of our flows sends, by (operation, challenge): the quota model's view
of the flow catalogue (:data:`loadtest.flows.CATALOGUE`), where each profile is declared with
its flow.

``tests/quota/test_profiles_against_pool.py`` runs every catalogue entry against the local pool
(on the pool settings the entry names), counts the calls it sends and checks them against its
profile, so the quota model cannot drift from the flows. The challenge is the ``ChallengeName``
a challenge response carries; ``None`` for every other call. A flow whose calls depend on the
identity or the pool is one entry per case (``srp`` and ``srp_totp``; ``device_new`` and
``device_new_prompt``).

No profile for lost_phone on a pool with MFA ON: there, the local pool still asks the reset
user for SOFTWARE_TOKEN_MFA (the token stays verified; only the preference was turned off),
and the flow, having dropped the secret, fails with MissingCredential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from loadtest.flows.catalogue import CATALOGUE, CallKey, Entry

__all__ = ["PROFILES", "CallKey", "FlowProfile", "profile_of"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowProfile:
    """The API calls one login of a flow makes, on average.

    ``totp_codes`` is how many TOTP codes a login sends: an identity may send one per 30 s step,
    which bounds how often one identity can run the flow.
    """

    name: str
    calls: Mapping[CallKey, float]
    description: str = ""
    totp_codes: float = 0.0

    @property
    def calls_per_login(self) -> float:
        """Every call of one login, whatever its category."""
        return float(sum(self.calls.values()))


def profile_of(entry: Entry) -> FlowProfile:
    """A catalogue entry's quota profile."""
    return FlowProfile(
        name=entry.name,
        calls=entry.calls,
        description=entry.summary,
        totp_codes=entry.totp_codes,
    )


#: Our flows, by name, as they really send calls.
PROFILES: Mapping[str, FlowProfile] = MappingProxyType(
    {name: profile_of(entry) for name, entry in CATALOGUE.items()}
)
