"""Framework-free request handling, and the raw ASGI/WSGI middlewares without a framework."""

from __future__ import annotations

import asyncio

import pytest

from python_logging.access import client_fields
from python_logging.asgi import RequestIDMiddleware as ASGIMiddleware
from python_logging.config import ConfigError
from python_logging.context import current_request_id
from python_logging.web import (
    middleware_settings,
    settings_from_mapping,
    trace_id,
)
from python_logging.wsgi import RequestIDMiddleware as WSGIMiddleware
from tests.logcapture import capturing, field

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{TRACE}-00f067aa0ba902b7-01", TRACE),
        (f" 00-{TRACE}-00f067aa0ba902b7-00 ", TRACE),
        (f"01-{TRACE}-00f067aa0ba902b7-01-future", TRACE),  # later versions may add fields
        (f"00-{TRACE}-00f067aa0ba902b7-01-extra", None),  # version 00 may not
        (f"ff-{TRACE}-00f067aa0ba902b7-01", None),
        ("00-" + "0" * 32 + "-00f067aa0ba902b7-01", None),
        (f"00-{TRACE}-" + "0" * 16 + "-01", None),
        (f"00-{TRACE.upper()}-00f067aa0ba902b7-01", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_trace_id(header, expected):
    assert trace_id(header) == expected


def test_client_fields_only_claim_an_ip_when_it_is_one():
    assert client_fields("10.0.0.1") == {"address": "10.0.0.1", "ip": "10.0.0.1"}
    assert client_fields("testclient") == {"address": "testclient"}
    assert client_fields(None) == {}


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"header": "X Request"}, "header"),
        ({"slow_request_ms": 0}, "slow_request_ms"),
        ({"slow_request_ms": "fast"}, "slow_request_ms"),
        ({"exclude_paths": ["health"]}, "exclude_paths"),
    ],
)
def test_bad_middleware_options_name_the_key(options, key):
    with pytest.raises(ConfigError) as caught:
        middleware_settings(**options)
    assert caught.value.key == key


def test_settings_from_mapping_names_the_setting():
    assert settings_from_mapping({"exclude_paths": "/health"}, "X").exclude_paths == {"/health"}
    with pytest.raises(ConfigError, match=r"'X\.slow_request_ms'"):
        settings_from_mapping({"slow_request_ms": -1}, "X")
    with pytest.raises(ConfigError, match=r"'X\.colour'.*unknown key"):
        settings_from_mapping({"colour": "red"}, "X")


def run_asgi(app, path="/", headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
             "headers": list(headers), "client": ("10.1.2.3", 1)}
    error = None
    try:
        asyncio.run(app(scope, receive, send))
    except Exception as exc:
        error = exc
    return sent, error


def test_asgi_answers_500_when_the_app_raises_before_responding_and_re_raises():
    async def app(scope, receive, send):
        raise KeyError("nope")

    with capturing() as logs:
        sent, error = run_asgi(ASGIMiddleware(app))
    assert isinstance(error, KeyError)  # never swallowed: the server sees it too
    assert sent[0]["status"] == 500
    assert any(name == b"x-request-id" for name, _ in sent[0]["headers"])
    assert sent[1]["body"] == b"Internal Server Error"
    assert len(logs.error_events()) == 1
    assert field(logs.access()[0], "http.response.status_code") == 500


def test_asgi_keeps_the_status_already_sent_when_the_app_raises_later():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-request-id", b"app-own")]})
        raise ValueError("mid-stream")

    with capturing() as logs:
        sent, error = run_asgi(ASGIMiddleware(app), headers=[(b"x-request-id", b"mine")])
    assert isinstance(error, ValueError)
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert sent[0]["headers"] == [(b"x-request-id", b"mine")]  # ours replaces the app's
    assert field(logs.access()[0], "http.response.status_code") == 200
    assert len(logs.error_events()) == 1


def test_asgi_passes_other_scopes_through():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["type"], current_request_id()))

    asyncio.run(ASGIMiddleware(app)({"type": "lifespan"}, None, None))
    assert seen == [("lifespan", None)]


def test_asgi_custom_header():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with capturing():
        sent, _ = run_asgi(ASGIMiddleware(app, header="X-Correlation-ID"),
                           headers=[(b"x-correlation-id", b"corr-1")])
    assert sent[0]["headers"] == [(b"x-correlation-id", b"corr-1")]


def test_wsgi_app_raising_is_captured_once_and_re_raised():
    def app(environ, start_response):
        raise RuntimeError("down")

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "HTTP_X_REQUEST_ID": "w-1"}
    with capturing() as logs, pytest.raises(RuntimeError):
        WSGIMiddleware(app)(environ, lambda *a: None)
    [event] = logs.error_events()
    assert field(event, "http.request.id") == "w-1"
    assert field(event, "http.request.method") == "POST"
    [line] = logs.access("/x")
    assert field(line, "http.response.status_code") == 500
    assert current_request_id() is None


def test_wsgi_body_runs_in_the_request_context():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield (current_request_id() or "").encode()

    headers = []
    with capturing() as logs:
        body = WSGIMiddleware(app)({"HTTP_X_REQUEST_ID": "w-2", "PATH_INFO": "/"},
                                   lambda status, h, exc_info=None: headers.extend(h))
        chunks = list(body)
        assert logs.access() == []  # the request ends when the server closes the body
        body.close()
    assert chunks == [b"w-2"]
    assert ("X-Request-ID", "w-2") in headers
    assert len(logs.access()) == 1


def test_no_framework_or_client_is_imported_until_used():
    import subprocess
    import sys

    code = (
        "import sys, python_logging, python_logging.asgi, python_logging.wsgi, "
        "python_logging.propagation, python_logging.celery_hooks, python_logging.sampling\n"
        "print(sorted(m for m in ('flask', 'django', 'starlette', 'celery', 'requests', "
        "'httpx', 'elasticsearch', 'click') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_wsgi_custom_header_is_read_and_echoed():
    def app(environ, start_response):
        start_response("200 OK", [("X-Correlation-ID", "stale")])
        return [(current_request_id() or "").encode()]

    headers = []
    environ = {"PATH_INFO": "/", "HTTP_X_CORRELATION_ID": "corr-2", "HTTP_X_REQUEST_ID": "no"}
    with capturing():
        body = WSGIMiddleware(app, header="X-Correlation-ID")(
            environ, lambda status, h, exc_info=None: headers.extend(h))
        chunks = list(body)
        body.close()
    assert chunks == [b"corr-2"]
    assert headers == [("X-Correlation-ID", "corr-2")]


def test_django_custom_header_is_read_and_echoed():
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from tests.web_apps import configure_django

    configure_django()
    from python_logging.django import RequestIDMiddleware as DjangoMiddleware

    def view(request):
        return HttpResponse(current_request_id())

    request = RequestFactory().get("/", headers={"X-Correlation-ID": "corr-3",
                                                 "X-Request-ID": "no"})
    with capturing(), override_settings(PYTHON_LOGGING_MIDDLEWARE={"header": "X-Correlation-ID"}):
        response = DjangoMiddleware(view)(request)
    assert response.content == b"corr-3"
    assert response["X-Correlation-ID"] == "corr-3"
    assert not response.has_header("X-Request-ID")
