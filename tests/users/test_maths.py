"""Where the SRP maths runs (``--cognito-math``): native threads, or inline for comparison."""

from __future__ import annotations

import threading

import pytest

from loadtest.locust.maths import InlineExecutor, MathMode, math_executor_for, parse_mode
from loadtest.locust.runtime import EphemeralStock


def test_the_inline_executor_runs_on_the_callers_thread_and_settles_the_future() -> None:
    future = InlineExecutor().submit(lambda: threading.get_ident())
    assert future.done()
    assert future.result() == threading.get_ident()


def test_the_inline_executor_hands_back_the_exception() -> None:
    future = InlineExecutor().submit(int, "not a number")
    with pytest.raises(ValueError, match="invalid literal"):
        future.result()


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, MathMode.THREADS), ("", MathMode.THREADS), ("inline", MathMode.INLINE),
     (" Threads ", MathMode.THREADS)],
)  # fmt: skip
def test_parse_mode(value: str | None, mode: MathMode) -> None:
    assert parse_mode(value) is mode


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="fibers"):
        parse_mode("fibers")


def test_inline_mode_gets_the_inline_executor() -> None:
    assert isinstance(math_executor_for(MathMode.INLINE), InlineExecutor)


def test_a_stock_without_executor_never_refills_so_each_a_is_computed_when_taken() -> None:
    stock = EphemeralStock(None, target=4)
    stock.top_up()
    assert len(stock.pool) == 0
    stock.pool.take()
    assert (stock.pool.hits, stock.pool.misses) == (0, 1)


def test_a_stock_with_an_executor_refills_when_low() -> None:
    stock = EphemeralStock(InlineExecutor(), target=4)
    stock.top_up()
    assert len(stock.pool) == 4


class WorkerRunner:
    """Stands in for Locust's runner class of that name (only its name and index are read)."""

    def __init__(self, index: int) -> None:
        self.worker_index = index


@pytest.mark.parametrize(
    ("options", "index", "slot"),
    [
        ({"cognito_workers": 6, "processes": 2, "expect_workers": 3}, 4, (4, 6)),
        ({"cognito_workers": 0, "processes": 4, "expect_workers": 4}, 1, (1, 4)),  # --processes
        ({"cognito_workers": 0, "processes": 0, "expect_workers": 5}, 3, (3, 5)),  # machines
        ({"cognito_workers": 0, "processes": 2, "expect_workers": 6}, 5, (5, 6)),
        ({"cognito_workers": 0, "processes": 0, "expect_workers": 1}, 2, (2, 3)),  # guessed
    ],
)
def test_each_worker_knows_its_share_of_the_identities(
    options: dict[str, int], index: int, slot: tuple[int, int]
) -> None:
    from types import SimpleNamespace

    from loadtest.locust.runtime import _worker_slot

    environment = SimpleNamespace(
        runner=WorkerRunner(index), parsed_options=SimpleNamespace(**options)
    )
    assert _worker_slot(environment) == slot
