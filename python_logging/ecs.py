"""Map a `LogEvent` to an ECS document, keeping user fields without breaking the mapping.

User fields whose shape fits ECS (a mapping where ECS has an object, a scalar of the
right kind where ECS has a leaf) are merged in; unknown names are kept as they are.
A value that would clash (`extra={"error": "text"}`, `{"http": "x"}` next to
`http.request.id`, a string for a numeric ECS field, a reserved top-level key) is moved
under `labels.<dotted_key_with_underscores>` as a keyword-safe value, so the line is
never dropped and Elasticsearch never rejects it. So is a different value for a field the
line owns (`OWNED`: the service, the request ID, the process, the logger): a user's
`extra={"http": {"request": {"id": ...}}}` or `{"service": {"name": ...}}` must not
re-label the line, move it to another data stream or break request correlation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from python_logging._ecs_fields import ECS_VERSION, FIELD_KINDS
from python_logging.events import LineHead, LogEvent, TrustedFields

# Top-level keys the renderer owns; a user value for them is moved to labels.
RESERVED = frozenset({"@timestamp", "log.level", "message", "ecs.version"})
# Leaves every line sets itself (identity, request context, origin process and logger):
# a different value from the user's fields or the bound context is moved to labels.
OWNED = frozenset({
    "service.name", "service.version", "service.environment", "http.request.id",
    "process.pid", "process.thread.name", "log.logger",
})
OBJECT_PATHS = frozenset(
    name.rsplit(".", i)[0] for name in FIELD_KINDS for i in range(1, name.count(".") + 1)
)
# One look-up per path: the field kinds, plus "O" for paths ECS uses as objects.
_KINDS: dict[str, str] = {**FIELD_KINDS, **dict.fromkeys(OBJECT_PATHS, "O")}
_OBJECT_KINDS = frozenset({"O", "o"})
# Objects each line builds itself; context values for them are merged line by line.
_PER_LINE_OBJECTS = frozenset({"log", "process"})
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


class ContextFragment(NamedTuple):
    """The part of every document that comes from the request context, mapped once."""

    shared: dict[str, Any]  # top-level objects, shared by the lines (copied before changes)
    per_line: dict[str, Any]  # context fields that meet per-line objects (`log`, `process`)
    labels: dict[str, Any]  # context values moved aside


def context_fragment(
    identity: ServiceIdentity,
    context_fields: Mapping[str, Any],
    request_id: str | None,
    trusted: bool = False,
) -> ContextFragment:
    """`trusted`: the fields come from `request_context(trusted=...)` (see `merge_trusted`)."""
    shared: dict[str, Any] = {"service": identity.service, "event": identity.event}
    if request_id is not None:
        shared["http"] = {"request": {"id": request_id}}
    per_line: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    if context_fields:
        rest = {}
        for key, value in context_fields.items():
            (per_line if key in _PER_LINE_OBJECTS else rest)[key] = value
        (merge_trusted if trusted else merge_fields)(shared, rest, labels)
    return ContextFragment(shared, per_line, labels)


def to_ecs(event: LogEvent, identity: ServiceIdentity, fragment: ContextFragment) -> None:
    """Build `event.doc` (see `build_doc`)."""
    event.doc = build_doc(
        identity, fragment, event.head, event.message, event.trusted, event.fields, event.error
    )


def build_doc(
    identity: ServiceIdentity,
    fragment: ContextFragment,
    head: LineHead,
    message: str,
    trusted: TrustedFields | None,
    fields: Mapping[Any, Any],
    error: tuple[str, str, str] | None,
) -> dict[str, Any]:
    """The ECS document of one line: fixed fields first (in the ECS logging spec's
    order), then the request context, python_logging's own fields, the user's fields
    and the error. Takes the line's parts, so stdlib records need no `LogEvent`."""
    doc = line_document(identity, head, message)
    doc.update(fragment.shared)
    labels = dict(fragment.labels) if fragment.labels else {}
    if fragment.per_line:
        merge_fields(doc, fragment.per_line, labels)
    if trusted is not None:
        merge_trusted(doc, trusted.fields, labels)
    if fields:
        for key, value in fields.items():
            # Fast path for the common case: a plain name ECS doesn't know, not yet used.
            if key.__class__ is str and key not in _ECS_ROOTS and key not in doc and "." not in key:
                doc[key] = value
            else:
                merge_fields(doc, {key: value}, labels)
    if error is not None:
        error_type, error_message, stack_trace = error
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
    return doc


def line_document(identity: ServiceIdentity, head: LineHead, message: str) -> dict[str, Any]:
    """The fields every line starts with, in the ECS logging spec's order. The `log`,
    `service`, `event` and `process` objects are shared: copy one before changing it."""
    timestamp, level, logger, origin, pid, thread = head
    return {
        "@timestamp": format_timestamp(timestamp),
        "log.level": level,
        "message": message,
        "ecs.version": ECS_VERSION,
        "log": _log_objects.get((logger, origin)) or _log_object(logger, origin),
        "service": identity.service,
        "event": identity.event,
        "process": _process_objects.get((pid, thread)) or _process_object(pid, thread),
    }


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


