"""The access line's two routes give the same line, and the direct one is taken only
when nothing but python_logging's own handlers would see the record.

`access.direct_document` builds the line from the request without a `LogRecord`; the
record path logs a record that the pipeline maps. Any difference between their lines is
a bug. pytest's own log capture is a foreign handler on the root logger, so the tests
that need the direct route take it away for their duration (`only_our_handlers`).
"""

from __future__ import annotations

import io
import json
import logging
import os
from contextlib import contextmanager
from types import SimpleNamespace

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from python_logging import access, routing, set_user, setup_logging
from python_logging.context import add_context_fields
from python_logging.ecs import ServiceIdentity
from python_logging.failures import failure_counts, failures
from python_logging.formatter import ConsoleHandler, ECSFormatter, PrettyFormatter
from python_logging.handlers import ECSFileHandler
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor
from python_logging.web import ObservedRequest, middleware_settings

IDENTITY = ServiceIdentity("checkout-api", "1.4.2", "production")
PIPELINES = {"plain": Pipeline(IDENTITY), "redacting": Pipeline(IDENTITY, Redactor())}
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CLIENT_TEXTS = st.sampled_from([
    "", "GET", "/items", "/reset/password=hunter2", "a=1&access_token=s3cr3t",
    "curl/8 Bearer abcdefghijklmnopqrstuvwxyz123456", "j.doe@example.com", "127.0.0.1", "::1",
    "worker-1", "ключ", "x" * 300, "100%", 'say "hi"\\', "lone \ud800 surrogate",
]) | st.text(max_size=40)


