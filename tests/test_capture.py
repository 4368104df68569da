"""capture_exception / capture_errors: one structured event per error, never swallowed."""

from __future__ import annotations

import asyncio
import logging

import pytest

from python_logging.capture import capture_errors, capture_exception
from python_logging.context import add_context_fields, request_context
from python_logging.fingerprint import grouping_key
from python_logging.user import set_user
from tests.logcapture import capturing, field


class PaymentError(Exception):
    def __init__(self, message, status_code=None, code=None, details=None):
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.details = details


def charge(card):
    raise PaymentError(f"card {card} declined", status_code=402, code="E_DECLINED",
                       details={"retry": False})


@pytest.fixture
def logs():
    with capturing() as handler:
        yield handler


def test_captures_the_exception_being_handled_with_every_field(logs):
    with request_context("req-7"):
        add_context_fields({"http": {"request": {"method": "POST"}}, "url": {"path": "/pay"}})
        set_user("u-1")
        try:
            charge("4111")
        except PaymentError:
            key = capture_exception(context={"order_id": 99, "tenant_id": "acme"})
    [event] = logs.error_events()
    assert event.name == "python_logging.errors"
    assert event.levelno == logging.ERROR
    assert event.exc_info[0] is PaymentError
    assert key.startswith("v1:") and field(event, "error.grouping_key") == key
    assert field(event, "error.grouping_name") == "PaymentError in tests.test_capture.charge"
    assert field(event, "log.origin.file.name") == "test_capture.py"
    assert field(event, "log.origin.function") == "charge"
    assert field(event, "log.origin.file.line") == charge.__code__.co_firstlineno + 1
    assert field(event, "http.request.id") == "req-7"
    assert field(event, "http.request.method") == "POST"
    assert field(event, "url.path") == "/pay"
    assert field(event, "user.id") == "u-1"
    assert field(event, "organization.id") == "acme"  # well-known key mapped onto ECS
    assert field(event, "error_context") == {"order_id": 99}
    assert field(event, "error.code") == "E_DECLINED"
    assert field(event, "error_attributes") == {
        "status_code": 402, "code": "E_DECLINED", "details": {"retry": False}}
    assert event.getMessage() == "PaymentError in tests.test_capture.charge: card 4111 declined"


def test_user_id_in_context_maps_to_ecs_user(logs):
    capture_exception(ValueError("x"), context={"user_id": 5, "cart": "c1"})
    [event] = logs.error_events()
    assert field(event, "user.id") == "5"
    assert field(event, "error_context") == {"cart": "c1"}


@pytest.mark.parametrize(
    ("severity", "level"),
    [("critical", "CRITICAL"), ("error", "ERROR"), ("warning", "WARNING"), ("info", "INFO"),
     ("high", "ERROR"), ("medium", "WARNING"), ("low", "INFO"), ("HIGH", "ERROR")],
)
def test_severity_sets_the_level(logs, severity, level):
    capture_exception(ValueError("x"), severity=severity)
    assert logs.error_events()[0].levelname == level


def test_bad_severity_and_missing_exception_are_clear_errors():
    with pytest.raises(ValueError, match="severity 'urgent' is not one of critical"):
        capture_exception(ValueError("x"), severity="urgent")
    with pytest.raises(ValueError, match="needs an exception"):
        capture_exception()
    with pytest.raises(ValueError, match="severity"):
        capture_errors(severity="urgent")


def test_custom_fingerprint(logs):
    exc = ValueError("x")
    key = capture_exception(exc, fingerprint=["{{ default }}", "tenant-a"])
    assert key == grouping_key(exc, ["{{ default }}", "tenant-a"]) != grouping_key(exc)


def test_without_request_context_the_event_has_no_request_fields(logs):
    capture_exception(ValueError("x"))
    [event] = logs.error_events()
    assert field(event, "http") is None and field(event, "user") is None


def test_capture_errors_as_decorator_re_raises_and_keeps_results(logs):
    @capture_errors
    def fine():
        return "ok"

    @capture_errors(severity="high", context={"job": "sync"})
    def failing():
        charge("1")

    assert fine() == "ok"
    with pytest.raises(PaymentError):
        failing()
    [event] = logs.error_events()
    assert event.levelname == "ERROR"
    assert field(event, "error_context") == {"job": "sync"}


def test_capture_errors_on_async_functions(logs):
    @capture_errors(context={"job": "async"})
    async def failing():
        await asyncio.sleep(0)
        charge("1")

    assert asyncio.iscoroutinefunction(failing)
    with pytest.raises(PaymentError):
        asyncio.run(failing())
    assert field(logs.error_events()[0], "error_context") == {"job": "async"}


def test_capture_errors_as_context_manager_captures_once_when_nested(logs):
    outer, inner = capture_errors(context={"outer": 1}), capture_errors(context={"inner": 1})
    with pytest.raises(PaymentError), outer, inner:
        charge("1")
    [event] = logs.error_events()
    assert field(event, "error_context") == {"inner": 1}


def test_capture_errors_ignores_non_errors(logs):
    with pytest.raises(KeyboardInterrupt), capture_errors():
        raise KeyboardInterrupt
    with capture_errors():
        pass
    assert logs.error_events() == []


def test_explicit_capture_always_writes(logs):
    exc = ValueError("x")
    capture_exception(exc)
    capture_exception(exc)
    assert len(logs.error_events()) == 2


def test_hostile_exception_is_still_captured(logs):
    class Hostile(Exception):
        def __str__(self):
            raise RuntimeError("no")

        @property
        def code(self):
            raise RuntimeError("no code either")

    key = capture_exception(Hostile())
    [event] = logs.error_events()
    assert field(event, "error.grouping_key") == key
    assert "unprintable Hostile" in event.getMessage()
