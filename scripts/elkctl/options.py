"""Click helpers shared by sub-commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")


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
