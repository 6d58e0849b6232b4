"""Warm before the clock, for passkeys too: a process's first signature per algorithm is made
before its first login, so a passkey login's client compute never holds OpenSSL's set-up."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import srp_fast
from loadtest.flows.authenticator import Algorithm, Passkey, warm_signing
from loadtest.flows.context import FlowContext
from loadtest.flows.identities import IdentityPool
from loadtest.flows.identity import Identity
from loadtest.locust.maths import InlineExecutor
from loadtest.locust.runtime import EphemeralStock, Runtime
from loadtest.target.config import AppClient


def passkey(algorithm: Algorithm) -> Passkey:
    return Passkey.create(rp_id="example.com", user_handle=b"u", algorithm=algorithm)


class Counted:
    """A passkey whose signatures are counted (delegating to the real one)."""

    def __init__(self, inner: Passkey) -> None:
        self.inner, self.algorithm, self.signed = inner, inner.algorithm, 0

    def sign(self, data: bytes) -> bytes:
        self.signed += 1
        return self.inner.sign(data)


def test_one_signature_per_algorithm_in_the_order_met() -> None:
    keys = [Counted(passkey(a)) for a in (Algorithm.RS256, Algorithm.ES256, Algorithm.ES256)]
    assert warm_signing(keys) == [Algorithm.RS256, Algorithm.ES256]  # type: ignore[arg-type]
    assert [k.signed for k in keys] == [1, 1, 0]
    assert warm_signing([]) == []


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """``Runtime.warm`` freezes the garbage collector's objects, as a Locust process should;
    this test process thaws them afterwards."""
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
@pytest.mark.parametrize(
    ("algorithms", "said"),
    [
        ((Algorithm.ES256,), "; passkey signing warmed: ES256"),
        ((Algorithm.ES256, Algorithm.RS256), "; passkey signing warmed: ES256, RS256"),
        ((), None),
    ],
)
def test_a_process_warms_the_signing_its_identities_need(
    algorithms: tuple[Algorithm, ...], said: str | None
) -> None:
    own = [Identity(username="plain", password="p")]
    own += [
        Identity(username=f"pk{n}", password="p", passkey=passkey(a))
        for n, a in enumerate(algorithms)
    ]
    context = FlowContext(
        client=AppClient(pool_id="us-east-1_Abc", client_id="c"),
        clock=lambda: datetime.now(UTC),
        ephemerals=srp_fast.new_ephemeral,
    )
    runtime = Runtime(
        config=None,  # type: ignore[arg-type]  (warming reads the context and identities)
        identities=IdentityPool(own),
        all_identities=own,
        context=context,
        executor=InlineExecutor(),
        signer=None,
        ephemerals=EphemeralStock(None, size=0),
        own=own,
    )
    runtime.warm()
    assert runtime.signing_warmed == [a.value for a in algorithms]
    line = runtime.stock_line()
    if said is None:
        assert "passkey" not in line
    else:
        assert line.endswith(said)
