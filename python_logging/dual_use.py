"""One object that works as a decorator (sync and async functions) and as a context manager.

Subclasses say what happens around the work (`_start`, `_finish`); this class applies
it to a call, an awaited call, a `with` block or an `async with` block.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# State of the open `with` blocks, per instance, in the current context: one instance
# shared by threads or tasks (`timer = log_performance("x")`, then `with timer:`) must
# not mix their start times. Replaced on every change, never mutated.
_open_blocks: ContextVar[Mapping[int, tuple[Any, ...]]] = ContextVar(
    "python_logging_open_blocks", default={}  # noqa: B039 - never mutated
)


class DualUse:

    def _start(self) -> Any:
        raise NotImplementedError

    def _finish(self, state: Any, exc: BaseException | None) -> None:
        raise NotImplementedError

    def __call__(self, function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def awaited(*args: Any, **kwargs: Any) -> Any:
                state = self._start()
                try:
                    result = await function(*args, **kwargs)
                except BaseException as exc:
                    self._finish(state, exc)
                    raise
                self._finish(state, None)
                return result

            return awaited  # type: ignore[return-value]

        @functools.wraps(function)
        def called(*args: Any, **kwargs: Any) -> Any:
            state = self._start()
            try:
                result = function(*args, **kwargs)
            except BaseException as exc:
                self._finish(state, exc)
                raise
            self._finish(state, None)
            return result

        return called  # type: ignore[return-value]

    def __enter__(self) -> DualUse:
        blocks = _open_blocks.get()
        mine = blocks.get(id(self), ())
        _open_blocks.set({**blocks, id(self): (*mine, self._start())})
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        blocks = dict(_open_blocks.get())
        *outer, state = blocks.pop(id(self))
        if outer:
            blocks[id(self)] = tuple(outer)
        _open_blocks.set(blocks)
        self._finish(state, exc)
        return False  # never swallow

    async def __aenter__(self) -> DualUse:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)
