"""Delivery of one message to Slack-compatible webhooks, generic JSON webhooks and SMTP email.

Each channel is retried with exponential backoff; a channel that still fails is reported in the
returned `Delivery` and never stops the other channels. `sleep` is injectable for tests.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from elkctl.error_tracking.alerts_config import Channel, EmailChannel, WebhookChannel

USER_AGENT = "elkctl-errors"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    attempts: int
    error: str | None = None


class DeliveryError(Exception):
    pass


def _post_json(channel: WebhookChannel, body: Mapping[str, Any]) -> None:
    request = urllib.request.Request(
        channel.url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT,
                 **channel.headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=channel.timeout) as reply:
            reply.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {_host(channel.url)}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach {_host(channel.url)}: {reason}") from exc


def _host(url: str) -> str:
    # Webhook URLs carry their secret in the path; reports show only the host.
    return url.split("/")[2] if "//" in url else url


def slack_escape(text: str) -> str:
    """Slack reads &, < and > as control characters in message text.

    https://api.slack.com/reference/surfaces/formatting#escaping
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_webhook(channel: WebhookChannel, message: Message) -> None:
    if channel.slack:
        text = f"*{slack_escape(message.subject)}*\n{slack_escape(message.text)}"
        _post_json(channel, {"text": text})
    else:
        _post_json(channel, {"subject": message.subject, "text": message.text,
                             **message.payload})


def send_email(channel: EmailChannel, message: Message) -> None:
    email = EmailMessage()
    email["Subject"] = " ".join(message.subject.split())  # a header is one line
    email["From"] = channel.sender
    email["To"] = ", ".join(channel.recipients)
    email.set_content(message.text)
    context = ssl.create_default_context(cafile=channel.ca_file)
    try:
        if channel.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                channel.host, channel.port, timeout=channel.timeout, context=context)
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=context)
            if channel.username:
                smtp.login(channel.username, channel.password or "")
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {channel.host}:{channel.port}: {exc}") from exc


def send(channel: Channel, message: Message) -> None:
    if isinstance(channel, EmailChannel):
        send_email(channel, message)
    else:
        send_webhook(channel, message)


def deliver(
    channel: Channel, message: Message, retries: int, backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Up to `retries` attempts, waiting backoff, 2*backoff, ... in between."""
    error = ""
    for attempt in range(1, retries + 1):
        try:
            send(channel, message)
            return Delivery(channel.name, True, attempt)
        except DeliveryError as exc:
            error = str(exc)
            if attempt < retries:
                sleep(backoff * 2 ** (attempt - 1))
    return Delivery(channel.name, False, retries, error)


def deliver_all(
    channels: Sequence[Channel], message: Message, retries: int, backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    return [deliver(channel, message, retries, backoff, sleep) for channel in channels]
