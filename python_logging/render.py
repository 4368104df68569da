"""Render an ECS document as exactly one JSON line, whatever it holds.

The fast path is a single `orjson.dumps`. Anything it refuses (cycles, objects it
doesn't know, lone surrogates, huge integers, non-string keys) or a line over the
size limit takes the slow path: a sanitising copy with every odd value made safe and
every oversized string truncated with a marker. No input value loses the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

MAX_LINE_BYTES = 256 * 1024
MAX_FIELD_CHARS = 16 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1000
_OPTIONS = orjson.OPT_APPEND_NEWLINE


class Renderer:
    def __init__(self, scrub_text: Callable[[str], str] | None = None) -> None:
        # Text made from unknown objects (their repr) can hold secrets too.
        self._scrub = scrub_text or (lambda text: text)
        self._default_hook = self._default  # bound once, not once per line

    def __call__(self, doc: dict[str, Any]) -> bytes:
        try:
            line = orjson.dumps(doc, default=self._default_hook, option=_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            line = None
        if line is None or len(line) > MAX_LINE_BYTES:
            line = orjson.dumps(self._sanitise(doc, 0, set(), MAX_FIELD_CHARS), option=_OPTIONS)
            if len(line) > MAX_LINE_BYTES:
                line = orjson.dumps(self._sanitise(doc, 0, set(), 1024), option=_OPTIONS)
        return line

    def _default(self, value: Any) -> str:
        return self._scrub(_safe_repr(value))

    def _sanitise(self, value: Any, depth: int, seen: set[int], limit: int) -> Any:
        if isinstance(value, str):
            return _clean_text(value, limit)
        if value is None or isinstance(value, (bool, float)):
            return value
        if isinstance(value, int):
            return value if -(2**63) <= value < 2**64 else str(value)
        if depth >= MAX_DEPTH:
            return "<too deep>"
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            if id(value) in seen:
                return "<cycle>"
            seen.add(id(value))
            try:
                if isinstance(value, Mapping):
                    items = list(value.items())
                    result: Any = {
                        _clean_text(_safe_key(k), 256): self._sanitise(v, depth + 1, seen, limit)
                        for k, v in items[:MAX_ITEMS]
                    }
                    if len(items) > MAX_ITEMS:
                        result["…"] = f"[truncated {len(items) - MAX_ITEMS} items]"
                else:
                    items = list(value)
                    result = [self._sanitise(v, depth + 1, seen, limit) for v in items[:MAX_ITEMS]]
                    if len(items) > MAX_ITEMS:
                        result.append(f"…[truncated {len(items) - MAX_ITEMS} items]")
            finally:
                seen.discard(id(value))
            return result
        return _clean_text(self._scrub(_safe_repr(value)), limit)


def _clean_text(text: str, limit: int) -> str:
    if len(text) > limit:
        text = f"{text[:limit]}…[truncated {len(text) - limit} chars]"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them visible, escaped
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _safe_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    try:
        return str(key)
    except Exception:  # a key whose str() fails still gets a name, and the line survives
        return _safe_repr(key)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:
        return f"<{type(value).__name__} repr failed: {exc!r}>"
