"""Map a `LogEvent` to an ECS document, keeping user fields without breaking the mapping.

User fields whose shape fits ECS (a mapping where ECS has an object, a scalar of the
right kind where ECS has a leaf) are merged in; unknown names are kept as they are.
A value that would clash (`extra={"error": "text"}`, `{"http": "x"}` next to
`http.request.id`, a string for a numeric ECS field, a reserved top-level key) is moved
under `labels.<dotted_key_with_underscores>` as a keyword-safe value, so the line is
never dropped and Elasticsearch never rejects it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from python_logging._ecs_fields import ECS_VERSION, FIELD_KINDS
from python_logging.events import LogEvent

# Top-level keys the renderer owns; a user value for them is moved to labels.
RESERVED = frozenset({"@timestamp", "log.level", "message", "ecs.version"})
OBJECT_PATHS = frozenset(
    name.rsplit(".", i)[0] for name in FIELD_KINDS for i in range(1, name.count(".") + 1)
)
_SCALARS = (str, int, float, bool, type(None))
# First segments of every ECS field plus the reserved keys: names that need checking.
_ECS_ROOTS = frozenset(name.split(".", 1)[0] for name in FIELD_KINDS) | RESERVED


class ServiceIdentity:
    """The fields every line of this process carries; fixed at `setup_logging`."""

    def __init__(self, name: str, version: str | None, environment: str) -> None:
        self.name = name
        self.version = version
        self.environment = environment
        # Shared by every document: merge_fields copies a dict before changing it.
        service: dict[str, Any] = {"name": name}
        if version is not None:
            service["version"] = version
        service["environment"] = environment
        self.service = service
        self.event = {"dataset": name}


def to_ecs(
    event: LogEvent,
    identity: ServiceIdentity,
    context_fields: Mapping[str, Any],
    request_id: str | None,
) -> None:
    """Build `event.doc`: fixed fields first (in the ECS logging spec's order), then the
    request ID, context fields, the user's fields, and the error."""
    log = _log_object(event.logger, event.origin)
    doc: dict[str, Any] = {
        "@timestamp": format_timestamp(event.timestamp),
        "log.level": event.level,
        "message": event.message,
        "ecs.version": ECS_VERSION,
        "log": log,
        "service": identity.service,
        "event": identity.event,
        "process": {"pid": event.pid, "thread": {"name": event.thread}},
    }
    if request_id is not None:
        doc["http"] = {"request": {"id": request_id}}
    labels: dict[str, Any] = {}
    if context_fields:
        merge_fields(doc, context_fields, labels)
    if event.fields:
        for key, value in event.fields.items():
            # Fast path for the common case: a plain name ECS doesn't know, not yet used.
            if key.__class__ is str and key not in _ECS_ROOTS and key not in doc and "." not in key:
                doc[key] = value
            else:
                merge_fields(doc, {key: value}, labels)
    if event.error is not None:
        error_type, error_message, stack_trace = event.error
        merge_fields(
            doc,
            {"error": {"type": error_type, "message": error_message, "stack_trace": stack_trace}},
            labels,
        )
    if labels:
        existing = doc.get("labels")
        if isinstance(existing, dict):
            for key, value in labels.items():
                existing.setdefault(key, value)
        else:  # the user's own `labels` was a list: keep it, as text, next to the moved values
            if existing is not None:
                labels.setdefault("labels", _label_value(existing))
            doc["labels"] = labels
    event.doc = doc


_log_objects: dict[tuple[str, tuple[str, int, str] | None], dict[str, Any]] = {}


def _log_object(logger: str, origin: tuple[str, int, str] | None) -> dict[str, Any]:
    """`log.logger` and `log.origin`, shared per call site (merge_fields copies before writing)."""
    key = (logger, origin)
    cached = _log_objects.get(key)
    if cached is None:
        if len(_log_objects) >= 4096:  # bounded: call sites are few, but loggers can be dynamic
            _log_objects.clear()
        cached = {"logger": logger}
        if origin is not None:
            file_name, line, function = origin
            cached["origin"] = {"file": {"name": file_name, "line": line}, "function": function}
        _log_objects[key] = cached
    return cached


def merge_fields(
    doc: dict[str, Any], fields: Mapping[Any, Any], labels: dict[str, Any], path: str = ""
) -> None:
    """Merge nested `fields` into `doc` in place; values that don't fit go to `labels`."""
    for raw_key, value in fields.items():
        key = raw_key if isinstance(raw_key, str) else str(raw_key)
        full = f"{path}.{key}" if path else key
        if "." in key and full not in RESERVED:
            head, _, rest = key.partition(".")
            if head and rest:
                merge_fields(doc, {head: {rest: value}}, labels, path)
                continue
        if full in RESERVED:
            labels[_label_key(full)] = _label_value(value)
            continue
        existing = doc.get(key)
        if isinstance(value, Mapping):
            kind = FIELD_KINDS.get(full)
            if (kind is not None and kind != "o") or (
                existing is not None and not isinstance(existing, dict)
            ):
                labels[_label_key(full)] = _label_value(value)
            elif existing is None and full not in OBJECT_PATHS:
                # Not ECS: nothing to check inside, keep the user's structure as it is.
                doc[key] = value
            else:
                # Copy before merging so the caller's objects are never modified.
                target = doc[key] = dict(existing) if existing else {}
                merge_fields(target, value, labels, full)
        elif _fits(full, value) and not isinstance(existing, dict):
            doc[key] = value
        else:
            labels[_label_key(full)] = _label_value(value)


def _fits(full: str, value: Any) -> bool:
    if full in OBJECT_PATHS:
        return False
    kind = FIELD_KINDS.get(full)
    if kind is None or kind == "s":
        return True
    if kind == "o":  # objects, nested and flattened: a list of objects, never a bare scalar
        return isinstance(value, (list, tuple))
    if kind == "n":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, bool)  # kind "b"


def _label_key(full: str) -> str:
    # ECS labels must not contain dots (spec: sanitise '.', '*', '\\' to '_').
    return full.replace(".", "_").replace("*", "_").replace("\\", "_")


def _label_value(value: Any) -> Any:
    """Labels are keywords: keep scalars, render anything else as compact JSON text."""
    if isinstance(value, _SCALARS):
        return value
    try:
        return orjson.dumps(value, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)


_second_cache: tuple[int, str] = (-1, "")


def format_timestamp(created: float) -> str:
    """UTC ISO 8601 with milliseconds; the seconds part is cached (lines come in bursts)."""
    global _second_cache
    seconds = int(created)
    cached_second, prefix = _second_cache
    if seconds != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second_cache = (seconds, prefix)
    millis = int((created - seconds) * 1000)
    return f"{prefix}.{millis:03d}Z"
