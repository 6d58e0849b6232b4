"""Locust users and what they need: the identity pool and the per-process runtime.

Target settings are :mod:`loadtest.target`'s. Importing this package does not import Locust
(which monkey-patches the process); the Locust classes live in :mod:`loadtest.users.logins`
(concrete users) and :mod:`loadtest.users.base`.
"""

from __future__ import annotations

from .identities import IdentityPool, NoIdentityAvailable, partition

__all__ = ["IdentityPool", "NoIdentityAvailable", "partition"]
