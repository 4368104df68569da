"""Error grouping: a stable key (`error.grouping_key`) and a readable name per problem.

The key hashes a summary of the exception, never its raw text (see NOTES "Error grouping"):
- the type of every exception along the chain (`__cause__`/`__context__`) and inside
  exception groups;
- per exception, the module and function of each in-app frame, or, when there are no
  in-app frames, of the last few library frames; never line numbers;
- the message only when the exception has no traceback at all, and then normalised so
  that IDs, numbers, UUIDs, addresses, paths, dates and quoted values do not split groups.

Keys are versioned (`v1:`); a change in how they are computed needs a new version, never
an edit in place. These functions never raise: they run inside the log formatter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from python_logging.events import exception_message
from python_logging.failures import failures
from python_logging.frames import Frame, FrameKind, app_roots, classify, walk

VERSION = "v1"
DEFAULT_PLACEHOLDER = "{{default}}"
LIBRARY_FRAMES = 5  # how many library frames stand in when there are no in-app frames
MAX_EXCEPTIONS = 50  # chains and groups beyond this add nothing but cost
try:
    _GROUP_TYPES: tuple[type, ...] = (BaseExceptionGroup,)
except NameError:  # Python 3.10 has no exception groups
    _GROUP_TYPES = ()

# Order matters: whole quoted values and URLs first, bare numbers last.
_NORMALISERS = [
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+"), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b"), "<uuid>"),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?)?|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"
        ),
        "<date>",
    ),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])"), "<ip>"),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    # Hashes, tokens and hex IDs: long hex runs holding at least one digit.
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"(?:\b[A-Za-z]:)?(?:[/\\][\w.~-]+){2,}[/\\]?"), "<path>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<num>"),
]


def normalise_message(message: str) -> str:
    for pattern, placeholder in _NORMALISERS:
        message = pattern.sub(placeholder, message)
    return message.strip()


def grouping_key(
    exc: BaseException,
    fingerprint: Sequence[str] | None = None,
    *,
    app_root: Path | None = None,
) -> str:
    """`v1:<hash>` grouping `exc` with the other occurrences of the same problem.

    `fingerprint` overrides the key; a `"{{ default }}"` element in it stands for the
    default key's parts, so the list extends the default instead of replacing it.
    """
    try:
        parts = _default_parts(exc, app_root)
        if fingerprint:
            parts = _custom_parts(fingerprint, parts)
        return _hash(parts)
    except Exception as problem:  # never break the log line over its key
        failures.record("error fingerprint", problem)
        return _hash(["type:" + _type_name(type(exc)), "fallback"])


def group_name(exc: BaseException, *, app_root: Path | None = None) -> str:
    """A readable name for the group, e.g. `ValueError in shop.orders.find_order`."""
    try:
        name = type(exc).__name__
        located = _naming_frame(list(walk(exc.__traceback__)), app_roots(app_root))
        if located is None:
            return name
        kind, frame = located
        return f"{name} in {kind.module}.{frame.function}"
    except Exception as problem:
        failures.record("error group name", problem)
        return type(exc).__name__


def origin(exc: BaseException) -> tuple[str, int, str] | None:
    """(file name, line, function) of the frame that raised `exc`; None if never raised."""
    try:
        last = None
        for last in walk(exc.__traceback__):  # noqa: B007 - we want the innermost one
            pass
        if last is None:
            return None
        return (last.filename.replace("\\", "/").rsplit("/", 1)[-1], last.line, last.function)
    except Exception as problem:
        failures.record("error origin", problem)
        return None


def _naming_frame(
    frames: list[Frame], roots: tuple[str, ...]
) -> tuple[FrameKind, Frame] | None:
    """The innermost in-app frame, else the innermost frame."""
    classified = [(classify(frame.filename, roots), frame) for frame in frames]
    for kind, frame in reversed(classified):
        if kind.in_app:
            return kind, frame
    return classified[-1] if classified else None


def _default_parts(exc: BaseException, app_root: Path | None) -> list[str]:
    roots = app_roots(app_root)
    parts: list[str] = []
    for one in _chain(exc):
        parts.append("type:" + _type_name(type(one)))
        frames = list(walk(one.__traceback__))
        if frames:
            parts.extend(_frame_parts(frames, roots))
        else:
            parts.append("message:" + normalise_message(exception_message(one)))
    return parts


def _chain(exc: BaseException) -> Iterable[BaseException]:
    """`exc`, the members of exception groups, then causes/contexts, each once."""
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < MAX_EXCEPTIONS:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
        following = []
        if isinstance(current, _GROUP_TYPES):
            following.extend(current.exceptions)
        if linked is not None:
            following.append(linked)
        # A stack: reversed so that members come out in their order, then the cause.
        pending.extend(reversed(following))


def _frame_parts(frames: list[Frame], roots: tuple[str, ...]) -> list[str]:
    classified = [(classify(frame.filename, roots), frame) for frame in frames]
    chosen = [(kind, frame) for kind, frame in classified if kind.in_app]
    if not chosen:
        chosen = classified[-LIBRARY_FRAMES:]
    parts: list[str] = []
    for kind, frame in chosen:
        part = f"frame:{kind.module}:{frame.function}"
        # Recursion depth must not split a group: collapse repeats of the same frame.
        if not parts or parts[-1] != part:
            parts.append(part)
    return parts


def _custom_parts(fingerprint: Sequence[str], default: list[str]) -> list[str]:
    parts: list[str] = []
    for element in fingerprint:
        text = str(element)
        if text.replace(" ", "") == DEFAULT_PLACEHOLDER:
            parts.extend(default)
        else:
            parts.append("custom:" + text)
    return parts


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _hash(parts: list[str]) -> str:
    digest = hashlib.blake2b("\n".join(parts).encode("utf-8", "replace"), digest_size=16)
    return f"{VERSION}:{digest.hexdigest()}"
