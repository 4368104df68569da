"""`setup_logging()`: validate the configuration, then (re)install handlers on the root logger.

Idempotent: handlers installed by an earlier call are closed and replaced, handlers the
application added itself are left alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from python_logging import context, loguru_bridge
from python_logging.config import ConfigError, LoggingConfig, load_config
from python_logging.ecs import ServiceIdentity
from python_logging.formatter import ConsoleHandler, ECSFormatter, PrettyFormatter, wants_colour
from python_logging.handlers import ECSFileHandler
from python_logging.pipeline import Pipeline
from python_logging.redaction import Redactor
from python_logging.sampling import sampling_filter

_installed: list[logging.Handler] = []
_active_redactor: Redactor | None = None


def setup_logging(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None, **overrides: Any
) -> LoggingConfig:
    """Send stdlib logging (and loguru, when installed) to ECS JSON files and the console.

    `config` is a YAML file path, a mapping with the same keys, or None (defaults plus
    environment variables). Returns the effective configuration. Raises `ConfigError`
    naming the key for any bad value, before anything is changed.
    """
    cfg = load_config(config, overrides)
    redactor = (
        Redactor(keys=cfg.redaction.keys, patterns=cfg.redaction.patterns, mask=cfg.redaction.mask)
        if cfg.redaction.enabled
        else None
    )
    pipeline = Pipeline(
        ServiceIdentity(cfg.service.name, cfg.service.version, cfg.service.environment),
        redactor,
        share_documents=cfg.file.enabled and cfg.console.enabled,
    )
    handlers = _build_handlers(cfg, pipeline)
    sampler = sampling_filter(cfg)
    if sampler is not None:  # only when configured: a filter costs loguru its fast path
        for handler in handlers:
            handler.addFilter(sampler)

    global _active_redactor
    _active_redactor = redactor
    context.configure_request_ids(cfg.request_id.max_length)
    root = logging.getLogger()
    _remove_installed(root)
    root.setLevel(cfg.level)
    for handler in handlers:
        root.addHandler(handler)
        _installed.append(handler)
    logging.captureWarnings(True)
    if loguru_bridge.loguru_available():
        loguru_bridge.install(logging.getLevelName(cfg.level), pipeline, handlers)
    return cfg


def _check_log_directory(directory: Path) -> None:
    """A directory that can't be written is a configuration error: say so at start-up.

    (Failures that appear later, a full disk or a permission taken away, are counted
    and survived by the writer instead.)
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "file.dir",
            f"cannot create {directory} ({exc.strerror or exc}); choose a writable directory "
            "(or set LOG_DIR), or set file.enabled: false",
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(
            "file.dir",
            f"{directory} is not writable by this process; fix its permissions, choose another "
            "directory (or set LOG_DIR), or set file.enabled: false",
        )


def _build_handlers(cfg: LoggingConfig, pipeline: Pipeline) -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    if cfg.file.enabled:
        _check_log_directory(cfg.file.dir)
        file_handler = ECSFileHandler(
            cfg.file.dir,
            cfg.service.name,
            max_bytes=cfg.file.max_bytes,
            when=cfg.file.when,
            backup_count=cfg.file.backup_count,
            retention_days=cfg.file.retention_days,
            compress=cfg.file.compress,
            access_flush_ms=cfg.file.access_flush_ms,
        )
        file_handler.setFormatter(ECSFormatter(pipeline))
        handlers.append(file_handler)
    if cfg.console.enabled:
        console = ConsoleHandler()
        if cfg.console.format == "json":
            console.setFormatter(ECSFormatter(pipeline))
        else:
            console.setFormatter(PrettyFormatter(pipeline, colour=wants_colour(console.stream)))
        console.setLevel(cfg.console.level or cfg.level)
        handlers.append(console)
    return handlers


def _remove_installed(root: logging.Logger) -> None:
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()


def redact(value: Any) -> Any:
    """Redact secrets from a value (nested dicts, lists, strings) as log lines are redacted.

    Uses the configuration of the last `setup_logging()` call, or the built-in rules
    before any call. With redaction disabled in the configuration, the built-in rules
    still apply here: an explicit call always redacts.
    """
    return (_active_redactor or _default_redactor()).redact(value)


_fallback: Redactor | None = None


def _default_redactor() -> Redactor:
    global _fallback
    if _fallback is None:
        _fallback = Redactor()
    return _fallback
