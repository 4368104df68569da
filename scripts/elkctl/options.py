"""Click helpers shared by sub-commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import click

from python_logging.units import parse_duration, parse_size

T = TypeVar("T")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]  # what click.option(...) returns


def parsed_by(
    parser: Callable[[Any], T],
) -> Callable[[click.Context, click.Parameter, Any], T | None]:
    """A click callback running `parser` (e.g. parse_size); its ValueError becomes a usage error."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> T | None:
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return callback


def seconds_option(name: str, help_text: str) -> Decorator:
    """A duration option (15m, 30d) parsed into seconds; None when not given."""
    return click.option(
        name, metavar="DURATION", callback=parsed_by(parse_duration), help=help_text
    )


def size_option(name: str, help_text: str, default: str | None = None) -> Decorator:
    """A size option (5GB, 6GiB) parsed into bytes; a default is shown in --help as typed."""
    return click.option(
        name,
        metavar="SIZE",
        default=default,
        show_default=default is not None,
        callback=parsed_by(parse_size),
        help=help_text,
    )


@dataclass(frozen=True)
class Duration:
    """A duration option as typed (titles say `last 24h`, not `last 86400s`) and in seconds."""

    text: str
    seconds: float

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def positive_duration(text: str) -> Duration:
    """For `parsed_by`: a duration such as 24h or 7d that is longer than zero."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than 0s")
    return Duration(text, seconds)


as_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON summary line (for cron and scripts)."
)
