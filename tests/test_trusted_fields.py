"""The trusted channel for fields python_logging builds itself (the access line).

It must give the very line the full treatment gives, and must not let user data skip
redaction: only a genuine `TrustedFields`, holding the very objects on the record,
vouches for anything.
"""

import json
import logging
import os
import uuid

import pytest

from python_logging import access, web
from python_logging.context import (
    add_context_fields,
    context_fields,
    current_request_id,
    new_request_id,
    request_context,
    valid_request_id,
    vouched_context,
)
from python_logging.ecs import ServiceIdentity
from python_logging.events import from_record, handle_vouched, record_fields
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor

IDENTITY = ServiceIdentity("checkout-api", "1.4.2", "production")
SECRET_QUERY = "a=1&access_token=s3cr3t"
SECRET_AGENT = "curl/8 Bearer abcdefghijklmnopqrstuvwxyz123456"


def pipeline():
    return Pipeline(IDENTITY, Redactor())


def access_fields(query=SECRET_QUERY, client="127.0.0.1", agent=SECRET_AGENT, status=200):
    """(extra, voucher) of an access line."""
    request = web.ObservedRequest(web.middleware_settings(), method="GET", path="/items",
                                  query=query, client=client, user_agent=agent)
    request.status = status
    return access.record_extra(request, 1_234_567)


def make_record(extra, created=1_700_000_000.25):
    logger = logging.getLogger("python_logging.access")
    record = logger.makeRecord(logger.name, logging.INFO, "/app/web.py", 7, "GET /items 200",
                               (), None, "serve", extra)
    record.created = created
    return record


def render(record, pipe=None):
    """The line of a record given the full treatment."""
    return json.loads((pipe or pipeline()).render_record(record))


class Rendering(logging.Handler):
    def __init__(self, pipe):
        super().__init__()
        self.pipe = pipe
        self.lines = []
        self.trusted = []

    def emit(self, record):
        self.trusted.append(record_fields(record)[1])
        self.lines.append(json.loads(self.pipe.render_record(record)))


def render_vouched(record, voucher, pipe=None):
    """The line of a record handled with a voucher, as the middleware logs it."""
    logger = logging.getLogger("tests.trusted")
    logger.propagate = False
    handler = Rendering(pipe or pipeline())
    logger.addHandler(handler)
    try:
        handle_vouched(logger, record, voucher)
    finally:
        logger.removeHandler(handler)
    [doc] = handler.lines
    [trusted] = handler.trusted
    return doc, trusted


CONTEXTS = [
    {},
    {"user": {"id": "42"}},
    {"url": {"path": "/items"}, "http": {"request": {"method": "GET"}}},
    {"client": "not an object"},  # moved to labels; the access line's client still merges
    {"event": {"outcome": "unknown", "action": "x"}},
    {"user_agent": {"original": "from context"}},
]


@pytest.mark.parametrize("bound", CONTEXTS)
@pytest.mark.parametrize("client", ["127.0.0.1", "::1", "worker-1 j.doe@example.com", None])
def test_trusted_access_line_equals_the_full_treatment(bound, client):
    extra, voucher = access_fields(client=client)
    with request_context("req-1"):
        add_context_fields(bound)
        fast, trusted = render_vouched(make_record(extra), voucher)
        full = render(make_record(extra))
    assert trusted is not None  # the fast path was taken
    assert fast == full
    assert "s3cr3t" not in json.dumps(fast) and "abcdefghijklmnop" not in json.dumps(fast)
    if client and "@" in client:
        assert "j.doe@" not in json.dumps(fast)


def test_trusted_texts_are_redacted_and_the_rest_is_kept():
    extra, voucher = access_fields()
    record = make_record(extra)
    doc, _trusted = render_vouched(record, voucher)
    assert doc["url"]["query"] == "a=1&access_token=[REDACTED]"
    assert doc["user_agent"]["original"] == "curl/8 Bearer [REDACTED]"
    assert doc["http"]["response"]["status_code"] == 200
    assert doc["event"]["duration"] == 1_234_567 and doc["event"]["dataset"] == "checkout-api"
    assert doc["client"] == {"address": "127.0.0.1", "ip": "127.0.0.1"}
    # the record is what it always was: the fields, nothing added, nothing changed
    added = set(record.__dict__) - set(make_record(None).__dict__) - {"message"}  # by pytest
    assert added == set(extra)
    assert record.url == {"path": "/items", "query": SECRET_QUERY}


