"""Rich tables for elkctl's human output: a title, named columns, one row per item."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table


def build_table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[RenderableType]],
    *,
    right: Collection[str] = (),
    no_wrap: bool = False,
    **options: Any,
) -> Table:
    """A table with `columns` (those in `right` right-aligned: counts) and `rows`.

    `options` go to rich's Table (caption, title_justify, expand, ...).
    """
    table = Table(title=title, **options)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left", no_wrap=no_wrap)
    for row in rows:
        table.add_row(*row)
    return table


def console(err: bool = False) -> Console:
    # Piped output (cron mail, logs) gets full-length lines: a path must never be cut.
    stream = sys.stderr if err else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 10_000, highlight=False)


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], err: bool = False
) -> None:
    console(err).print(build_table(title, columns, rows, no_wrap=True, title_justify="left"))