_process_objects: dict[tuple[int | None, str | None], dict[str, Any]] = {}


def _process_object(pid: int | None, thread: str | None) -> dict[str, Any]:
    """`process.pid` and `process.thread.name`, shared per thread like `_log_object`."""
    if len(_process_objects) >= 4096:  # bounded: thread names can be dynamic
        _process_objects.clear()
    cached = _process_objects[(pid, thread)] = {"pid": pid, "thread": {"name": thread}}
    return cached


def merge_fields(
    doc: dict[str, Any], fields: Mapping[Any, Any], labels: dict[str, Any], path: str = ""
) -> None:
    """Merge nested `fields` into `doc` in place; values that don't fit go to `labels`.

    Never modifies `fields`: a mapping that already fits is shared as it is, and a dict
    already in `doc` is copied before anything is merged into it.
    """
    for raw_key, value in fields.items():
        key = raw_key if raw_key.__class__ is str else str(raw_key)
        full = f"{path}.{key}" if path else key
        if full in RESERVED:
            labels[_label_key(full)] = _label_value(value)
            continue
        if "." in key:
            head, _, rest = key.partition(".")
            if head and rest:
                merge_fields(doc, {head: {rest: value}}, labels, path)
                continue
        kind = _KINDS.get(full)
        existing = doc.get(key)
        if value.__class__ is dict or isinstance(value, Mapping):
            if kind is not None and kind not in _OBJECT_KINDS:
                labels[_label_key(full)] = _label_value(value)  # an object for a leaf
            elif existing is None:
                if kind is None or _subtree_fits(full, value):
                    doc[key] = value
                else:
                    merge_fields(doc.setdefault(key, {}), value, labels, full)
            elif existing.__class__ is dict:
                target = doc[key] = dict(existing)
                merge_fields(target, value, labels, full)
            else:
                labels[_label_key(full)] = _label_value(value)
        elif (
            existing.__class__ is not dict
            and _scalar_fits(kind, value)
            and (existing is None or full not in OWNED or existing == value)
        ):
            doc[key] = value
        else:
            labels[_label_key(full)] = _label_value(value)


def merge_trusted(
    doc: dict[str, Any], fields: dict[str, Any], labels: dict[str, Any], path: str = ""
) -> None:
    """`merge_fields` for fields python_logging built itself (`events.TrustedFields`).

    Their builder guarantees plain dicts, keys without dots and values that fit their
    ECS field, so the per-value fit checks are skipped; a clash with what `doc` already
    holds (a scalar where a dict goes, or the reverse) still takes `merge_fields`.
    """
    for key, value in fields.items():
        existing = doc.get(key)
        if existing is None:
            doc[key] = value
        elif value.__class__ is dict:
            if existing.__class__ is not dict:
                merge_fields(doc, {key: value}, labels, path)  # a clash: labels decide
            elif existing.keys().isdisjoint(value):  # the usual case: one merge in C
                doc[key] = {**existing, **value}
            else:
                target = doc[key] = existing.copy()
                merge_trusted(target, value, labels, path + "." + key if path else key)
        elif existing.__class__ is not dict:
            doc[key] = value
        else:
            merge_fields(doc, {key: value}, labels, path)


def _subtree_fits(path: str, fields: Mapping[Any, Any]) -> bool:
    """True when every value under an ECS object path fits as it is (read-only check)."""
    for key, value in fields.items():
        if key.__class__ is not str or "." in key:
            return False  # needs the key expanded or converted: take the merging path
        full = f"{path}.{key}"
        kind = _KINDS.get(full)
        if full in RESERVED:
            return False
        if value.__class__ is dict or isinstance(value, Mapping):
            if kind is not None and (kind not in _OBJECT_KINDS or not _subtree_fits(full, value)):
                return False
        elif not _scalar_fits(kind, value):
            return False
    return True


def _scalar_fits(kind: str | None, value: Any) -> bool:
    if kind is None or kind == "s":
        return True
    if kind == "n":
        return value.__class__ in (int, float) or (
            isinstance(value, (int, float)) and not isinstance(value, bool)
        )
    if kind == "b":
        return isinstance(value, bool)
    if kind == "o":  # object, nested and flattened fields: a list of objects, never a scalar
        return isinstance(value, (list, tuple))
    return False  # "O": an ECS object path needs a mapping


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
    return prefix + (_MILLIS[millis] if 0 <= millis < 1000 else f".{millis:03d}Z")


_MILLIS = tuple(f".{millis:03d}Z" for millis in range(1000))  # cheaper than formatting
