"""Pure ASGI request-ID middleware for FastAPI, Starlette and any ASGI app.

`app.add_middleware(RequestIDMiddleware)` (Starlette/FastAPI) or
`app = RequestIDMiddleware(app, slow_request_ms=500, exclude_paths=["/health"])`.
No framework is imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from python_logging.web import ObservedRequest, WrappingMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

class RequestIDMiddleware(WrappingMiddleware):
    """`RequestIDMiddleware(app, header=..., slow_request_ms=..., exclude_paths=...)`."""

    server_loggers = ("uvicorn.error", "hypercorn.error", "daphne.server", "granian")
    app: ASGIApp

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        super().__init__(app, **options)
        self._header = self.settings.header.lower().encode("latin-1")
        self._wanted = frozenset({self._header, b"user-agent", b"traceparent"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets and lifespan pass through untouched
            await self.app(scope, receive, send)
            return
        request = self._observe(scope)
        with request as request_id:
            header = self._header
            echoed = (header, request_id.encode("latin-1"))

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    request.status = message["status"]
                    headers = []  # the app's own header of that name is replaced
                    for pair in message.get("headers", ()):
                        if pair[0].lower() != header:
                            headers.append(pair)
                    headers.append(echoed)
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                started = request.status is not None
                request.failed(exc)
                if not started:
                    # The client still gets a response; a failing send must not hide `exc`.
                    with contextlib.suppress(Exception):
                        await _internal_error(send_with_id)
                raise

    def _observe(self, scope: Scope) -> ObservedRequest:
        # Names in the scope are lowercase: "Header names must be lowercased" (ASGI HTTP
        # connection scope, https://asgi.readthedocs.io/en/latest/specs/www.html).
        wanted = self._wanted
        found: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            if name in wanted and name not in found:  # the first of each wins
                found[name] = value
        request_id = traceparent = user_agent = None
        if found:
            value = found.get(self._header)
            request_id = None if value is None else value.decode("latin-1")
            value = found.get(b"user-agent")
            user_agent = None if value is None else value.decode("latin-1")
            value = found.get(b"traceparent")
            traceparent = None if value is None else value.decode("latin-1")
        client = scope.get("client")
        # Positional: keyword arguments cost a quarter of this method, once per request.
        return ObservedRequest(
            self.settings,
            scope.get("method", "GET"),
            scope.get("path", ""),
            scope.get("query_string", b"").decode("latin-1"),
            request_id,
            traceparent,
            client[0] if client else None,
            user_agent,
        )


async def _internal_error(send: Send) -> None:
    body = b"Internal Server Error"
    await send({
        "type": "http.response.start",
        "status": 500,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
