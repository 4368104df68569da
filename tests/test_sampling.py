"""Sampling of INFO/DEBUG lines per logger and per URL path; WARNING+ always kept."""

from __future__ import annotations

import contextlib
import logging

import pytest

from python_logging.config import ConfigError, SamplingConfig, load_config
from python_logging.context import add_context_fields, request_context
from python_logging.sampling import SamplingFilter, keep_fraction, sampling_filter


def record(name: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "line", None, None)


def test_config_section_is_read_and_validated():
    config = load_config({"sampling": {"loggers": {"app.db": 0.1}, "paths": {"/health": 0}}},
                         environ={})
    assert config.sampling == SamplingConfig(loggers=(("app.db", 0.1),), paths=(("/health", 0.0),))
    assert load_config(None, environ={}).sampling == SamplingConfig()
    assert sampling_filter(load_config(None, environ={})) is None


@pytest.mark.parametrize(
    ("sampling", "key"),
    [
        ({"loggers": {"app": 1.5}}, "sampling.loggers.app"),
        ({"loggers": {"app": "half"}}, "sampling.loggers.app"),
        ({"loggers": ["app"]}, "sampling.loggers"),
        ({"paths": {"health": 0.1}}, "sampling.paths"),
        ({"colour": {}}, "sampling.colour"),
    ],
)
def test_bad_sampling_config_names_the_key(sampling, key):
    with pytest.raises(ConfigError) as caught:
        load_config({"sampling": sampling}, environ={})
    assert caught.value.key == key


def test_warnings_and_above_are_never_sampled():
    drop_all = SamplingFilter(SamplingConfig(loggers=(("app", 0.0),)))
    for level in (logging.WARNING, logging.ERROR, logging.CRITICAL):
        assert drop_all.filter(record("app", level))
    assert not drop_all.filter(record("app", logging.INFO))
    assert not drop_all.filter(record("app", logging.DEBUG))


def test_errors_captured_at_a_low_severity_are_never_sampled():
    from python_logging.capture import capture_exception
    from tests.logcapture import capturing

    drop_all = SamplingFilter(SamplingConfig(loggers=(("python_logging", 0.0),)))
    with capturing() as logs:
        logs.addFilter(drop_all)
        capture_exception(ValueError("minor"), severity="low")  # an INFO error event
        logging.getLogger("python_logging.errors").info("chatter")
    assert [r.getMessage() for r in logs.records] == ["ValueError: minor"]


def test_logger_rules_match_the_logger_and_its_children_most_specific_first():
    sampler = SamplingFilter(SamplingConfig(loggers=(("app", 0.0), ("app.audit", 1.0))))
    assert not sampler.filter(record("app"))
    assert not sampler.filter(record("app.db"))
    assert sampler.filter(record("app.audit.login"))
    assert sampler.filter(record("application"))  # a name prefix is not a parent


def test_path_rules_apply_inside_requests():
    sampler = SamplingFilter(SamplingConfig(paths=(("/health", 0.0), ("/static/", 0.0))))
    assert sampler.filter(record("app"))  # outside a request
    for path, kept in [("/health", False), ("/healthz", True), ("/static/app.js", False),
                       ("/orders", True)]:
        with request_context():
            add_context_fields({"url": {"path": path}})
            assert sampler.filter(record("app")) is kept, path


def test_smaller_fraction_wins_when_both_apply():
    sampler = SamplingFilter(SamplingConfig(loggers=(("app", 1.0),), paths=(("/x", 0.25),)))
    assert sampler.fraction("app", "/x/y") == 0.25
    assert sampler.fraction("app", "/y") == 1.0


def test_a_request_keeps_all_its_lines_or_none_and_the_fraction_holds():
    sampler = SamplingFilter(SamplingConfig(loggers=(("app", 0.3),)))
    kept = 0
    for n in range(1000):
        with request_context(f"req-{n}"):
            decisions = {sampler.filter(record("app")) for _ in range(3)}
        assert len(decisions) == 1
        kept += decisions.pop()
    assert 220 < kept < 380


def test_one_decision_per_record_for_every_handler():
    sampler = SamplingFilter(SamplingConfig(loggers=(("app", 0.5),)))
    line = record("app")
    first = sampler.filter(line)
    assert all(sampler.filter(line) == first for _ in range(20))


def test_keep_fraction_is_deterministic_per_id():
    assert keep_fraction(0.5, "abc") == keep_fraction(0.5, "abc")


def test_health_check_access_lines_can_be_sampled_away_but_not_their_errors():
    import asyncio

    from python_logging.asgi import RequestIDMiddleware
    from tests.logcapture import capturing, field

    async def app(scope, receive, send):
        if scope["path"] == "/health/fail":
            raise RuntimeError("db down")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"up"})

    async def call(path):
        async def receive():
            return {"type": "http.request"}

        async def send(message):
            pass

        scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        with contextlib.suppress(RuntimeError):
            await RequestIDMiddleware(app)(scope, receive, send)

    sampler = SamplingFilter(SamplingConfig(paths=(("/health", 0.0),)))
    with capturing() as logs:
        logs.addFilter(sampler)
        for path in ("/health", "/health/fail", "/orders"):
            asyncio.run(call(path))
    assert [field(r, "url.path") for r in logs.access()] == ["/health/fail", "/orders"]  # 500
    assert len(logs.error_events()) == 1


def test_the_sampling_decision_is_not_written_into_the_line(tmp_path, monkeypatch):
    import json

    from python_logging import setup_logging

    for variable in ("SERVICE_NAME", "LOG_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    setup_logging({"service": {"name": "svc"}, "console": {"enabled": False},
                   "file": {"dir": str(tmp_path), "compress": False},
                   "sampling": {"loggers": {"noisy": 0.999999}}})
    try:
        with request_context("kept-request"):
            logging.getLogger("noisy").info("kept")
    finally:
        setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})
    (line,) = (json.loads(text) for text in (tmp_path / "svc.log").read_text().splitlines())
    assert line["message"] == "kept"
    assert not [key for key in line if key.startswith("_")]
