"""The two render paths of `Pipeline` give the very same line for the same input.

`parts_document` (stdlib records and loguru entries without an exception, no `LogEvent`)
is an optimisation of `render_event` (the general path): any difference between them
is a bug, whatever the message, the user's fields or the bound request context.
"""

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from python_logging.context import (
    add_context_fields,
    context_fields,
    request_context,
    vouched_context,
)
from python_logging.ecs import ServiceIdentity
from python_logging.events import from_record, record_fields, record_head, record_message
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor

IDENTITY = ServiceIdentity("checkout-api", "1.4.2", "production")
PIPELINES = {"plain": Pipeline(IDENTITY), "redacting": Pipeline(IDENTITY, Redactor())}

# Names that meet ECS objects, leaves, reserved keys, labels and sensitive keys.
INTERESTING_KEYS = [
    "error", "http", "url", "url.path", "log", "log.level", "message", "ecs.version",
    "@timestamp", "service", "event", "labels", "user", "process", "trace", "client",
    "order_id", "password", "apiKey", "authorization", "author", "note",
]
keys = st.sampled_from(INTERESTING_KEYS) | st.text(min_size=1, max_size=10)
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.binary(max_size=8)
    | st.sampled_from(["Bearer abcdefghijklmnopqrstuvwx", "j.doe@example.com", "GET", "/x"])
    | st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(keys | st.integers(), children, max_size=3)
    | st.tuples(children, children),
    max_leaves=12,
)
# `extra` may not name LogRecord's own attributes (`makeRecord` refuses them).
RECORD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
extras = st.dictionaries(keys.filter(lambda key: key not in RECORD_ATTRIBUTES), values, max_size=5)
contexts = st.none() | st.dictionaries(keys, values, max_size=3)


def make_record(message, extra):
    logger = logging.getLogger("shop.orders")
    record = logger.makeRecord(
        logger.name, logging.INFO, "/app/shop/orders.py", 42, "%s", (message,), None, "place"
    )
    for key, value in extra.items():  # any key, even dotted ones
        record.__dict__[key] = value
    return record


def fast_path(pipeline, record):
    """The line `render_record` writes for a record without an exception; None if the
    fast path gave up (it must not here: every input below is one it handles)."""
    document = pipeline.parts_document(
        record_head(record), record_message(record), *record_fields(record)
    )
    return None if document is None else pipeline.render(document)


def both_paths(pipeline, record, bound):
    if bound is None:  # outside any request
        return fast_path(pipeline, record), pipeline.render_event(from_record(record))
    with request_context("req-1"):
        add_context_fields(bound)
        return fast_path(pipeline, record), pipeline.render_event(from_record(record))


@pytest.mark.parametrize("pipeline", PIPELINES.values(), ids=PIPELINES.keys())
@settings(max_examples=150, deadline=None)
@given(message=st.text(max_size=40), extra=extras, bound=contexts)
def test_record_fast_path_equals_the_general_path(pipeline, message, extra, bound):
    record = make_record(message, extra)
    fast, general = both_paths(pipeline, record, bound)
    assert fast is not None
    assert fast == general
    assert pipeline.render_record(record) == fast or bound is not None  # it is the path taken


@settings(max_examples=60, deadline=None)
@given(message=st.text(max_size=40), extra=extras, bound=contexts)
def test_loguru_fast_path_equals_the_general_path(message, extra, bound):
    from loguru import logger

    from python_logging.loguru_bridge import LoguruSink, _parts, to_event

    pipeline = PIPELINES["redacting"]
    entries = []
    handler_id = logger.add(lambda m: entries.append(m.record), format="{message}", catch=False)
    try:
        with request_context("req-1"):
            add_context_fields(bound or {})
            logger.bind(**extra).info(message)
            [entry] = entries
            document = pipeline.parts_document(*_parts(entry), dict(entry["extra"]))
            fast = None if document is None else pipeline.render(document)
            assert fast == LoguruSink(pipeline, [])._render(entry)
            general = pipeline.render_event(to_event(entry))
    finally:
        logger.remove(handler_id)
    assert fast is not None
    assert fast == general


# Client-controlled texts of a request, with secrets mixed in.
client_texts = st.text(max_size=30) | st.sampled_from([
    "a=1&access_token=s3cr3t", "password=hunter2", "Bearer abcdefghijklmnopqrstuvwx",
    "j.doe@example.com", "4111 1111 1111 1111", "10.0.0.1", "::1", "/reset/password=x",
])


@settings(max_examples=100, deadline=None)
@given(method=client_texts, path=client_texts, query=client_texts, client=client_texts,
       agent=client_texts, bound=contexts)
def test_the_trusted_channel_gives_the_full_treatments_line(
    method, path, query, client, agent, bound
):
    """Whatever a client sends, the access line python_logging vouches for (only its
    listed texts scanned) is the line the full redaction walk gives."""
    from python_logging import access, web
    from python_logging.events import handle_vouched

    pipeline = PIPELINES["redacting"]
    request = web.ObservedRequest(web.middleware_settings(), method=method, path=path,
                                  query=query, client=client, user_agent=agent)
    request.status = 200
    lines = []

    class Rendering(logging.Handler):
        def emit(self, record):
            lines.append((pipeline.render_record(record), record_fields(record)[1]))

    logger = logging.getLogger("tests.render_paths.trusted")
    logger.propagate = False
    handler = Rendering()
    logger.addHandler(handler)
    try:
        with request:  # the request context, bound the trusted way
            if bound:
                add_context_fields(bound)
            level, message = access.access_line(request, 1_000)
            extra, voucher = access.record_extra(request, 1_000)
            record = logger.makeRecord(logger.name, level, "web.py", 1, message, (), None,
                                       "access", extra)
            handle_vouched(logger, record, voucher)
            bound_fields = dict(context_fields())
            vouched = vouched_context()
            trusted_context = vouched is not None and vouched[0] is context_fields()
        with request_context(request.request_id):  # the same context, bound the usual way
            add_context_fields(bound_fields)
            full = pipeline.render_event(from_record(record))
    finally:
        logger.removeHandler(handler)
    [(fast, trusted)] = lines
    assert trusted is voucher  # the trusted channel was taken for the line's fields
    assert trusted_context is not bool(bound)  # and for the context, unless added to
    assert fast == full
