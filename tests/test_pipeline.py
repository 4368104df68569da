"""The formatter chain on stdlib records: field set and order, clashes, odd values."""

import json
import logging
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from python_logging.context import add_context_fields, request_context
from python_logging.ecs import ServiceIdentity
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor
from python_logging.render import MAX_LINE_BYTES

IDENTITY = ServiceIdentity("checkout-api", "1.4.2", "production")


def make_record(msg="order %s placed", args=(7,), level=logging.INFO, exc_info=None, **extra):
    logger = logging.getLogger("shop.orders")
    return logger.makeRecord(
        logger.name, level, "/app/shop/orders.py", 42, msg, args, exc_info, "place", extra or None
    )


def render(record, pipeline=None):
    line = (pipeline or Pipeline(IDENTITY)).render_record(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    return json.loads(line)


def flat_keys(doc, prefix=""):
    keys = []
    for key, value in doc.items():
        name = f"{prefix}.{key}" if prefix else key
        keys.extend(flat_keys(value, name) if isinstance(value, dict) else [name])
    return keys


def test_field_set_and_order_follow_the_ecs_logging_spec():
    with request_context("req-1"):
        doc = render(make_record())
    assert list(doc)[:3] == ["@timestamp", "log.level", "message"]
    assert flat_keys(doc)[:13] == [
        "@timestamp",
        "log.level",
        "message",
        "ecs.version",
        "log.logger",
        "log.origin.file.name",
        "log.origin.file.line",
        "log.origin.function",
        "service.name",
        "service.version",
        "service.environment",
        "event.dataset",
        "process.pid",
    ]
    assert doc["message"] == "order 7 placed"
    assert doc["log.level"] == "info"
    assert doc["@timestamp"].endswith("Z") and len(doc["@timestamp"]) == 24  # ms precision
    assert doc["event"]["dataset"] == "checkout-api"
    assert doc["process"]["thread"]["name"] == "MainThread"
    assert doc["http"]["request"]["id"] == "req-1"


def test_no_request_id_outside_a_request_context():
    assert "http" not in render(make_record())


def test_extra_fields_are_kept_and_ecs_shaped_ones_merge():
    doc = render(
        make_record(
            order_id=5,
            customer={"tier": "gold"},
            http={"request": {"method": "POST"}},
            **{"url.path": "/orders"},
        )
    )
    assert doc["order_id"] == 5
    assert doc["customer"] == {"tier": "gold"}
    assert doc["http"]["request"]["method"] == "POST"
    assert doc["url"]["path"] == "/orders"


@pytest.mark.parametrize(
    ("extra", "label", "value"),
    [
        ({"error": "text"}, "error", "text"),
        ({"http": "x"}, "http", "x"),
        ({"service": "other"}, "service", "other"),
        ({"log": {"level": "fake"}}, "log_level", "fake"),
        ({"http": {"response": {"status_code": "teapot"}}}, "http_response_status_code", "teapot"),
        ({"http": {"request": {"id": {"nested": 1}}}}, "http_request_id", '{"nested":1}'),
    ],
)
def test_clashing_extra_values_move_to_labels_and_never_drop_the_line(extra, label, value):
    with request_context("req-2"):
        doc = render(make_record(**extra))
    assert doc["labels"][label] == value
    assert doc["message"] == "order 7 placed"
    assert doc["http"]["request"]["id"] == "req-2"  # the request ID survives every clash
    assert doc["service"]["name"] == "checkout-api"


@pytest.mark.parametrize(
    ("extra", "path", "label", "value"),
    [
        ({"http": {"request": {"id": "evil"}}}, ("http", "request", "id"), "http_request_id",
         "evil"),
        ({"http.request.id": "evil"}, ("http", "request", "id"), "http_request_id", "evil"),
        ({"service": {"name": "other-stream"}}, ("service", "name"), "service_name",
         "other-stream"),
        ({"service": {"environment": "prod"}}, ("service", "environment"),
         "service_environment", "prod"),
        ({"process.pid": 1}, ("process", "pid"), "process_pid", 1),
        ({"log": {"logger": "fake"}}, ("log", "logger"), "log_logger", "fake"),
    ],
)
def test_fields_the_line_owns_keep_their_value_and_the_users_goes_to_labels(
    extra, path, label, value
):
    """A user's value must not re-label the line's request, service or origin."""
    with request_context("req-2"):
        for pipeline in (Pipeline(IDENTITY), Pipeline(IDENTITY, Redactor())):
            doc = render(make_record(**extra), pipeline)
            owned = doc
            for key in path:
                owned = owned[key]
            assert owned == {"http": "req-2", "service": IDENTITY.service.get(path[-1]),
                             "process": doc["process"]["pid"], "log": "shop.orders"}[path[0]]
            assert owned != value
            assert doc["labels"][label] == value


def test_the_bound_context_cannot_replace_the_request_id_either():
    with request_context("req-3"):
        add_context_fields({"http": {"request": {"id": "ctx", "method": "GET"}}})
        doc = render(make_record())
    assert doc["http"]["request"] == {"id": "req-3", "method": "GET"}
    assert doc["labels"]["http_request_id"] == "ctx"


def test_an_owned_field_given_its_own_value_stays_out_of_labels():
    with request_context("req-4"):
        doc = render(make_record(http={"request": {"id": "req-4"}},
                                 service={"name": "checkout-api", "team": "payments"}))
    assert doc["http"]["request"]["id"] == "req-4"
    assert doc["service"] == {**IDENTITY.service, "team": "payments"}
    assert "labels" not in doc


def test_reserved_top_level_keys_cannot_be_overwritten():
    record = make_record()
    record.__dict__["ecs.version"] = "0"
    doc = render(record)
    assert doc["ecs.version"] != "0"
    assert doc["labels"]["ecs_version"] == "0"


def test_context_fields_appear_on_every_line_and_reset_with_the_context():
    with request_context("req-3"):
        add_context_fields({"user": {"id": "u-9"}})
        assert render(make_record())["user"] == {"id": "u-9"}
    assert "user" not in render(make_record())


class Unserialisable:
    def __repr__(self):
        return "<Unserialisable>"


def test_unserialisable_values_are_rendered_with_repr():
    doc = render(make_record(thing=Unserialisable(), raw=b"\xff", big=2**80, keys={1: "a"}))
    assert doc["thing"] == "<Unserialisable>"
    assert doc["big"] == str(2**80)
    assert doc["keys"] == {"1": "a"}


def test_cyclic_structures_terminate():
    cycle: dict = {"name": "loop"}
    cycle["self"] = cycle
    items: list = [1]
    items.append(items)
    doc = render(make_record(cycle=cycle, items=items))
    assert doc["cycle"]["self"] == "<cycle>"
    assert doc["items"] == [1, "<cycle>"]


def test_huge_values_are_truncated_with_a_marker():
    doc = render(make_record(blob="x" * 5_000_000, many=list(range(100_000))))
    line_size = len(json.dumps(doc))
    assert line_size <= MAX_LINE_BYTES
    assert "truncated" in doc["blob"]
    assert "truncated" in doc["many"][-1]


def test_huge_messages_are_truncated():
    doc = render(make_record("%s", ("y" * 1_000_000,)))
    assert len(doc["message"]) < 40_000 and "truncated" in doc["message"]


def test_exceptions_add_error_fields_and_a_grouping_key():
    try:
        raise ValueError("order 12 not found")
    except ValueError:
        doc = render(make_record(level=logging.ERROR, exc_info=sys.exc_info()))
    error = doc["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "order 12 not found"
    assert "Traceback" in error["stack_trace"] and "order 12 not found" in error["stack_trace"]
    assert error["grouping_key"].startswith("v1:")


def test_a_failing_format_string_keeps_the_line():
    doc = render(make_record("%d items", ("many",)))
    assert "many" in doc["message"] and "formatting failed" in doc["message"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    | st.tuples(children, children),
    max_leaves=20,
)


PIPELINES = {"plain": Pipeline(IDENTITY), "redacting": Pipeline(IDENTITY, Redactor())}


@pytest.mark.parametrize("pipeline", PIPELINES.values(), ids=PIPELINES.keys())
@settings(max_examples=150, deadline=None)
@given(message=st.text(), value=json_values, key=st.text(min_size=1, max_size=20))
def test_any_value_gives_exactly_one_valid_json_line(pipeline, message, value, key):
    record = make_record("%s", (message,), **{"field": value})
    record.__dict__[key] = value
    line = pipeline.render_record(record)
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    doc = json.loads(line)
    assert list(doc)[:3] == ["@timestamp", "log.level", "message"]


def test_scrub_remembers_only_short_texts_it_found_clean():
    from python_logging.pipeline import CleanTexts

    scanned = []

    def redact_text(text):
        scanned.append(text)
        return text.replace("hunter2", "[REDACTED]")

    scrub = CleanTexts(redact_text)
    for _ in range(3):
        assert scrub("/items") == "/items"
        assert scrub("/reset/hunter2") == "/reset/[REDACTED]"
        assert scrub("x" * (CleanTexts.MAX_CHARS + 1)) == "x" * (CleanTexts.MAX_CHARS + 1)
    # the clean short text was scanned once; the secret and the long text every time
    assert scanned.count("/items") == 1
    assert scanned.count("/reset/hunter2") == 3
    assert scanned.count("x" * (CleanTexts.MAX_CHARS + 1)) == 3
    assert "/reset/hunter2" not in scrub.clean  # no secret is kept in memory


def test_scrub_forgets_everything_when_full():
    from python_logging.pipeline import CleanTexts

    scrub = CleanTexts(lambda text: text)
    for number in range(CleanTexts.MAX_TEXTS + 10):
        scrub(f"/items/{number}")
    assert len(scrub.clean) <= CleanTexts.MAX_TEXTS


def test_without_redaction_scrub_changes_nothing():
    assert Pipeline(ServiceIdentity("svc", None, "test")).scrub("password=hunter2") == (
        "password=hunter2"
    )
