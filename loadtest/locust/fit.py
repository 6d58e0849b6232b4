"""Which user classes of a run the identities file can serve, checked once before the run.

A user class that leases identities runs a catalogue entry (or its fallbacks); an identity fits
it when one of those entries accepts it (the catalogue's rule). A class that no identity fits
would spend the whole run failing to lease, so the run says so at the start, once, with what the
class needs and the ``provision`` command that makes such users: it stops if no class fits, and
otherwise runs the classes that do. Pure: classes and identities in, findings out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.flows.catalogue import Entry, Need
from loadtest.flows.identity import Identity

__all__ = ["Unfit", "entries_of", "unfit_classes"]

#: What a credential is, for people: "it needs a passkey and no TOTP".
_WORDS = {
    Need.PASSWORD: "a password",
    Need.TOTP: "TOTP",
    Need.DEVICE: "a remembered device",
    Need.EMAIL: "an e-mail address",
    Need.PHONE: "a phone number",
    Need.PASSKEY: "a passkey",
    Need.SMS_MFA: "SMS MFA",
    Need.EMAIL_MFA: "e-mail MFA",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Unfit:
    """A user class no identity of the file fits, and the entry it would run first."""

    name: str
    entry: Entry

    def message(self, identities: Path) -> str:
        """One line: the class, what it needs, and the command that provisions such users."""
        from loadtest.provision.plan import Plan  # the command's flags: imported on this path only

        plan = Plan.for_needs(self.entry.needs)
        head = ("cognito-loadtest provision -n 10", f"--identities {self.entry.name}.jsonl")
        command = " ".join((*head, *plan.flags()))
        return (
            f"{self.name} ({self.entry.name}) fits no identity in {identities}: it needs "
            f"{wants(self.entry)}; provision such users with '{command}' and run with that file, "
            "or use a local pool made by 'cognito-loadtest pool serve --bootstrap DIR', which "
            "has every kind"
        )


def wants(entry: Entry) -> str:
    """``"a passkey, and no TOTP or SMS MFA"``: an entry's needs beyond a password."""
    held = [_WORDS[n] for n in sorted(entry.needs - {Need.PASSWORD})] or ["a password"]
    text = " and ".join(held)
    refused = [_WORDS[n] for n in sorted(entry.refuses)]
    if refused:
        text += ", and no " + " or ".join(
            (", ".join(refused[:-1]), refused[-1]) if refused[:-1] else refused
        )
    return text


def entries_of(user_class: Any) -> tuple[Entry, ...]:
    """The entries a user class may run on a leased identity (none: it leases nothing)."""
    leased = getattr(user_class, "leased", None)
    if callable(leased):
        entries: tuple[Entry, ...] = tuple(leased())
    elif isinstance(getattr(user_class, "entry", None), Entry):
        entries = (user_class.entry,)
    else:
        return ()
    if getattr(user_class, "entry", None) is not None and user_class.entry.creates:
        return ()
    return entries if any(e.leases for e in entries) else ()


def unfit_classes(user_classes: Iterable[Any], identities: Sequence[Identity]) -> list[Unfit]:
    """The leasing classes that no identity fits, in the order given."""
    unfit = []
    for user_class in user_classes:
        entries = entries_of(user_class)
        if entries and not any(e.accepts(i) for e in entries for i in identities):
            unfit.append(Unfit(name=user_class.__name__, entry=entries[0]))
    return unfit
