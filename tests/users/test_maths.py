"""Where the SRP maths runs (``--cognito-math``): native threads, or inline for comparison."""

from __future__ import annotations

import threading

import pytest

from loadtest.locust.maths import InlineExecutor, MathMode, math_executor_for, parse_mode
from loadtest.locust.runtime import MIN_STOCK, EphemeralStock, stock_size


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
    stock = EphemeralStock(None, size=4)
    stock.warm()
    stock.top_up()
    assert len(stock.pool) == 0
    stock.pool.take()
    assert (stock.pool.hits, stock.pool.misses) == (0, 1)


def test_a_stock_with_an_executor_refills_when_low() -> None:
    stock = EphemeralStock(InlineExecutor(), size=4)
    stock.top_up()
    assert len(stock.pool) == 4


def test_a_warmed_stock_is_full_before_the_first_take_and_serves_it() -> None:
    stock = EphemeralStock(InlineExecutor(), size=8)
    stock.warm()
    assert len(stock.pool) == 8
    assert stock.pool.take_ready() is not None
    assert (stock.pool.hits, stock.pool.misses) == (1, 0)


def test_a_starved_stock_keeps_nothing_so_every_take_is_a_miss() -> None:
    stock = EphemeralStock(InlineExecutor(), size=0)
    stock.warm()
    stock.top_up()
    assert stock.pool.take_ready() is None
    stock.pool.take()
    stock.pool.take()
    assert (len(stock.pool), stock.pool.hits, stock.pool.misses) == (0, 0, 2)


@pytest.mark.parametrize(
    ("options", "workers", "peak", "size"),
    [
        ({"num_users": 10}, 1, 0.0, MIN_STOCK),  # small runs keep the floor
        ({"num_users": 100}, 1, 0.0, 200),  # every user at once, twice (device logins)
        ({"num_users": 100}, 2, 0.0, 100),  # each process its share
        ({"num_users": 10}, 2, 500.0, 250),  # a second of the open model's peak share
        ({"num_users": 100, "cognito_stock": 5}, 1, 0.0, 5),  # stated
        ({"num_users": 100, "cognito_stock": 0}, 1, 900.0, 0),  # starved on purpose
    ],
)
def test_the_stock_covers_the_population_and_the_peak_rate(
    options: dict[str, int], workers: int, peak: float, size: int
) -> None:
    from types import SimpleNamespace

    assert stock_size(SimpleNamespace(**options), workers=workers, peak_rate=peak) == size


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

    from loadtest.locust.runtime import worker_slot

    environment = SimpleNamespace(
        runner=WorkerRunner(index), parsed_options=SimpleNamespace(**options)
    )
    assert worker_slot(environment) == slot
