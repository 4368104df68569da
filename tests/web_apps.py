"""The same small app in Starlette, Flask and Django, each behind our middleware.

Routes: /ok (answers with the request ID it sees, after a short pause so concurrent
requests overlap), /user (sets the user), /boom (raises with a secret in the message),
/slow (slower than the threshold) and /health (excluded from access lines).
Each framework is driven through a `Driver` with the same sync and async `get`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from python_logging.context import current_request_id
from python_logging.user import set_user

OPTIONS = {"slow_request_ms": 250, "exclude_paths": ["/health"]}  # generous: CI is busy
PAUSE = 0.005
SLOW = 0.3
CLIENT_IP = "127.0.0.1"
logger = logging.getLogger(__name__)


def handled(sent: str | None) -> str:
    """What /ok does in every framework: log a line, answer with the ID in context."""
    logger.info("handled", extra={"labels": {"sent": sent}})
    return current_request_id() or ""


class Boom(RuntimeError):
    status_code = 503


def boom() -> None:
    raise Boom("kaboom password=hunter2")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    text: str


class Driver:
    name = ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError

    async def aget(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError


# --- Starlette -------------------------------------------------------------------------

def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from python_logging.asgi import RequestIDMiddleware

    async def ok(request):
        await asyncio.sleep(PAUSE)
        return PlainTextResponse(handled(request.headers.get("x-request-id")))

    async def user(request):
        set_user(42)
        return PlainTextResponse("hi")

    async def fail(request):
        boom()

    async def slow(request):
        await asyncio.sleep(SLOW)
        return PlainTextResponse("slow")

    async def health(request):
        return PlainTextResponse("up")

    routes = [Route("/ok", ok), Route("/user", user), Route("/boom", fail), Route("/slow", slow),
              Route("/health", health)]
    return Starlette(routes=routes, middleware=[Middleware(RequestIDMiddleware, **OPTIONS)])


class StarletteDriver(Driver):
    name = "starlette"

    def __init__(self) -> None:
        self.app = starlette_app()

    async def aget(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        import httpx

        transport = httpx.ASGITransport(self.app, raise_app_exceptions=False,
                                        client=(CLIENT_IP, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(path, headers=headers)
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                     response.text)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return asyncio.run(self.aget(path, headers))


# --- Flask -----------------------------------------------------------------------------

def flask_app() -> Any:
    from flask import Flask

    from python_logging.wsgi import init_flask

    app = Flask("flask_test_app")

    @app.get("/ok")
    def ok():
        from flask import request

        time.sleep(PAUSE)
        return handled(request.headers.get("x-request-id"))

    @app.get("/aok")
    async def async_ok():  # Flask runs it in an event loop of its own (asgiref)
        from flask import request

        await asyncio.sleep(PAUSE)
        return handled(request.headers.get("x-request-id"))

    @app.get("/user")
    def user():
        set_user(42)
        return "hi"

    @app.get("/boom")
    def fail():
        boom()

    @app.get("/slow")
    def slow():
        time.sleep(SLOW)
        return "slow"

    @app.get("/health")
    def health():
        return "up"

    init_flask(app, **OPTIONS)
    return app


class FlaskDriver(Driver):
    name = "flask"

    def __init__(self) -> None:
        self.app = flask_app()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        response = self.app.test_client().get(path, headers=headers or {})
        text = response.get_data(as_text=True)
        response.close()  # as a WSGI server does; this ends the request and its access line
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                     text)

    async def aget(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        """An async view (`/ok` -> `/aok`), served the WSGI way: one worker thread each."""
        return await asyncio.to_thread(self.get, path.replace("/ok", "/aok"), headers)


# --- Django ----------------------------------------------------------------------------

def django_ok(request):
    from django.http import HttpResponse

    time.sleep(PAUSE)
    return HttpResponse(handled(request.headers.get("x-request-id")))


def django_user(request):
    from django.http import HttpResponse

    set_user(42)
    return HttpResponse("hi")


def django_boom(request):
    boom()


def django_slow(request):
    from django.http import HttpResponse

    time.sleep(SLOW)
    return HttpResponse("slow")


def django_health(request):
    from django.http import HttpResponse

    return HttpResponse("up")


def _urlpatterns() -> list:
    from django.urls import path

    return [path("ok", django_ok), path("user", django_user), path("boom", django_boom),
            path("slow", django_slow), path("health", django_health)]


def configure_django() -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["python_logging.django.RequestIDMiddleware"],
        PYTHON_LOGGING_MIDDLEWARE=OPTIONS,
        INSTALLED_APPS=[],
        LOGGING_CONFIG=None,  # leave logging alone: the tests capture it
    )
    django.setup()


class DjangoDriver(Driver):
    name = "django"

    def __init__(self) -> None:
        configure_django()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        from django.test import Client

        response = Client(raise_request_exception=False).get(path, headers=headers or {})
        return _django_reply(response)

    async def aget(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        from django.test import AsyncClient

        client = AsyncClient(raise_request_exception=False)
        return _django_reply(await client.get(path, headers=headers or {}))


def _django_reply(response: Any) -> Reply:
    return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                 response.content.decode())


def __getattr__(name: str) -> Any:
    # Django reads ROOT_URLCONF's `urlpatterns` lazily, after configure_django().
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


DRIVERS = {"starlette": StarletteDriver, "flask": FlaskDriver, "django": DjangoDriver}
