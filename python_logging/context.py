"""Request context: the request ID and ECS fields bound to the work in progress.

Context variables follow asyncio tasks automatically; for threads and executors
use `copy_context().run` (issue #3 adds a helper). An incoming request ID is
untrusted input: only a value made of `[A-Za-z0-9._:-]` and no longer than
`request_id.max_length` is kept, anything else is replaced by a generated ID and
never stored raw.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

DEFAULT_MAX_LENGTH = 128
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]+")

_request_id: ContextVar[str | None] = ContextVar("python_logging_request_id", default=None)
# Nested ECS fields (for example {"user": {"id": "42"}}) added to every line of the context.
_fields: ContextVar[Mapping[str, Any]] = ContextVar("python_logging_fields", default={})  # noqa: B039 - never mutated, replaced on write
_max_length = DEFAULT_MAX_LENGTH


def configure_request_ids(max_length: int) -> None:
    global _max_length
    _max_length = max_length


def new_request_id() -> str:
    """A random (version 4) UUID in its canonical text form.

    Same value space and randomness as `str(uuid.uuid4())` (122 bits from `os.urandom`),
    built without the `UUID` object: half the cost, and it runs once per request.
    """
    octets = bytearray(os.urandom(16))
    octets[6] = (octets[6] & 0x0F) | 0x40  # version 4
    octets[8] = (octets[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = octets.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def valid_request_id(candidate: object) -> str | None:
    """The ID itself if it is acceptable, else None. Never returns a modified value."""
    if (
        isinstance(candidate, str)
        and 0 < len(candidate) <= _max_length
        and _VALID_ID.fullmatch(candidate)
    ):
        return candidate
    return None


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Run a block as one request: every line logged inside carries `http.request.id`.

    Yields the effective ID: `request_id` when valid, otherwise a new one. Contexts
    nest; each starts with no bound fields and restores the outer one on exit.
    """
    effective = valid_request_id(request_id) or new_request_id()
    id_token = _request_id.set(effective)
    fields_token = _fields.set({})
    try:
        yield effective
    finally:
        _fields.reset(fields_token)
        _request_id.reset(id_token)


def current_request_id() -> str | None:
    return _request_id.get()


def add_context_fields(fields: Mapping[str, Any]) -> None:
    """Merge nested ECS fields into the current context (until it exits)."""
    _fields.set(deep_merge(_fields.get(), fields))


def context_fields() -> Mapping[str, Any]:
    return _fields.get()


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: `update` over `base`, merging nested mappings instead of replacing them."""
    merged = dict(base)
    for key, value in update.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