class Documents(logging.Handler):
    """Keeps the document the pipeline makes of each record (the record path)."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.documents: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.documents.append(self.pipeline.record_document(record))


def observed(method="GET", path="/items", query="page=2", client="127.0.0.1",
             agent="bench/1.0", traceparent=None, slow_ms=None) -> ObservedRequest:
    settings_ = middleware_settings(slow_request_ms=slow_ms)
    return ObservedRequest(settings_, method=method, path=path, query=query, client=client,
                           user_agent=agent, traceparent=traceparent)


def record_path_document(request: ObservedRequest, duration_ns: int, pipeline: Pipeline) -> dict:
    """The document of the access line logged as a record (a foreign handler sees it)."""
    handler = Documents(pipeline)
    logger = access.access_logger
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        assert routing.own_route(logger, logging.INFO) is None
        access.log_access(request, duration_ns)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    [document] = handler.documents
    return document


def encodable(document: dict) -> bool:
    try:
        orjson.dumps(document)
    except orjson.JSONEncodeError:
        return False
    return True


@contextmanager
def frozen_clock():
    """The same `time.time()` for the routes of one line, so their bytes compare."""
    real = access.time
    access.time = SimpleNamespace(time=lambda: 1_790_000_000.123)
    try:
        yield
    finally:
        access.time = real


def comparable(document: dict) -> dict:
    """Without the timestamp (each route reads the clock itself)."""
    return {key: value for key, value in document.items() if key != "@timestamp"}


@settings(max_examples=300, deadline=None)
@given(method=CLIENT_TEXTS, path=CLIENT_TEXTS, query=CLIENT_TEXTS, client=CLIENT_TEXTS,
       agent=CLIENT_TEXTS, traceparent=st.sampled_from([None, TRACEPARENT, "garbage"]),
       status=st.sampled_from([None, 200, 404, 500, 503]),
       slow_ms=st.sampled_from([None, 0.001, 10_000]),
       pipeline=st.sampled_from(sorted(PIPELINES)))
def test_the_direct_document_is_the_record_paths_document(
    method, path, query, client, agent, traceparent, status, slow_ms, pipeline
):
    pipe = PIPELINES[pipeline]
    request = observed(method, path, query, client or None, agent or None, traceparent, slow_ms)
    with request:
        request.status = status
        assert request.context_unchanged()
        level, message = access.access_line(request, 2_500_000)
        with frozen_clock():
            direct = access.direct_document(request, 2_500_000, level, message, pipe)
            line = access.direct_line(request, 2_500_000, level, message, pipe)
        recorded = record_path_document(request, 2_500_000, pipe)
    assert comparable(direct) == comparable(recorded)
    # the same key order at every level, so the same bytes
    assert pipe.render(comparable(direct)) == pipe.render(comparable(recorded))
    # the template route writes the direct document's bytes, or leaves a line that orjson
    # refuses (a lone surrogate) to the renderer
    assert line == (pipe.render(direct) if encodable(direct) else None)
    assert direct["@timestamp"].endswith("Z") and len(direct["@timestamp"]) == 24
    if pipeline == "redacting":
        line = json.dumps(direct)
        assert "hunter2" not in line and "s3cr3t" not in line
        assert "abcdefghijklmnopqrstuvwxyz123456" not in line


def test_once_the_app_binds_context_the_line_takes_the_record_path():
    request = observed()
    with request:
        assert request.context_unchanged()
        set_user("42")
        assert not request.context_unchanged()
    with observed() as _:
        add_context_fields({"labels": {"tenant": "t1"}})
    other = observed()
    with other, observed():  # a nested request context: not the one this request bound
        assert not other.context_unchanged()


# -- which handlers the direct route reaches ---------------------------------------------


@pytest.fixture
def only_our_handlers(tmp_path):
    """setup_logging (file only). Test bodies that need the direct route run `alone()`."""
    setup_logging({"service": {"name": "shop", "environment": "test"},
                   "console": {"enabled": False},
                   "file": {"dir": str(tmp_path), "compress": False}})
    yield tmp_path / "shop.log"
    setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})


@contextmanager
def alone():
    """Without pytest's capture handlers, which it adds to the root (and every
    non-propagating) logger when a test body starts: they would see every record."""
    root = logging.getLogger()
    pytests = [h for h in root.handlers if h.__class__.__module__.startswith("_pytest")]
    for handler in pytests:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in pytests:
            root.addHandler(handler)


def file_handler():
    [handler] = [h for h in logging.getLogger().handlers if h.__class__ is ECSFileHandler]
    return handler


def test_setup_loggings_file_handler_is_a_direct_route(only_our_handlers):
    with alone():
        route = routing.own_route(access.access_logger, logging.INFO)
    assert route is not None and route.handlers == [file_handler()]
    assert route.pipeline is file_handler().formatter.pipeline


class Nothing(logging.Filter):
    def filter(self, record):
        return True


def custom_factory(*args, **kwargs):
    return logging.LogRecord(*args, **kwargs)


@pytest.mark.parametrize("change", [
    "logger filter", "handler filter", "foreign handler", "record factory", "disabled",
    "other pipeline", "foreign formatter", "no handler", "patched dispatch",
])
def test_anything_that_could_see_the_record_means_no_direct_route(only_our_handlers, change):
    logger, root, handler = access.access_logger, logging.getLogger(), file_handler()
    undo = []
    if change == "logger filter":
        logger.addFilter(Nothing())
        undo.append(lambda: logger.filters.clear())
    elif change == "handler filter":
        handler.addFilter(Nothing())
        undo.append(lambda: handler.filters.clear())
    elif change == "foreign handler":
        extra = logging.StreamHandler(io.StringIO())
        root.addHandler(extra)
        undo.append(lambda: root.removeHandler(extra))
    elif change == "record factory":
        logging.setLogRecordFactory(custom_factory)
        undo.append(lambda: logging.setLogRecordFactory(logging.LogRecord))
    elif change == "disabled":
        logger.disabled = True
        undo.append(lambda: setattr(logger, "disabled", False))
    elif change == "other pipeline":
        console = ConsoleHandler(io.StringIO())
        console.setFormatter(ECSFormatter(PIPELINES["plain"]))
        root.addHandler(console)
        undo.append(lambda: root.removeHandler(console))
    elif change == "foreign formatter":
        formatter = handler.formatter
        handler.setFormatter(logging.Formatter())
        undo.append(lambda: handler.setFormatter(formatter))
    elif change == "no handler":  # the stdlib's last resort would write it
        root.removeHandler(handler)
        undo.append(lambda: root.addHandler(handler))
    elif change == "patched dispatch":  # as sentry_sdk's LoggingIntegration patches it
        original = logging.Logger.callHandlers

        def seeing_every_record(self, record):
            return original(self, record)

        logging.Logger.callHandlers = seeing_every_record
        undo.append(lambda: setattr(logging.Logger, "callHandlers", original))
    with alone():
        try:
            assert routing.own_route(logger, logging.INFO) is None
        finally:
            for step in undo:
                step()
        assert routing.own_route(logger, logging.INFO) is not None


def test_a_handler_above_the_level_is_skipped_as_callhandlers_skips_it(only_our_handlers):
    quiet = logging.StreamHandler(io.StringIO())
    quiet.setLevel(logging.ERROR)
    logging.getLogger().addHandler(quiet)
    try:
        with alone():
            route = routing.own_route(access.access_logger, logging.INFO)
            assert route is not None and route.handlers == [file_handler()]
            assert routing.own_route(access.access_logger, logging.ERROR) is None
    finally:
        logging.getLogger().removeHandler(quiet)


def run_request(path="/items", status=200, **options):
    request = observed(path=path, **options)
    with request:
        request.status = status


def written(log_file):
    file_handler().flush()  # access lines may wait (file.access_flush_ms)
    return [json.loads(line) for line in log_file.read_text().splitlines()]


@pytest.fixture
def direct_documents(monkeypatch):
    """The paths of the lines that took the direct route (as a line or a document)."""
    taken = []
    write, write_line = routing.OwnRoute.write, routing.OwnRoute.write_access_line

    def document_written(route, document):
        taken.append(document["url"]["path"])
        write(route, document)

    def line_written(route, line):
        taken.append(json.loads(line)["url"]["path"])
        write_line(route, line)

    monkeypatch.setattr(routing.OwnRoute, "write", document_written)
    monkeypatch.setattr(routing.OwnRoute, "write_access_line", line_written)
    return taken


def test_both_routes_write_the_same_line_to_the_file(only_our_handlers, direct_documents):
    with alone():
        run_request(path="/direct")
        access.access_logger.addFilter(Nothing())  # the record path, same handlers
        try:
            run_request(path="/recorded")
        finally:
            access.access_logger.filters.clear()
    assert direct_documents == ["/direct"]
    direct, recorded = written(only_our_handlers)
    for line in (direct, recorded):
        line.pop("@timestamp")
        line["event"].pop("duration")
        line["http"]["request"].pop("id")
        line["message"] = line["message"].split()[0]  # without the path and duration
        line["url"].pop("path")
    assert direct == recorded
    assert direct["log"]["origin"]["function"] == "log_access"


def test_an_app_that_binds_context_gets_it_on_the_line(only_our_handlers, direct_documents):
    request = observed()
    with alone(), request:
        set_user("42")
        request.status = 200
    [line] = written(only_our_handlers)
    assert line["user"] == {"id": "42"}
    assert direct_documents == []


def test_file_and_console_get_the_same_document(only_our_handlers, direct_documents):
    stream = io.StringIO()
    console = ConsoleHandler(stream)
    console.setFormatter(PrettyFormatter(file_handler().formatter.pipeline, colour=False))
    logging.getLogger().addHandler(console)
    try:
        with alone():
            route = routing.own_route(access.access_logger, logging.INFO)
            assert route is not None and route.handlers == [file_handler(), console]
            run_request(path="/orders")
    finally:
        logging.getLogger().removeHandler(console)
    assert direct_documents == ["/orders"]
    [line] = written(only_our_handlers)
    shown = stream.getvalue()
    assert shown.count("\n") == 1 and "python_logging.access" in shown
    assert "GET /orders 200" in shown
    assert f"http.request.id={line['http']['request']['id']}" in shown


class Broken(io.StringIO):
    def write(self, text):
        raise OSError("console gone")


def test_a_failing_console_is_counted_and_the_file_still_gets_the_line(
    only_our_handlers, direct_documents
):
    failures.reset()
    console = ConsoleHandler(Broken())
    console.setFormatter(ECSFormatter(file_handler().formatter.pipeline))
    logging.getLogger().addHandler(console)
    try:
        with alone():
            run_request()
    finally:
        logging.getLogger().removeHandler(console)
        counts = failure_counts()
        failures.reset()
    assert counts == {"write console": 1}
    assert direct_documents == ["/items"]
    assert len(written(only_our_handlers)) == 1


@pytest.mark.parametrize("builder", ["direct_line", "direct_document"])
def test_a_bug_in_the_direct_route_loses_no_line(only_our_handlers, monkeypatch, builder):
    def broken(*args):
        raise RuntimeError("bug")

    failures.reset()
    monkeypatch.setattr(access, builder, broken)
    with alone():
        run_request()
    counts = failure_counts()
    failures.reset()
    assert counts == {"build access line": 1}
    [line] = written(only_our_handlers)
    assert line["url"] == {"path": "/items", "query": "page=2"}


def test_a_file_only_route_writes_lines_of_every_shape_from_templates(
    only_our_handlers, direct_documents, monkeypatch
):
    documents = []
    build = access.direct_document
    monkeypatch.setattr(access, "direct_document",
                        lambda *args: documents.append(args[0].path) or build(*args))
    with alone():
        run_request(path="/a")
        run_request(path="/b")  # the same shape: its template is reused
        run_request(path="/c", query="")  # another shape: a document for its template
        run_request(path="/d", query="")
    assert direct_documents == ["/a", "/b", "/c", "/d"]
    assert documents == ["/a", "/c"]
    lines = written(only_our_handlers)
    assert [line["url"] for line in lines] == [
        {"path": "/a", "query": "page=2"}, {"path": "/b", "query": "page=2"},
        {"path": "/c"}, {"path": "/d"},
    ]
    assert len({line["http"]["request"]["id"] for line in lines}) == 4


def test_a_forked_childs_access_line_carries_its_own_pid(only_our_handlers):
    with alone():
        run_request(path="/parent")
        pid = os.fork()
        if pid == 0:
            try:
                run_request(path="/child")
                file_handler().flush()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    pids = {line["url"]["path"]: line["process"]["pid"] for line in written(only_our_handlers)}
    assert pids == {"/parent": os.getpid(), "/child": pid}


@pytest.mark.parametrize("status", ["200", "503", True])
def test_a_broken_apps_status_never_raises_into_the_app(only_our_handlers, status):
    with alone():
        request = observed(path="/broken")
        with request:  # leaving writes the access line; it must not raise
            request.status = status
    [line] = written(only_our_handlers)
    assert line["event"]["outcome"] == "unknown"
    assert line["log.level"] == "info"
    assert line["labels"]["http_response_status_code"] == status
    assert "status_code" not in line["http"].get("response", {})
