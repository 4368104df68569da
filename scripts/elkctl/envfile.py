"""The syntax of `.env` files, as Docker Compose reads them: the one parser every reader uses.

Standard library only, importing nothing else from elkctl: `scripts/init_env.py` loads
this module on a bare host, before the project's virtualenv exists (`make up`).

Rules (https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/):
blank lines and lines starting with `#` are skipped; `export KEY=value` is `KEY=value`;
a value in matching single or double quotes is taken inside the quotes, and a `#` after the
closing quote starts a comment; in an unquoted value, `#` starts a comment only after
whitespace (`KEY=a#b` keeps `a#b`). Interpolation and escape sequences are not applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

EXPORT_PREFIX = re.compile(r"export\s+")
INLINE_COMMENT = re.compile(r"\s+#.*$")
QUOTES = "'\""

Assignment = tuple[str, str]


class EnvSyntaxError(ValueError):
    """A line that is not `KEY=value`, with its 1-based number."""

    def __init__(self, number: int, problem: str) -> None:
        super().__init__(f"line {number}: {problem}")
        self.number = number


def parse_line(line: str) -> Assignment | None:
    """(key, value) of one line, or None for a blank or comment line.

    Raises ValueError naming the problem when the line is malformed.
    """
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    prefix = EXPORT_PREFIX.match(stripped)
    if prefix:
        stripped = stripped[prefix.end():]
    key, sep, raw_value = stripped.partition("=")
    key = key.strip()
    if not sep or not key or any(char.isspace() for char in key):
        raise ValueError(f"expected KEY=VALUE, got {line.strip()!r}")
    return key, _value(key, raw_value.strip())


def _value(key: str, raw: str) -> str:
    if not raw or raw[0] not in QUOTES:
        return INLINE_COMMENT.sub("", raw)
    end = raw.find(raw[0], 1)
    if end < 0:
        raise ValueError(f"{key}: the value's opening {raw[0]} is never closed")
    rest = raw[end + 1:].strip()
    if rest and not rest.startswith("#"):
        raise ValueError(f"{key}: unexpected {rest!r} after the closing {raw[0]}")
    return raw[1:end]


def parse_lines(text: str) -> Iterator[tuple[str, Assignment | None]]:
    """Each line of `text` (ending kept) with its assignment, or None for blank/comment lines.

    Raises EnvSyntaxError at the first malformed line.
    """
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        try:
            yield line, parse_line(line)
        except ValueError as exc:
            raise EnvSyntaxError(number, str(exc)) from None


def parse_env(text: str) -> dict[str, str]:
    """KEY -> value for every assignment in `text`; a later line wins over an earlier one."""
    return dict(assignment for _, assignment in parse_lines(text) if assignment)
