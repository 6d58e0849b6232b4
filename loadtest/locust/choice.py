"""The catalogue's rule for which entry a leased identity runs, for any user class of an entry.

A user class runs its entry for an identity the entry accepts, else the first of the entry's
fallbacks that accepts it, still under the entry's own event (``SrpUser`` runs ``srp_totp``
for a TOTP identity; ``ManagedLoginPasswordUser`` runs ``managed_login`` for one). The API users
(:class:`~loadtest.locust.logins.CatalogueUser`) and the managed-login users
(:mod:`loadtest.locust.hosted`) both choose this way; this mixin is that rule's one home.
"""

from __future__ import annotations

from typing import ClassVar

from loadtest.flows.catalogue import CATALOGUE, Entry, family
from loadtest.flows.identity import Identity

__all__ = ["EntryChoice"]


class EntryChoice:
    """Chooses, per identity, the entry a user class runs (mix in before the Locust user)."""

    entry: ClassVar[Entry]

    @classmethod
    def leased(cls) -> tuple[Entry, ...]:
        """The entries a leased identity may run: the entry's family, or, for an entry that
        continues a session, the family of the entry whose login opens it."""
        opener = cls.entry.continues
        return family(CATALOGUE[opener] if opener else cls.entry)

    def entry_for(self, identity: Identity) -> Entry | None:
        """The first of :meth:`leased` that accepts the identity."""
        return next((e for e in self.leased() if e.accepts(identity)), None)

    def accepts(self, identity: Identity) -> bool:
        """Whether an identity fits this user class (some entry it may run accepts it)."""
        return self.entry_for(identity) is not None

    def sends_totp(self, identity: Identity) -> bool:
        """Whether this user's login of ``identity`` sends a TOTP code (so needs a free step)."""
        entry = self.entry_for(identity)
        return entry is not None and entry.sends_totp(identity)
