"""The one loop every driver shares, as a sans-I/O object: resume a flow, get its next effect.

Drivers differ only in how they perform an effect (blocking, awaited, on gevent); the stepping,
the bound on effects and the capture of the flow's result live here once.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from loadtest.flows.effects import Effect, Flow, FlowError

__all__ = ["MAX_EFFECTS", "Stepper"]

T = TypeVar("T")

#: No login needs anywhere near this many effects; a flow that does is broken.
MAX_EFFECTS = 200


class Stepper(Generic[T]):
    """Feeds results into a flow and hands out its effects until it returns.

    ``advance(value)`` or ``fail(error)`` return the next effect, or ``None`` when the flow has
    finished; then :attr:`result` holds its value. Exceptions the flow does not handle
    propagate from ``advance``/``fail`` unchanged.
    """

    def __init__(self, flow: Flow[T], *, max_effects: int = MAX_EFFECTS) -> None:
        self._flow = flow
        self._left = max_effects
        self._done = False
        self._result: T | None = None

    @property
    def result(self) -> T:
        """The flow's return value (only once it has finished)."""
        if not self._done:
            raise RuntimeError("the flow has not finished")
        return self._result  # type: ignore[return-value]

    def advance(self, value: Any = None) -> Effect | None:
        """Resume with an effect's result (``None`` to start)."""
        self._count()
        try:
            effect: Effect = self._flow.send(value)
        except StopIteration as stop:
            self._done, self._result = True, stop.value
            return None
        return effect

    def fail(self, error: BaseException) -> Effect | None:
        """Resume by raising an effect's exception inside the flow."""
        self._count()
        try:
            effect: Effect = self._flow.throw(error)
        except StopIteration as stop:
            self._done, self._result = True, stop.value
            return None
        return effect

    def _count(self) -> None:
        """One more effect, or close the flow that exceeded the bound (no closure per step:
        this runs for every effect of every login, on the hub)."""
        if self._left <= 0:
            self._flow.close()
            raise FlowError(f"flow exceeded {MAX_EFFECTS} effects")
        self._left -= 1
