"""A rendered line with holes: for lines of a fixed shape, only the values that vary are
encoded per line.

A line python_logging builds itself (the access line) has the same keys in the same
order every time, and most of its values (the service, the logger, the origin, the
constant ECS categories) never change. Its template is the pipeline's own rendering of
one real document of that shape, with each varying leaf replaced by a hole. A line is
the template filled with its values, all encoded by one `orjson.dumps` of their list:
orjson writes a document as its keys and values concatenated, so the filled template is
byte for byte the document's rendering (`tests/test_line_templates.py`,
`tests/test_access_routes.py`), without building the document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy
from typing import Any

import orjson

from python_logging.render import MAX_LINE_BYTES

Path = tuple[str, ...]
_MAX_TEMPLATES = 256
# Between two strings in orjson's rendering of a list of strings. Never inside one: a
# quote inside a JSON string is always escaped (preceded by a backslash).
_BETWEEN = b'","'
INT_RANGE = range(-(2**63), 2**64)  # what orjson writes as a number (see `render`)


class TemplateError(ValueError):
    """The document cannot be turned into a template."""


def make_template(
    document: dict[str, Any],
    holes: Sequence[Path | None],
    render: Callable[[dict[str, Any]], bytes],
) -> bytes:
    """`render(document)` with a `%s` for the leaf at each of `holes`: inside the quotes
    of a string, in place of an integer. The holes are listed in the order the rendering
    writes them (the order a `%` fill takes). A None hole is a value this shape does not
    write: it is consumed by an empty `%.0s`, so every shape of a line is filled with
    the same list of values. `document` is not changed (its objects may be shared)."""
    copy = deepcopy(document)  # once per shape
    skipped_first = b""  # `%.0s` for None holes before the first leaf
    replacements: list[list[bytes]] = []  # [marker, what replaces it]
    for number, path in enumerate(holes):
        if path is None:
            if replacements:
                replacements[-1][1] += b"%.0s"
            else:
                skipped_first += b"%.0s"
            continue
        parent = copy
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        leaf = parent.get(path[-1]) if isinstance(parent, dict) else None
        if not (isinstance(leaf, str) or (leaf.__class__ is int and leaf in INT_RANGE)):
            raise TemplateError(f"no string or integer at {'.'.join(path)}")
        marker = f"\x00hole {number}\x00"
        parent[path[-1]] = marker  # type: ignore[index]
        replacements.append([orjson.dumps(marker), b'"%s"' if isinstance(leaf, str) else b"%s"])
    template = render(copy).replace(b"%", b"%%")
    positions = [template.find(marker) for marker, _hole in replacements]
    if -1 in positions or positions != sorted(positions) or any(
        template.count(marker) != 1 for marker, _hole in replacements
    ):
        raise TemplateError("the holes are not rendered once each, in the order given")
    for marker, hole in replacements:
        template = template.replace(marker, hole)
    return skipped_first + template


class LineTemplates:
    """Templates by shape (which optional values a line has), kept by the caller on a
    shape's first line (`add`)."""

    MISSING = b""  # `line`'s answer for a shape without a template yet

    def __init__(self) -> None:
        self._templates: dict[Any, bytes] = {}

    def line(self, shape: Any, texts: list[str]) -> bytes | None:
        """The template of `shape` with its holes filled by `texts`, in order (an integer
        leaf as its decimal text); `MISSING` when the shape has no template yet; None when
        only the full renderer can write the line: a text orjson refuses (a lone
        surrogate) or a line over the size limit."""
        template = self._templates.get(shape)
        if template is None:
            return self.MISSING
        try:
            encoded = orjson.dumps(texts)
        except orjson.JSONEncodeError:
            return None
        line = template % tuple(encoded[2:-2].split(_BETWEEN))
        return line if len(line) <= MAX_LINE_BYTES else None

    def add(self, shape: Any, texts: list[str], template: bytes) -> bytes | None:
        """Keep `template` for `shape`; the line of `texts` (as `line`)."""
        if len(self._templates) >= _MAX_TEMPLATES:
            self._templates.clear()
        self._templates[shape] = template
        return self.line(shape, texts)
