"""WSGI request-ID middleware for Flask and any WSGI app.

Any WSGI app: `app = RequestIDMiddleware(app)`. Flask: `init_flask(app)`, which wraps
`app.wsgi_app` and also captures the exceptions Flask itself turns into 500 pages
(they never reach a WSGI middleware). Flask is imported only by `init_flask`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from python_logging.capture import capture_once, deduplicate_errors_of
from python_logging.web import ObservedRequest, WrappingMiddleware

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

class RequestIDMiddleware(WrappingMiddleware):
    """`RequestIDMiddleware(app, header=..., slow_request_ms=..., exclude_paths=...)`."""

    server_loggers = ("gunicorn.error", "waitress")
    app: WSGIApp

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        request = ObservedRequest.from_environ(self.settings, environ, path)
        # The body is produced after we return; a copied context keeps the request's ID
        # bound while it is, and never leaks into the server's thread.
        context = contextvars.copy_context()
        request_id = context.run(request.__enter__)
        header = self.settings.header

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            request.status = int(status.split(" ", 1)[0])
            kept = [(name, value) for name, value in headers if name.lower() != header.lower()]
            return start_response(status, [*kept, (header, request_id)], exc_info)

        try:
            body = context.run(self.app, environ, start_with_id)
        except BaseException as exc:
            context.run(_fail_and_finish, request, exc)
            raise
        return _Body(body, context, request)


class _Body:
    """The app's response body, iterated in the request's context; `close` ends the request."""

    def __init__(self, body: Iterable[bytes], context: contextvars.Context,
                 request: ObservedRequest) -> None:
        self._body = body
        self._iterator: Iterator[bytes] | None = None
        self._context = context
        self._request: ObservedRequest | None = request

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = iter(self._body)
        try:
            return self._context.run(next, self._iterator)
        except StopIteration:
            raise
        except Exception as exc:
            if self._request is not None:
                self._context.run(self._request.failed, exc)
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                self._context.run(close)
        finally:
            request, self._request = self._request, None
            if request is not None:
                self._context.run(request.__exit__, None, None, None)


def _fail_and_finish(request: ObservedRequest, exc: BaseException) -> None:
    try:
        request.failed(exc)
    finally:
        request.__exit__(None, None, None)


def init_flask(flask_app: Any, **options: Any) -> RequestIDMiddleware:
    """Wrap a Flask app's `wsgi_app` and capture the errors Flask turns into 500s."""
    from flask import got_request_exception

    middleware = RequestIDMiddleware(flask_app.wsgi_app, **options)
    flask_app.wsgi_app = middleware
    got_request_exception.connect(_flask_exception, flask_app, weak=False)
    deduplicate_errors_of(flask_app.logger.name)
    return middleware


def _flask_exception(sender: Any, exception: BaseException, **_: Any) -> None:
    capture_once(exception)
