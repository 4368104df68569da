"""The request-ID middlewares driven through real Starlette, Flask and Django apps."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from python_logging.context import current_request_id
from tests.logcapture import capturing, field
from tests.web_apps import CLIENT_IP, DRIVERS

HEADER = "x-request-id"
UA = {"User-Agent": "pytest-agent/1.0"}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request):
    return DRIVERS[request.param]()


@pytest.fixture
def logs():
    with capturing() as handler:
        yield handler


def test_generates_and_echoes_an_id(driver, logs):
    reply = driver.get("/ok")
    generated = reply.headers[HEADER]
    assert str(uuid.UUID(generated)) == generated
    assert reply.text == generated  # the app saw the same ID it was echoed
    assert current_request_id() is None  # nothing leaks out of the request


def test_replaces_an_empty_id(driver, logs):
    assert uuid.UUID(driver.get("/ok", {"X-Request-ID": ""}).headers[HEADER])


def test_keeps_a_valid_incoming_id(driver, logs):
    reply = driver.get("/ok", {"X-Request-ID": "abc-123.x:y_z"})
    assert reply.headers[HEADER] == "abc-123.x:y_z" == reply.text


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "<script>", "a/b"])
def test_replaces_an_invalid_id(driver, logs, bad):
    reply = driver.get("/ok", {"X-Request-ID": bad})
    assert reply.headers[HEADER] != bad
    assert uuid.UUID(reply.headers[HEADER])
    ours = [r.__dict__ for r in logs.records if r.name.startswith("python_logging")]
    assert ours and bad not in str(ours)


def test_access_line_fields(driver, logs):
    reply = driver.get("/ok?a=1&access_token=s3cr3t", {**UA, "X-Request-ID": "req-1"})
    [line] = logs.access("/ok")
    assert line.levelname == "INFO"
    assert field(line, "http.request.method") == "GET"
    assert field(line, "http.response.status_code") == 200 == reply.status
    assert field(line, "url.path") == "/ok"
    assert field(line, "url.query") == "a=1&access_token=s3cr3t"  # masked by the pipeline
    duration = field(line, "event.duration")
    assert isinstance(duration, int) and duration >= 5_000_000  # the view sleeps 5 ms
    assert field(line, "client.ip") == CLIENT_IP
    assert field(line, "user_agent.original") == "pytest-agent/1.0"
    assert field(line, "user") is None
    assert "s3cr3t" not in line.getMessage()


def test_access_line_carries_the_user_the_app_set(driver, logs):
    driver.get("/user")
    [line] = logs.access("/user")
    assert field(line, "user.id") == "42"


def test_traceparent_becomes_trace_id(driver, logs):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    driver.get("/ok", {"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert field(logs.access("/ok")[0], "trace.id") == trace


def test_uncaught_exception_is_one_error_event_with_request_context_and_a_500(driver, logs):
    reply = driver.get("/boom", {"X-Request-ID": "req-boom"})
    assert reply.status == 500
    assert reply.headers[HEADER] == "req-boom"
    [event] = logs.error_events()
    assert event.name == "python_logging.errors"
    assert event.levelname == "ERROR"
    assert field(event, "http.request.id") == "req-boom"
    assert field(event, "http.request.method") == "GET"
    assert field(event, "url.path") == "/boom"
    assert field(event, "error.grouping_key").startswith("v1:")
    assert field(event, "error.grouping_name") == "Boom in tests.web_apps.boom"
    assert field(event, "log.origin.function") == "boom"
    assert field(event, "error_attributes.status_code") == 503
    [line] = logs.access("/boom")
    assert field(line, "http.response.status_code") == 500
    assert line.levelname == "WARNING"


def test_slow_request_gets_a_warning(driver, logs):
    driver.get("/slow")
    [line] = logs.access("/slow")
    assert line.levelname == "WARNING"
    assert line.getMessage().startswith("slow request: GET /slow 200")


def test_health_checks_write_no_access_line_but_still_get_an_id(driver, logs):
    reply = driver.get("/health")
    assert reply.status == 200 and reply.headers[HEADER]
    assert logs.access("/health") == []


def test_50_threaded_requests_never_mix_ids(driver, logs):
    ids = [f"thread-{n}" for n in range(50)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda rid: driver.get("/ok", {"X-Request-ID": rid}), ids))
    assert [(r.headers[HEADER], r.text) for r in replies] == [(rid, rid) for rid in ids]
    _lines_match_their_requests(logs, ids)


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_50_asyncio_requests_never_mix_ids(name, logs):
    driver = DRIVERS[name]()
    ids = [f"task-{n}" for n in range(50)]

    async def all_at_once():
        return await asyncio.gather(*(driver.aget("/ok", {"X-Request-ID": rid}) for rid in ids))

    replies = asyncio.run(all_at_once())
    assert [(r.headers[HEADER], r.text) for r in replies] == [(rid, rid) for rid in ids]
    _lines_match_their_requests(logs, ids, "/aok" if name == "flask" else "/ok")


def _lines_match_their_requests(logs, ids, path="/ok"):
    # Lines are stamped with the ID of the context they are logged in; the app's own
    # line names the ID its request was sent with.
    handled = logs.named("tests.web_apps")
    assert sorted(r.labels["sent"] for r in handled) == sorted(ids)
    assert all(r.context_request_id == r.labels["sent"] for r in handled)
    assert sorted(r.context_request_id for r in logs.access(path)) == sorted(ids)


def test_django_async_stack_captures_once_with_the_request_context(logs):
    reply = asyncio.run(DRIVERS["django"]().aget("/boom", {"X-Request-ID": "async-boom"}))
    assert reply.status == 500 and reply.headers[HEADER] == "async-boom"
    [event] = logs.error_events()
    assert field(event, "http.request.id") == "async-boom"
    assert field(event, "url.path") == "/boom"
