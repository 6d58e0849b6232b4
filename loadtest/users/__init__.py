"""Locust users and what they need: the identity pool and the per-process runtime.

Target settings are :mod:`loadtest.target`'s. Importing this package does not import Locust
(which monkey-patches the process); the Locust classes live in :mod:`loadtest.locust.logins`
(concrete users) and :mod:`loadtest.locust.base`.
"""

from __future__ import annotations

from loadtest.flows.identities import IdentityPool, NoIdentityAvailable, partition

__all__ = ["IdentityPool", "NoIdentityAvailable", "partition"]
