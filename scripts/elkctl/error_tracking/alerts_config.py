"""alerts.yml: channels, alert rules, escalation policy, ownership and summary settings.

Parsing validates everything up front; every problem names the key and the fix.
Secrets (webhook URLs, SMTP passwords) may come from environment variables (`*_env` keys).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from elkctl.error_tracking.model import SEVERITIES
from python_logging.units import parse_duration

RULE_KINDS = ("new_group", "regression", "threshold")
SCOPES = ("group", "service", "overall")
PRIORITIES = ("critical", "high", "medium")
# Which `log.level` makes a group which escalation priority.
PRIORITY_OF_SEVERITY = {"critical": "critical", "error": "high", "warning": "medium"}
DEFAULT_ESCALATION = {"critical": 3600.0, "high": 4 * 3600.0, "medium": 8 * 3600.0}
EMAIL_SECURITY = ("starttls", "ssl", "none")


class AlertsConfigError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"alerts config key '{key}': {problem}")
        self.key = key


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str
    slack: bool = False  # Slack-compatible body ({"text": ...}) instead of the generic JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 10.0


Channel = WebhookChannel | EmailChannel


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    channels: tuple[str, ...]
    scope: str = "group"
    events: int = 1
    within: float = 3600.0
    cooldown: float = 3600.0
    severity: str | None = None  # minimum log.level counted


@dataclass(frozen=True)
class OwnershipRule:
    owner: str
    service: str | None = None
    module: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    channels: Mapping[str, Channel]
    rules: tuple[Rule, ...] = ()
    lookback: float = 3600.0
    escalation_after: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ESCALATION))
    escalation_channels: tuple[str, ...] = ()
    ownership: tuple[OwnershipRule, ...] = ()
    summary_channels: tuple[str, ...] = ()
    retries: int = 3
    backoff: float = 2.0


def load_alerts_config(path: Path, environ: Mapping[str, str] | None = None) -> AlertsConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AlertsConfigError("--config", f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise AlertsConfigError("--config", f"{path} is not valid YAML: {exc}") from exc
    return parse_alerts_config(raw, os.environ if environ is None else environ)


def parse_alerts_config(raw: Any, environ: Mapping[str, str]) -> AlertsConfig:
    top = _mapping(raw, "(top level)")
    _only(top, "", {"channels", "rules", "lookback", "escalation", "ownership", "summary",
                    "delivery"})
    channels = {
        name: _channel(f"channels.{name}", name, spec, environ)
        for name, spec in _mapping(top.get("channels") or {}, "channels").items()
    }
    rules = tuple(
        _rule(f"rules[{i}]", spec, channels) for i, spec in enumerate(_list(top, "rules"))
    )
    names = [r.name for r in rules]
    for name in names:
        if names.count(name) > 1:
            raise AlertsConfigError(
                "rules", f"rule name {name!r} is used twice; names must be unique"
            )
    escalation = _mapping(top.get("escalation") or {}, "escalation")
    _only(escalation, "escalation", {"channels", "after"})
    summary = _mapping(top.get("summary") or {}, "summary")
    _only(summary, "summary", {"channels"})
    delivery = _mapping(top.get("delivery") or {}, "delivery")
    _only(delivery, "delivery", {"retries", "backoff"})
    return AlertsConfig(
        channels=channels,
        rules=rules,
        lookback=_duration(top, "lookback", "", 3600.0),
        escalation_after=_escalation_after(escalation.get("after") or {}),
        escalation_channels=_channel_refs(escalation, "escalation", channels, required=False),
        ownership=tuple(
            _ownership(f"ownership[{i}]", spec) for i, spec in enumerate(_list(top, "ownership"))
        ),
        summary_channels=_channel_refs(summary, "summary", channels, required=False),
        retries=_positive_int(delivery, "retries", "delivery", 3),
        backoff=_duration(delivery, "backoff", "delivery", 2.0),
    )


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AlertsConfigError(key, f"expected a mapping, got {type(value).__name__}")
    return value


def _list(parent: dict[str, Any], key: str) -> list[Any]:
    value = parent.get(key) or []
    if not isinstance(value, list):
        raise AlertsConfigError(key, f"expected a list, got {type(value).__name__}")
    return value


def _only(spec: dict[str, Any], prefix: str, allowed: set[str]) -> None:
    for name in spec:
        if name not in allowed:
            raise AlertsConfigError(
                _key(prefix, str(name)), f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )


def _text(spec: dict[str, Any], name: str, prefix: str, required: bool = True) -> str | None:
    value = spec.get(name)
    if value is None:
        if required:
            raise AlertsConfigError(_key(prefix, name), "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise AlertsConfigError(_key(prefix, name), f"expected a non-empty string, got {value!r}")
    return value


def _secret(
    spec: dict[str, Any], name: str, prefix: str, environ: Mapping[str, str], required: bool
) -> str | None:
    """`name: value` or `name_env: VARIABLE` (keeps secrets out of the file)."""
    variable = _text(spec, f"{name}_env", prefix, required=False)
    if variable is not None:
        if not environ.get(variable):
            raise AlertsConfigError(
                _key(prefix, f"{name}_env"), f"environment variable {variable} is not set"
            )
        return environ[variable]
    value = _text(spec, name, prefix, required=False)
    if value is None and required:
        raise AlertsConfigError(_key(prefix, name), f"is required (or set {name}_env)")
    return value


def _duration(spec: dict[str, Any], name: str, prefix: str, default: float) -> float:
    if spec.get(name) is None:
        return default
    try:
        seconds = parse_duration(spec[name])
    except ValueError as exc:
        raise AlertsConfigError(_key(prefix, name), str(exc)) from exc
    if seconds <= 0:
        raise AlertsConfigError(_key(prefix, name), "must be longer than 0s")
    return seconds


def _positive_int(spec: dict[str, Any], name: str, prefix: str, default: int) -> int:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AlertsConfigError(_key(prefix, name), f"expected a whole number >= 1, got {value!r}")
    return value


def _choice(spec: dict[str, Any], name: str, prefix: str, choices: tuple[str, ...],
            default: str | None) -> str | None:
    value = spec.get(name, default)
    if value is not None and value not in choices:
        raise AlertsConfigError(
            _key(prefix, name), f"{value!r} is not one of: {', '.join(choices)}"
        )
    return value


def _channel(prefix: str, name: str, raw: Any, environ: Mapping[str, str]) -> Channel:
    spec = _mapping(raw, prefix)
    kind = _choice(spec, "type", prefix, ("slack", "webhook", "email"), None)
    if kind is None:
        raise AlertsConfigError(_key(prefix, "type"), "is required: slack, webhook or email")
    if kind in ("slack", "webhook"):
        _only(spec, prefix, {"type", "url", "url_env", "headers", "timeout"})
        url = _secret(spec, "url", prefix, environ, required=True)
        if not str(url).startswith(("http://", "https://")):
            raise AlertsConfigError(_key(prefix, "url"), "must start with http:// or https://")
        headers = _mapping(spec.get("headers") or {}, _key(prefix, "headers"))
        return WebhookChannel(
            name, str(url), slack=kind == "slack",
            headers={str(k): str(v) for k, v in headers.items()},
            timeout=_duration(spec, "timeout", prefix, 10.0),
        )
    _only(spec, prefix, {"type", "host", "port", "security", "username", "password",
                         "password_env", "from", "to", "ca_file", "timeout"})
    security = _choice(spec, "security", prefix, EMAIL_SECURITY, "starttls")
    recipients = spec.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise AlertsConfigError(_key(prefix, "to"), "expected one or more email addresses")
    username = _text(spec, "username", prefix, required=False)
    return EmailChannel(
        name=name,
        host=str(_text(spec, "host", prefix)),
        port=_positive_int(spec, "port", prefix, 465 if security == "ssl" else 587),
        sender=str(_text(spec, "from", prefix)),
        recipients=tuple(recipients),
        security=str(security),
        username=username,
        password=_secret(spec, "password", prefix, environ, required=username is not None),
        ca_file=_text(spec, "ca_file", prefix, required=False),
        timeout=_duration(spec, "timeout", prefix, 10.0),
    )


def _channel_refs(spec: dict[str, Any], prefix: str, channels: Mapping[str, Channel],
                  required: bool = True) -> tuple[str, ...]:
    refs = spec.get("channels")
    if refs is None and not required:
        return ()
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list) or not refs:
        raise AlertsConfigError(_key(prefix, "channels"), "expected a list of channel names")
    for ref in refs:
        if ref not in channels:
            known = ", ".join(channels) or "none defined"
            raise AlertsConfigError(
                _key(prefix, "channels"), f"unknown channel {ref!r}; defined channels: {known}"
            )
    return tuple(refs)


def _rule(prefix: str, raw: Any, channels: Mapping[str, Channel]) -> Rule:
    spec = _mapping(raw, prefix)
    _only(spec, prefix, {"name", "when", "channels", "scope", "events", "within", "cooldown",
                         "severity"})
    when = _choice(spec, "when", prefix, RULE_KINDS, None)
    if when is None:
        raise AlertsConfigError(_key(prefix, "when"), f"is required: {', '.join(RULE_KINDS)}")
    if when != "threshold":
        for name in ("scope", "events", "within", "cooldown"):
            if name in spec:
                raise AlertsConfigError(_key(prefix, name), "only applies to `when: threshold`")
    elif "events" not in spec or "within" not in spec:
        raise AlertsConfigError(
            _key(prefix, "events"), "a threshold rule needs `events: N` and `within: DURATION`"
        )
    within = _duration(spec, "within", prefix, 3600.0)
    return Rule(
        name=str(_text(spec, "name", prefix)),
        when=when,
        channels=_channel_refs(spec, prefix, channels),
        scope=str(_choice(spec, "scope", prefix, SCOPES, "group")),
        events=_positive_int(spec, "events", prefix, 1),
        within=within,
        cooldown=_duration(spec, "cooldown", prefix, within),
        severity=_choice(spec, "severity", prefix, SEVERITIES, None),
    )


def _escalation_after(raw: Any) -> dict[str, float]:
    spec = _mapping(raw, "escalation.after")
    _only(spec, "escalation.after", set(PRIORITIES))
    return {p: _duration(spec, p, "escalation.after", DEFAULT_ESCALATION[p]) for p in PRIORITIES}


def _ownership(prefix: str, raw: Any) -> OwnershipRule:
    spec = _mapping(raw, prefix)
    _only(spec, prefix, {"owner", "service", "module", "path"})
    rule = OwnershipRule(
        owner=str(_text(spec, "owner", prefix)),
        service=_text(spec, "service", prefix, required=False),
        module=_text(spec, "module", prefix, required=False),
        path=_text(spec, "path", prefix, required=False),
    )
    if not (rule.service or rule.module or rule.path):
        raise AlertsConfigError(prefix, "needs at least one of service, module or path patterns")
    return rule
