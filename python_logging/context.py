"""Request context: the request ID and ECS fields bound to the work in progress.

Context variables follow asyncio tasks automatically; for threads and executors
use `python_logging.with_context` or `submit_with_context`. An incoming request ID is
untrusted input: only a value made of `[A-Za-z0-9._:-]` and no longer than
`request_id.max_length` is kept, anything else is replaced by a generated ID and
never stored raw.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextlib import AbstractContextManager, ContextDecorator
from contextvars import ContextVar, Token
from typing import Any

from python_logging.events import TrustedFields

DEFAULT_MAX_LENGTH = 128
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]+")

# The request context in one variable, so entering and leaving a request is one write
# each: (request ID, bound fields, voucher). The bound fields are nested ECS fields (for
# example {"user": {"id": "42"}}) added to every line of the context; the voucher is the
# `TrustedFields` of `request_context(trusted=...)` while the bound fields are still its
# fields, else None. A new tuple on every change, never mutated: readers may compare the
# state by identity (the pipeline caches the mapped context that way).
RequestState = tuple[str | None, Mapping[str, Any], TrustedFields | None]
_state: ContextVar[RequestState] = ContextVar(
    "python_logging_request_state", default=(None, {}, None)
)
_max_length = DEFAULT_MAX_LENGTH


def configure_request_ids(max_length: int) -> None:
    global _max_length
    _max_length = max_length


def new_request_id() -> str:
    """A random (version 4) UUID in its canonical text form.

    Same value space and randomness as `str(uuid.uuid4())` (122 bits from `os.urandom`),
    built without the `UUID` object, and with one `os.urandom` system call per
    `_BATCH` IDs: this runs once per request. `list.pop` is atomic, so threads never
    share random bits; a forked child drops the bits it inherited, so parent and child
    never share them either.
    """
    try:
        h = _random_hex.pop()
    except IndexError:
        batch = os.urandom(16 * _BATCH).hex()
        _random_hex.extend([batch[i:i + 32] for i in range(0, 32 * _BATCH, 32)])
        h = _random_hex.pop()
    # Version nibble 4; the variant nibble keeps its two low random bits (RFC 4122: 10xx).
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_BATCH = 64
_random_hex: list[str] = []  # 32 random hex digits each, used once
_VARIANT = {nibble: "89ab"[int(nibble, 16) & 3] for nibble in "0123456789abcdef"}
os.register_at_fork(after_in_child=_random_hex.clear)


def valid_request_id(candidate: object) -> str | None:
    """The ID itself if it is acceptable, else None. Never returns a modified value."""
    if (
        isinstance(candidate, str)
        and 0 < len(candidate) <= _max_length
        and _VALID_ID.fullmatch(candidate)
    ):
        return candidate
    return None


class request_context(ContextDecorator, AbstractContextManager):  # used like a function
    """Run a block as one request: every line logged inside carries `http.request.id`.

    `with request_context(request_id) as effective:` yields the effective ID:
    `request_id` when valid, otherwise a new one. Contexts nest; each starts with no
    bound fields and restores the outer one on exit. A class rather than a generator
    context manager: it runs for every request, and this costs a third as much.
    """

    __slots__ = ("_candidate", "_token", "_trusted")

    def __init__(
        self, request_id: str | None = None, *, trusted: TrustedFields | None = None
    ) -> None:
        """`trusted`: fields python_logging built itself (a middleware's), bound for the
        whole context. While nothing else is bound, the pipeline maps them the fast way
        (only the voucher's texts are scanned, see `events.TrustedFields`); once anything
        else is added the whole context gets the full treatment again."""
        self._candidate = request_id
        self._trusted = trusted
        self._token: Token[RequestState] | None = None

    def __enter__(self) -> str:
        effective, self._token = enter_request(self._candidate, self._trusted)
        return effective

    def _recreate_cm(self) -> request_context:
        # As a decorator, every call (even a recursive one) runs in a context of its own.
        return request_context(self._candidate, trusted=self._trusted)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            leave_request(self._token)
            self._token = None


def enter_request(
    candidate: str | None, trusted: TrustedFields | None = None
) -> tuple[str, Token[RequestState]]:
    """`request_context(candidate, trusted=...).__enter__()` as one call, for middlewares:
    (the effective ID, the token `leave_request` takes)."""
    effective = (candidate is not None and valid_request_id(candidate)) or new_request_id()
    if trusted is None:
        return effective, _state.set((effective, {}, None))
    # Shared, not copied: bound fields are never changed in place (`add_context_fields`
    # binds a merged copy), and the voucher's are built for this one request.
    return effective, _state.set((effective, trusted.fields, trusted))


def leave_request(token: Token[RequestState]) -> None:
    _state.reset(token)


def holds_only(trusted: TrustedFields) -> bool:
    """True while the current context is the one `enter_request(..., trusted)` entered,
    and nothing else was bound since."""
    return _state.get()[2] is trusted


def current_request_id() -> str | None:
    return _state.get()[0]


def add_context_fields(fields: Mapping[str, Any]) -> None:
    """Merge nested ECS fields into the current context (until it exits)."""
    request_id, bound, _voucher = _state.get()
    _state.set((request_id, deep_merge(bound, fields), None))  # no longer all vouched for


def context_fields() -> Mapping[str, Any]:
    return _state.get()[1]


def vouched_context() -> tuple[Mapping[str, Any], TrustedFields] | None:
    """(bound mapping, voucher) while the bound fields are only those of
    `request_context(trusted=...)`, else None."""
    _request_id, bound, voucher = _state.get()
    return None if voucher is None else (bound, voucher)


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
