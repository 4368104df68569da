"""Every secret kind, in every place a log line takes text from, is masked in the line.

`test_redaction` proves the redactor on texts and structures; this proves the pipeline
hands it every user-controlled text: the formatted message, a dict message, `extra`
values, exception messages and stack traces, request-context fields and loguru-bound
values.
"""

from __future__ import annotations

import logging
import sys

import pytest

from python_logging.context import add_context_fields, request_context
from python_logging.ecs import ServiceIdentity
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor
from tests.test_redaction import SECRETS

PIPELINE = Pipeline(ServiceIdentity("checkout-api", "1.4.2", "production"), Redactor())
logger = logging.getLogger("shop.auth")


def record(msg, args=(), exc_info=None, extra=None):
    return logger.makeRecord(logger.name, logging.ERROR, "/app/shop/auth.py", 9, msg, args,
                             exc_info, "login", extra)


def raised(secret):
    try:
        raise PermissionError(f"upstream refused {secret}")
    except PermissionError:
        return sys.exc_info()


def line_with_loguru(secret):
    from loguru import logger as loguru_logger

    from python_logging.loguru_bridge import LoguruSink

    lines = []
    sink_id = loguru_logger.add(
        lambda message: lines.append(LoguruSink(PIPELINE, [])._render(message.record)),
        format="{message}",
    )
    try:
        loguru_logger.bind(detail={"note": secret}).info("login failed")
    finally:
        loguru_logger.remove(sink_id)
    return lines[0]


POSITIONS = {
    "message argument": lambda s: PIPELINE.render_record(record("login failed: %s", (s,))),
    "message text": lambda s: PIPELINE.render_record(record(f"login failed: {s}")),
    "dict message": lambda s: PIPELINE.render_record(record({"event": "login", "detail": s})),
    "extra value": lambda s: PIPELINE.render_record(
        record("login failed", extra={"detail": {"notes": ["x", s]}})),
    "exception": lambda s: PIPELINE.render_record(record("login failed", exc_info=raised(s))),
    "loguru bound value": line_with_loguru,
}


def in_context(secret):
    with request_context("req-1"):
        add_context_fields({"session_note": {"text": secret}})
        return PIPELINE.render_record(record("login failed"))


POSITIONS["request context"] = in_context


@pytest.mark.parametrize("position", POSITIONS)
def test_every_secret_kind_is_masked_in_this_position(position):
    render = POSITIONS[position]
    leaked = [kind for kind, secret, fragment in SECRETS
              if fragment.encode() in render(secret)]
    assert leaked == []


def test_the_exception_position_covers_message_and_stack_trace():
    import json

    doc = json.loads(POSITIONS["exception"]("password=hunter2"))
    assert doc["error"]["message"] == "upstream refused password=[REDACTED]"
    assert "upstream refused password=[REDACTED]" in doc["error"]["stack_trace"]