def test_without_redaction_trusted_texts_stay_as_they_are():
    extra, voucher = access_fields()
    doc, _trusted = render_vouched(make_record(extra), voucher, Pipeline(IDENTITY))
    assert doc["url"]["query"] == SECRET_QUERY


def test_a_status_that_is_not_an_int_takes_the_checked_path():
    extra, voucher = access_fields(status=True)
    assert "response" not in voucher.fields["http"]
    doc, trusted = render_vouched(make_record(extra), voucher)
    assert trusted is None  # the whole line gets the full treatment
    assert "status_code" not in doc.get("http", {}).get("response", {})
    assert doc["labels"]["http_response_status_code"] is True
    assert doc["http"]["request"]["method"] == "GET"
    assert doc["url"]["query"] == "a=1&access_token=[REDACTED]"


def test_no_record_is_trusted_outside_handle_vouched():
    extra, _voucher = access_fields()
    assert record_fields(make_record(extra))[1] is None
    assert from_record(make_record(extra)).trusted is None


def test_a_voucher_covers_only_the_record_it_was_given_with():
    extra, voucher = access_fields()
    other = make_record({"url": {"query": "password=hunter2"}})
    seen = []

    class LogsAnother(logging.Handler):
        def emit(self, record):
            seen.append((record_fields(record)[1], record_fields(other)[1]))

    logger = logging.getLogger("tests.trusted.other")
    logger.propagate = False
    handler = LogsAnother()
    logger.addHandler(handler)
    try:
        handle_vouched(logger, make_record(extra), voucher)
    finally:
        logger.removeHandler(handler)
    assert seen == [(voucher, None)]
    assert "hunter2" not in json.dumps(render(other))


def test_a_voucher_only_covers_the_very_objects_it_holds():
    _extra, voucher = access_fields()
    # the record's own `url` is another object than the vouched one: no trust at all
    record = make_record({**voucher.fields, "url": {"query": "password=hunter2", "password": "x"}})
    doc, trusted = render_vouched(record, voucher)
    assert trusted is None
    assert "hunter2" not in json.dumps(doc)
    assert doc["url"]["password"] == "[REDACTED]"


def test_a_record_attribute_replaced_after_the_call_loses_the_trust():
    extra, voucher = access_fields()
    record = make_record(extra)
    record.url = {"query": "password=hunter2"}  # a filter rewrote it
    doc, trusted = render_vouched(record, voucher)
    assert trusted is None
    assert "hunter2" not in json.dumps(doc)


def test_generated_request_ids_are_random_canonical_uuid4s():
    ids = {new_request_id() for _ in range(5000)}
    assert len(ids) == 5000
    for request_id in list(ids)[:200]:
        parsed = uuid.UUID(request_id)
        assert str(parsed) == request_id
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert valid_request_id(request_id) == request_id


def bound_by_the_middleware(path, traceparent=None):
    return web.ObservedRequest(web.middleware_settings(), method="GET", path=path,
                               request_id="req-1", traceparent=traceparent)


TRACEPARENT = "00-4111111111111111111111111111111a-00f067aa0ba902b7-01"


@pytest.mark.parametrize("path", ["/items", "/reset/password=hunter2", "/u/j.doe@example.com"])
@pytest.mark.parametrize("traceparent", [None, TRACEPARENT])
def test_request_context_of_the_middleware_equals_the_full_treatment(path, traceparent):
    record = make_record({"order_id": 5})
    with bound_by_the_middleware(path, traceparent):
        assert vouched_context() is not None
        fast = render(record)
        bound = dict(context_fields())
    with request_context("req-1"):
        add_context_fields(bound)
        assert vouched_context() is None
        full = render(record)
    assert fast == full
    assert fast["url"]["path"] == Redactor().redact_text(path)
    assert "hunter2" not in json.dumps(fast) and "j.doe@" not in json.dumps(fast)


def test_fields_the_app_adds_end_the_trust_and_get_the_full_treatment():
    with bound_by_the_middleware("/items"):
        add_context_fields({"user": {"id": "42", "password": "hunter2"}})
        assert vouched_context() is None
        doc = render(make_record({}))
    assert doc["user"] == {"id": "42", "password": "[REDACTED]"}
    assert doc["url"]["path"] == "/items" and doc["http"]["request"]["id"] == "req-1"


