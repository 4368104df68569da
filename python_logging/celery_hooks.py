"""Celery: a task runs under the request ID of the code that queued it.

`connect_celery()` once in the worker and the publisher (e.g. next to the Celery app).
- `before_task_publish` puts the current ID into the message headers;
- `task_prerun` validates that header again (it crossed a broker) and enters a request
  context with it. Without a valid header it keeps the caller's ID when there is one (an
  eager task, `task_always_eager`, runs in the caller's context and is never published),
  else it uses the task ID;
- `task_postrun` leaves the context, so the next task on the worker starts clean.
Celery is imported only by `connect_celery`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from python_logging.context import current_request_id, request_context, valid_request_id

HEADER = "python_logging_request_id"
# Open contexts by task ID: prerun and postrun are separate signal calls.
_open: dict[str, AbstractContextManager[str]] = {}


def connect_celery() -> None:
    from celery import signals

    signals.before_task_publish.connect(before_task_publish, weak=False)
    signals.task_prerun.connect(task_prerun, weak=False)
    signals.task_postrun.connect(task_postrun, weak=False)


def before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers[HEADER] = request_id


def task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None:  # Celery always sends one; without it postrun could not close
        return
    context = request_context(
        valid_request_id(_incoming(task)) or current_request_id() or valid_request_id(task_id)
    )
    context.__enter__()
    _open[task_id] = context


def task_postrun(task_id: str | None = None, **_: Any) -> None:
    context = _open.pop(task_id, None) if task_id is not None else None
    if context is not None:
        context.__exit__(None, None, None)


def _incoming(task: Any) -> Any:
    """The header as a worker sees it (a request attribute) or as `apply()` passes it."""
    request = getattr(task, "request", None)
    value = getattr(request, HEADER, None)
    if value is None:
        headers = getattr(request, "headers", None)
        value = headers.get(HEADER) if isinstance(headers, dict) else None
    return value
