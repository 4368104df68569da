"""Carry the current request ID into outgoing HTTP calls and into worker threads.

- `requests`: `instrument_requests(session)` mounts an adapter that adds the header.
- `httpx`: `instrument_httpx(client)` adds a request event hook (sync or async client).
- Threads: context variables do not follow work into a pool; `with_context(fn)` and
  `submit_with_context(executor, fn, ...)` run `fn` in a copy of the caller's context.
  (`asyncio.to_thread` already copies it; `loop.run_in_executor` does not.)
Neither HTTP library is imported unless its function is called.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, MutableMapping
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from python_logging.context import current_request_id
from python_logging.web import DEFAULT_HEADER

T = TypeVar("T")


def add_request_id(headers: MutableMapping[str, str], header: str = DEFAULT_HEADER) -> None:
    """Set `header` to the current request ID unless the caller already set one."""
    request_id = current_request_id()
    if request_id and header not in headers:
        headers[header] = request_id


def instrument_requests(session: Any, header: str = DEFAULT_HEADER) -> Any:
    """Make every request of a `requests.Session` carry the current request ID."""
    from requests.adapters import HTTPAdapter

    class RequestIDAdapter(HTTPAdapter):
        def add_headers(self, request: Any, **kwargs: Any) -> None:
            super().add_headers(request, **kwargs)
            add_request_id(request.headers, header)

    for prefix, current in list(session.adapters.items()):
        # Keep the retry policy the session was configured with.
        session.mount(prefix, RequestIDAdapter(max_retries=getattr(current, "max_retries", 0)))
    return session


def instrument_httpx(client: Any, header: str = DEFAULT_HEADER) -> Any:
    """Add a request hook to an `httpx.Client` or `httpx.AsyncClient`."""
    import httpx

    def hook(request: Any) -> None:
        add_request_id(request.headers, header)

    async def async_hook(request: Any) -> None:
        hook(request)

    hooks = dict(client.event_hooks)
    chosen = async_hook if isinstance(client, httpx.AsyncClient) else hook
    hooks["request"] = [*hooks.get("request", []), chosen]
    client.event_hooks = hooks
    return client


def with_context(function: Callable[..., T]) -> Callable[..., T]:
    """`function` bound to a copy of the current context (taken now, not when it runs)."""
    if inspect.iscoroutinefunction(function):
        raise TypeError("with_context() is for plain callables; asyncio tasks copy context")
    context = contextvars.copy_context()

    @functools.wraps(function)
    def in_context(*args: Any, **kwargs: Any) -> T:
        # A copy per call: one context object cannot be entered by two threads at once.
        return context.copy().run(function, *args, **kwargs)

    return in_context


def submit_with_context(
    executor: Executor, function: Callable[..., T], /, *args: Any, **kwargs: Any
) -> Future[T]:
    """`executor.submit` running `function` in a copy of the caller's context."""
    return executor.submit(contextvars.copy_context().run, function, *args, **kwargs)