def test_trusted_context_is_dropped_when_the_request_ends():
    with bound_by_the_middleware("/items"):
        pass
    assert vouched_context() is None and context_fields() == {}


def test_request_context_still_works_as_a_decorator_with_a_context_per_call():
    seen = []

    @request_context()
    def handle(depth):
        seen.append(context_fields() == {} and valid_request_id(current_request_id()))
        add_context_fields({"user": {"id": str(depth)}})
        if depth:
            handle(depth - 1)
        return context_fields()

    assert handle(2) == {"user": {"id": "2"}}
    assert len(seen) == 3 and all(seen) and len(set(seen)) == 3
    assert current_request_id() is None and context_fields() == {}


class _Unprintable:
    def __str__(self):
        raise RuntimeError("no str")

    __repr__ = __str__


def test_a_line_that_fails_to_map_is_reported_once_and_kept_as_a_fallback(monkeypatch):
    from python_logging.failures import failures

    monkeypatch.setattr(failures, "_say", lambda text: None)
    before = failures.counts().get("format log record", 0)
    # a top-level non-str key whose str() raises: the mapping fails on both the record
    # path (no LogEvent) and the general path it falls back to
    doc = render(make_record({_Unprintable(): 1}))
    assert doc["message"] == "GET /items 200"
    assert doc["labels"]["python_logging_error"].startswith("formatting failed")
    assert failures.counts().get("format log record", 0) == before + 1


def test_a_nested_key_that_cannot_be_named_is_rendered_not_a_failure(monkeypatch):
    from python_logging.failures import failures

    before = failures.counts().get("format log record", 0)
    doc = render(make_record({"odd": {_Unprintable(): 1}, "order_id": 5}))
    assert doc["order_id"] == 5 and list(doc["odd"].values()) == [1]
    assert failures.counts().get("format log record", 0) == before


def test_record_path_and_event_path_give_the_same_line():
    from python_logging.events import from_record as to_event

    pipe = pipeline()
    with request_context("req-1"):
        add_context_fields({"user": {"id": "7"}})
        for extra in ({}, {"order_id": 5, "token": "abc"}, {"error": "text", "labels": [1]},
                      access_fields()[0]):
            record = make_record(extra)
            assert pipe.render_record(record) == pipe.render_event(to_event(record))


def test_loguru_lines_give_the_same_line_on_both_paths():
    from loguru import logger

    from python_logging.loguru_bridge import LoguruSink, to_event

    pipe = pipeline()
    sink = LoguruSink(pipe, [])
    messages = []
    handler_id = logger.add(messages.append, format="{message}")
    try:
        with request_context("req-1"):
            logger.bind(order_id=5, token="abc", error="text").info("paid {}", "x@example.com")
            for message in messages:
                entry = message.record
                assert sink._render(entry) == pipe.render_event(to_event(entry))
    finally:
        logger.remove(handler_id)
    assert messages and b"x@example.com" not in sink._render(messages[0].record)


def test_a_forked_child_never_repeats_its_parents_request_ids():
    new_request_id()  # random bits for the next IDs are waiting now
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, new_request_id().encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child_id = os.read(read_end, 100).decode()
    os.close(read_end)
    os.close(write_end)
    assert uuid.UUID(child_id).version == 4
    assert child_id != new_request_id()


def test_the_loguru_sink_gives_rendered_lines_only_to_our_exact_unfiltered_file_writer(tmp_path):
    from python_logging.formatter import ECSFormatter
    from python_logging.handlers import ECSFileHandler
    from python_logging.loguru_bridge import LoguruSink

    class Tagging(ECSFileHandler):  # a subclass may do anything in emit
        def emit(self, record):
            record.tagged = True
            super().emit(record)

    def file_writer(cls, name):
        handler = cls(tmp_path, name, max_bytes=None, when=None, backup_count=None,
                      retention_days=None, compress=False)
        handler.setFormatter(ECSFormatter(pipeline()))
        return handler

    plain, subclassed, filtered = (file_writer(ECSFileHandler, "plain"),
                                   file_writer(Tagging, "tagged"),
                                   file_writer(ECSFileHandler, "filtered"))
    filtered.addFilter(lambda record: True)
    sink = LoguruSink(pipeline(), [plain, subclassed, filtered])
    assert sink._line_handlers == [plain]
    assert sink._record_handlers == [subclassed, filtered]
