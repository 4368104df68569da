"""Sampling: keep only a fraction of INFO and DEBUG lines for chatty loggers or paths.

Configured in YAML (`sampling.loggers: {name: fraction}`, `sampling.paths: {prefix:
fraction}`). WARNING and above always pass, and so does any line carrying an exception
(a captured error, whatever its severity, is never dropped). The keep/drop decision is
a hash of the request ID, so a request keeps all its lines or none (a sampled request
stays whole); lines outside a request are sampled at random. When a logger rule and a
path rule both apply, the smaller fraction wins. Install the filter on handlers: filters
on a logger do not see records propagated from its children.
"""

from __future__ import annotations

import logging
import random
import zlib
from collections.abc import Mapping

from python_logging.config import LoggingConfig, SamplingConfig
from python_logging.context import context_fields, current_request_id
from python_logging.events import INTERNAL_PREFIX

_DECISION = INTERNAL_PREFIX + "_sampled"  # one decision per record, shared by all handlers


class SamplingFilter(logging.Filter):
    def __init__(self, config: SamplingConfig) -> None:
        super().__init__()
        # Longest first: the most specific rule for a name or path wins.
        self._loggers = sorted(config.loggers, key=lambda rule: len(rule[0]), reverse=True)
        self._paths = sorted(config.paths, key=lambda rule: len(rule[0]), reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.exc_info:
            return True
        decided = getattr(record, _DECISION, None)
        if decided is None:
            decided = self._keep(record.name)
            setattr(record, _DECISION, decided)
        return decided

    def fraction(self, logger_name: str, path: str | None) -> float:
        fraction = 1.0
        for name, rule in self._loggers:
            if logger_name == name or logger_name.startswith(name + "."):
                fraction = rule
                break
        if path is not None:
            for prefix, rule in self._paths:
                if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                    fraction = min(fraction, rule)
                    break
        return fraction

    def _keep(self, logger_name: str) -> bool:
        url = context_fields().get("url")
        path = url.get("path") if isinstance(url, Mapping) else None
        fraction = self.fraction(logger_name, path)
        if fraction >= 1:
            return True
        if fraction <= 0:
            return False
        return keep_fraction(fraction, current_request_id())


def keep_fraction(fraction: float, request_id: str | None) -> bool:
    """Deterministic per request ID: the same ID always gets the same answer."""
    if request_id is None:
        return random.random() < fraction
    return zlib.crc32(request_id.encode("utf-8", "replace")) / 2**32 < fraction


def sampling_filter(config: LoggingConfig) -> SamplingFilter | None:
    """The filter `setup_logging` installs on its handlers; None when nothing is sampled."""
    if not config.sampling.loggers and not config.sampling.paths:
        return None
    return SamplingFilter(config.sampling)
