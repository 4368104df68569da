"""Configuration: defaults < YAML file or mapping < keyword overrides < environment.

Every key is validated at `setup_logging()`. A bad key or value raises
`ConfigError` naming the key and what it accepts; nothing silently falls back.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from python_logging.context import deep_merge
from python_logging.units import parse_size

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ROTATION_PERIODS = ("midnight", "hourly")
CONSOLE_FORMATS = ("pretty", "json")
# Environment variables and the key each one overrides.
ENVIRONMENT_KEYS = {
    "SERVICE_NAME": ("service", "name"),
    "SERVICE_VERSION": ("service", "version"),
    "ENVIRONMENT": ("service", "environment"),
    "LOG_LEVEL": ("level",),
    "LOG_DIR": ("file", "dir"),
}


class ConfigError(ValueError):
    """Bad logging configuration; the message names the key and the accepted values."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"logging config key '{key}': {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class ServiceConfig:
    name: str = "app"
    version: str | None = None
    environment: str = "development"


@dataclass(frozen=True)
class ConsoleConfig:
    enabled: bool = True
    format: str = "pretty"
    level: str | None = None  # None: the root `level`


@dataclass(frozen=True)
class FileConfig:
    enabled: bool = True
    dir: Path = Path("logs")
    max_bytes: int | None = 100 * 1000**2
    when: str | None = None
    backup_count: int | None = 20
    retention_days: float | None = 30
    compress: bool = True
    # Access lines may wait this long to be written together (0: each at once), see
    # `write_behind`; every other line is written as it is logged.
    access_flush_ms: int = 100


@dataclass(frozen=True)
class RedactionConfig:
    enabled: bool = True
    keys: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    mask: str = "[REDACTED]"


@dataclass(frozen=True)
class RequestIdConfig:
    max_length: int = 128


@dataclass(frozen=True)
class SamplingConfig:
    """Fractions of INFO/DEBUG lines kept, by logger name and by URL path prefix."""

    loggers: tuple[tuple[str, float], ...] = ()
    paths: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class LoggingConfig:
    service: ServiceConfig = field(default_factory=ServiceConfig)
    level: str = "INFO"
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    file: FileConfig = field(default_factory=FileConfig)
    redaction: RedactionConfig = field(default_factory=RedactionConfig)
    request_id: RequestIdConfig = field(default_factory=RequestIdConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)


def load_config(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoggingConfig:
    """Build and validate the effective configuration."""
    raw = _read_source(config)
    if overrides:
        raw = deep_merge(raw, overrides)
    raw = deep_merge(raw, _from_environment(os.environ if environ is None else environ))
    return _build(LoggingConfig, raw, prefix="")


def _read_source(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    if isinstance(config, (str, os.PathLike)):
        path = Path(config)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("<file>", f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError("<file>", f"{path} is not valid YAML: {exc}") from exc
        if loaded is None:
            return {}
        if not isinstance(loaded, Mapping):
            raise ConfigError("<file>", f"{path} must hold a mapping of keys at the top level")
        return dict(loaded)
    raise ConfigError(
        "<config>", f"expected a YAML file path, a mapping or None, got {type(config).__name__}"
    )


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for variable, path in ENVIRONMENT_KEYS.items():
        value = environ.get(variable)
        if value is None or value == "":
            continue
        target = result
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return result


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(prefix.rstrip("."), f"expected a mapping of keys, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = prefix + str(unknown[0])
        raise ConfigError(key, f"unknown key; accepted keys here are {', '.join(sorted(fields))}")
    values = {}
    for name, value in raw.items():
        key = prefix + name
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value, key + ".")
        else:
            values[name] = _VALIDATORS[key](key, value)
    return cls(**values)


def _text(key: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, f"expected a non-empty string, got {value!r}")
    return value


def _optional_text(key: str, value: Any) -> str | None:
    return None if value is None else _text(key, value)


def _service_name(key: str, value: Any) -> str:
    name = _text(key, value)
    # It becomes a file name and part of a data stream name.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise ConfigError(
            key, f"{name!r} must be 1-100 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _level(key: str, value: Any) -> str:
    if isinstance(value, str) and value.upper() in LEVELS:
        return value.upper()
    raise ConfigError(key, f"{value!r} is not a level; use one of {', '.join(LEVELS)}")


def _optional_level(key: str, value: Any) -> str | None:
    return None if value is None else _level(key, value)


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return value.lower() in ("true", "yes", "on")
    raise ConfigError(key, f"{value!r} is not a boolean; use true or false")


def _choice(*choices: str, optional: bool = False):
    def validate(key: str, value: Any) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, str) and value.lower() in choices:
            return value.lower()
        accepted = ", ".join(choices) + (" or null" if optional else "")
        raise ConfigError(key, f"{value!r} is not accepted; use {accepted}")

    return validate


def _directory(key: str, value: Any) -> Path:
    return Path(_text(key, value)).expanduser()


def _optional_size(key: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        size = parse_size(value)
    except ValueError as exc:
        raise ConfigError(key, str(exc)) from None
    if size == 0:
        raise ConfigError(key, "0 is not a useful size; use null to turn size rotation off")
    return size


def _count(minimum: int, optional: bool = False, maximum: int | None = None):
    def validate(key: str, value: Any) -> int | None:
        if value is None and optional:
            return None
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= minimum
            and (maximum is None or value <= maximum)
        ):
            return value
        bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        accepted = f"a whole number {bound}" + (" or null" if optional else "")
        raise ConfigError(key, f"{value!r} is not accepted; use {accepted}")

    return validate


def _optional_days(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigError(key, f"{value!r} is not accepted; use a number of days > 0 or null")


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ConfigError(key, f"{value!r} is not accepted; use a list of non-empty strings")


def _key_names(key: str, value: Any) -> tuple[str, ...]:
    names = _strings(key, value)
    for name in names:
        if not any(character.isalnum() for character in name):
            raise ConfigError(key, f"{name!r} has no letters or digits; name a key such as pin")
    return names


def _regexes(key: str, value: Any) -> tuple[str, ...]:
    patterns = _strings(key, value)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            problem = f"{pattern!r} is not a valid regular expression: {exc}"
            raise ConfigError(key, problem) from None
    return patterns


def _fractions(path_prefixes: bool):
    def validate(key: str, value: Any) -> tuple[tuple[str, float], ...]:
        example = "{/health: 0.01}" if path_prefixes else "{myapp.db: 0.1}"
        if not isinstance(value, Mapping):
            raise ConfigError(key, f"{value!r} is not accepted; use a mapping like {example}")
        rules = []
        for name, fraction in value.items():
            if not isinstance(name, str) or not name or (path_prefixes and name[0] != "/"):
                what = "a URL path starting with /" if path_prefixes else "a logger name"
                raise ConfigError(key, f"{name!r} is not {what}; use a mapping like {example}")
            if (isinstance(fraction, bool) or not isinstance(fraction, (int, float))
                    or not 0 <= fraction <= 1):
                raise ConfigError(
                    f"{key}.{name}", f"{fraction!r} is not a fraction; use a number from 0 to 1"
                )
            rules.append((name, float(fraction)))
        return tuple(rules)

    return validate


_VALIDATORS = {
    "service.name": _service_name,
    "service.version": _optional_text,
    "service.environment": _text,
    "level": _level,
    "console.enabled": _boolean,
    "console.format": _choice(*CONSOLE_FORMATS),
    "console.level": _optional_level,
    "file.enabled": _boolean,
    "file.dir": _directory,
    "file.max_bytes": _optional_size,
    "file.when": _choice(*ROTATION_PERIODS, optional=True),
    "file.backup_count": _count(1, optional=True),
    "file.retention_days": _optional_days,
    "file.compress": _boolean,
    "file.access_flush_ms": _count(0, maximum=10_000),
    "redaction.enabled": _boolean,
    "redaction.keys": _key_names,
    "redaction.patterns": _regexes,
    "redaction.mask": _text,
    # An ID is copied onto every line of its request: a few hundred characters at most.
    "request_id.max_length": _count(1, maximum=1024),
    "sampling.loggers": _fractions(path_prefixes=False),
    "sampling.paths": _fractions(path_prefixes=True),
}
