"""Middlewares, error capture, timing and sampling end to end: the JSON lines in the file."""

from __future__ import annotations

import json
import logging

import pytest

from python_logging import (
    capture_exception,
    log_performance,
    request_context,
    set_user,
    setup_logging,
)
from tests.web_apps import DRIVERS

SECRETS = ("hunter2", "ghp_0123456789abcdefABCDEF0123456789abcd", "s3cr3t-cookie",
           "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")


@pytest.fixture
def log_file(tmp_path, monkeypatch):
    for variable in ("SERVICE_NAME", "SERVICE_VERSION", "ENVIRONMENT", "LOG_LEVEL", "LOG_DIR"):
        monkeypatch.delenv(variable, raising=False)
    root_level = logging.getLogger().level

    def configure(**overrides):
        config = {"service": {"name": "shop", "environment": "test"},
                  "console": {"enabled": False},
                  "file": {"dir": str(tmp_path), "compress": False}, **overrides}
        setup_logging(config)

    configure()
    yield configure, tmp_path / "shop.log"
    setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})
    logging.getLogger().setLevel(root_level)


def read(path):
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text().splitlines()]


def access_lines(lines, path):
    return [line for line in lines
            if line["log"]["logger"] == "python_logging.access" and line["url"]["path"] == path]


def error_events(lines):
    return [line for line in lines if "grouping_key" in line.get("error", {})]


@pytest.mark.parametrize("framework", sorted(DRIVERS))
def test_access_line_and_error_event_as_written(framework, log_file):
    _, path = log_file
    driver = DRIVERS[framework]()
    driver.get("/ok?page=2&token=abc123", {"X-Request-ID": "e2e-ok", "User-Agent": "e2e/1"})
    reply = driver.get("/boom", {"X-Request-ID": "e2e-boom"})
    assert reply.status == 500
    lines = read(path)

    [access] = access_lines(lines, "/ok")
    assert access["log.level"] == "info"
    assert access["http"]["request"] == {"id": "e2e-ok", "method": "GET"}
    assert access["http"]["response"]["status_code"] == 200
    assert access["url"]["query"] == "page=2&token=[REDACTED]"
    assert isinstance(access["event"]["duration"], int)
    assert access["client"]["ip"] == "127.0.0.1"
    assert access["user_agent"]["original"] == "e2e/1"
    handled = [line for line in lines if line["message"] == "handled"]
    assert handled[0]["http"]["request"]["id"] == "e2e-ok"

    [event] = error_events(lines)
    assert event["log.level"] == "error"
    assert event["http"]["request"] == {"id": "e2e-boom", "method": "GET"}
    assert event["url"]["path"] == "/boom"
    assert event["error"]["type"].endswith("Boom")
    assert event["error"]["grouping_key"].startswith("v1:")
    assert event["error"]["grouping_name"] == "Boom in tests.web_apps.boom"
    assert event["log"]["origin"]["function"] == "boom"
    assert "kaboom" in event["error"]["message"]
    assert "hunter2" not in json.dumps(lines)
    [failed] = access_lines(lines, "/boom")
    assert failed["http"]["response"]["status_code"] == 500
    assert failed["http"]["request"]["id"] == "e2e-boom"


def leak(token):
    header = f"Authorization: Bearer {token}"
    raise PermissionError(f"upstream refused {header} for password=hunter2")


def test_capture_exception_redacts_message_traceback_and_context(log_file):
    _, path = log_file
    with request_context("e2e-cap"):
        set_user("u-9")
        try:
            leak(SECRETS[3])
        except PermissionError:
            key = capture_exception(
                severity="critical",
                context={"user_id": "u-9", "password": "hunter2", "api_token": SECRETS[1],
                         "note": f"retry with cookie={SECRETS[2]}", "cart_id": 17},
            )
    [event] = error_events(read(path))
    text = json.dumps(event)
    for secret in SECRETS:
        assert secret not in text
    assert event["log.level"] == "critical"
    assert event["error"]["type"] == "PermissionError"
    assert event["error"]["message"] == (
        "upstream refused Authorization: Bearer [REDACTED] for password=[REDACTED]")
    assert "password=[REDACTED]" in event["error"]["stack_trace"]
    assert event["error"]["grouping_key"] == key
    assert event["error"]["grouping_name"] == "PermissionError in tests.test_integrations_e2e.leak"
    assert "Traceback" in event["error"]["stack_trace"]
    assert event["http"]["request"]["id"] == "e2e-cap"
    assert event["user"]["id"] == "u-9"
    assert event["error_context"]["cart_id"] == 17
    assert event["error_context"]["password"] == "[REDACTED]"
    assert event["log"]["origin"]["file"]["name"] == "test_integrations_e2e.py"


def test_log_performance_line(log_file):
    _, path = log_file
    with request_context("e2e-perf"), log_performance("reports.build", slow_ms=10_000):
        pass
    [line] = [line for line in read(path) if line["log"]["logger"] == "python_logging.performance"]
    assert line["event"]["action"] == "reports.build"
    assert line["event"]["outcome"] == "success"
    assert isinstance(line["event"]["duration"], int)
    assert line["http"]["request"]["id"] == "e2e-perf"


def test_sampling_configured_in_setup_logging(log_file):
    configure, path = log_file
    configure(sampling={"paths": {"/ok": 0.0}, "loggers": {"chatty": 0.0}})
    driver = DRIVERS["flask"]()
    driver.get("/ok")
    driver.get("/slow")  # WARNING (slow): never sampled
    logging.getLogger("chatty.sub").info("dropped")
    logging.getLogger("chatty.sub").warning("kept")
    messages = [line["message"] for line in read(path)]
    assert not any(m.startswith("GET /ok") for m in messages) and "handled" not in messages
    assert any(m.startswith("slow request: GET /slow") for m in messages)
    assert "kept" in messages and "dropped" not in messages
