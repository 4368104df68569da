"""Notification delivery, asserted on the receiving side: a local HTTP receiver and a local
SMTP server (aiosmtpd) with STARTTLS, implicit TLS and login."""

from __future__ import annotations

import json
from email import message_from_bytes

import pytest
from pytest_httpserver import HTTPServer

from elkctl.error_tracking.alerts_config import EmailChannel, WebhookChannel
from elkctl.error_tracking.channels import Message, deliver, deliver_all
from tests.net import free_port

# Implicit TLS needs auth_require_tls=False (aiosmtpd only counts STARTTLS as TLS) and then
# warns on every connection although the socket is TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MESSAGE = Message("New error group: ValueError", "bad input in checkout",
                  {"kind": "new_group", "group": {"key": "v1:abc"}})


def email_channel(port, mode, certificate, password="s3cret"):
    secured = mode != "none"
    return EmailChannel(
        "oncall", "127.0.0.1", port, "alerts@example.com", ("oncall@example.com",),
        security=mode, username="alerts" if secured else None,
        password=password if secured else None, ca_file=str(certificate[0]), timeout=5,
    )


def received(inbox):
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    return envelope, message_from_bytes(envelope.original_content)


@pytest.mark.parametrize("smtp_server", ["starttls", "ssl", "none"], indirect=True)
def test_email_is_received(smtp_server, certificate):
    inbox, port, mode = smtp_server
    result = deliver(email_channel(port, mode, certificate), MESSAGE, retries=1, backoff=0)
    assert result.ok, result.error
    envelope, mail = received(inbox)
    assert envelope.rcpt_tos == ["oncall@example.com"]
    assert mail["Subject"] == MESSAGE.subject
    assert "bad input in checkout" in mail.get_payload()


def test_email_subject_with_a_line_break_is_one_line(smtp_server, certificate):
    inbox, port, mode = smtp_server
    message = Message("New error group:\nInjected: header", "body")
    assert deliver(email_channel(port, mode, certificate), message, retries=1, backoff=0).ok
    _, mail = received(inbox)
    assert mail["Subject"] == "New error group: Injected: header"
    assert mail["Injected"] is None


def test_email_with_wrong_password_is_reported(smtp_server, certificate):
    inbox, port, mode = smtp_server
    channel = email_channel(port, mode, certificate, password="wrong")
    result = deliver(channel, MESSAGE, retries=2, backoff=0, sleep=lambda s: None)
    assert not result.ok and result.attempts == 2
    assert "535" in result.error
    assert inbox.envelopes == []


def test_slack_webhook_body(httpserver: HTTPServer):
    httpserver.expect_oneshot_request("/services/T1/B2", method="POST").respond_with_data("ok")
    channel = WebhookChannel("slack", httpserver.url_for("/services/T1/B2"), slack=True)
    assert deliver(channel, MESSAGE, retries=1, backoff=0).ok
    (request, _), = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {"text": "*New error group: ValueError*\nbad input in checkout"}


def test_generic_webhook_body_and_headers(httpserver: HTTPServer):
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=204)
    channel = WebhookChannel("hook", httpserver.url_for("/hook"), headers={"X-Token": "t"})
    assert deliver(channel, MESSAGE, retries=1, backoff=0).ok
    (request, _), = httpserver.log
    assert request.headers["X-Token"] == "t"
    assert json.loads(request.data) == {
        "subject": MESSAGE.subject, "text": MESSAGE.text, "kind": "new_group",
        "group": {"key": "v1:abc"},
    }


def test_webhook_retries_with_backoff_then_succeeds(httpserver: HTTPServer):
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    waits: list[float] = []
    result = deliver(WebhookChannel("hook", httpserver.url_for("/hook")), MESSAGE, retries=3,
                     backoff=0.5, sleep=waits.append)
    assert (result.ok, result.attempts, waits) == (True, 3, [0.5, 1.0])
    assert len(httpserver.log) == 3


def test_dead_webhook_is_retried_and_reported_while_email_still_goes_out(
    httpserver: HTTPServer, smtp_server, certificate
):
    httpserver.expect_request("/dead").respond_with_data("down", status=500)
    inbox, port, mode = smtp_server
    dead = WebhookChannel("dead-hook", httpserver.url_for("/dead"))
    unreachable = WebhookChannel("nobody-home", f"http://127.0.0.1:{free_port()}/x", timeout=2)
    waits: list[float] = []
    results = deliver_all([dead, unreachable, email_channel(port, mode, certificate)], MESSAGE,
                          retries=3, backoff=1, sleep=waits.append)
    assert [(r.channel, r.ok, r.attempts) for r in results] == [
        ("dead-hook", False, 3), ("nobody-home", False, 3), ("oncall", True, 1)]
    assert results[0].error == f"HTTP 500 from {httpserver.host}:{httpserver.port}"
    assert "cannot reach" in results[1].error
    assert len(httpserver.log) == 3
    assert waits == [1, 2, 1, 2]
    received(inbox)


def test_slack_text_is_escaped(httpserver: HTTPServer):
    httpserver.expect_oneshot_request("/slack", method="POST").respond_with_data("ok")
    channel = WebhookChannel("slack", httpserver.url_for("/slack"), slack=True)
    message = Message("TypeError in <lambda>", "a & b <Foo object at 0x7f>")
    assert deliver(channel, message, retries=1, backoff=0).ok
    (request, _), = httpserver.log
    assert request.get_json()["text"] == (
        "*TypeError in &lt;lambda&gt;*\na &amp; b &lt;Foo object at 0x7f&gt;")
