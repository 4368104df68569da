"""Desired-versus-stored comparison and the plan table: pure, no network."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from elkctl.tables import build_table

CREATE, UPDATE, UNCHANGED, SET_PASSWORD = "create", "update", "unchanged", "set password"
IMPORT = "import (overwrite)"
ACTION_STYLES = {
    CREATE: "green",
    UPDATE: "yellow",
    SET_PASSWORD: "yellow",
    IMPORT: "cyan",
    UNCHANGED: "dim",
}


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: str
    detail: str = ""
    body: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mutates(self) -> bool:
        return self.action != UNCHANGED


def _scalar_equal(stored: Any, desired: Any) -> bool:
    # Elasticsearch returns index settings as strings: 1 -> "1", True -> "true".
    if stored == desired:
        return True
    if isinstance(stored, str) and not isinstance(desired, str):
        return stored == json.dumps(desired)
    return False


def differences(stored: Any, desired: Any, path: str = "") -> list[str]:
    """Dotted paths where `stored` lacks or contradicts `desired`.

    Keys only the server adds (defaults such as `data_stream.hidden`, `in_use_by`, version
    stamps) are ignored, so a stored object that holds everything we declare is unchanged.
    Lists compare element by element (order matters: `composed_of` is ordered).
    """
    if isinstance(desired, dict):
        if not isinstance(stored, dict):
            return [path or "."]
        found: list[str] = []
        for key, value in desired.items():
            child = f"{path}.{key}" if path else key
            found += differences(stored[key], value, child) if key in stored else [child]
        return found
    if isinstance(desired, list):
        if not isinstance(stored, list) or len(stored) != len(desired):
            return [path or "."]
        found = []
        for index, (old, new) in enumerate(zip(stored, desired, strict=True)):
            found += differences(old, new, f"{path}[{index}]")
        return found
    return [] if _scalar_equal(stored, desired) else [path or "."]


def decide(kind: str, name: str, desired: dict[str, Any], stored: dict[str, Any] | None) -> Change:
    if stored is None:
        return Change(kind, name, CREATE, "missing", desired)
    changed = differences(stored, desired)
    if not changed:
        return Change(kind, name, UNCHANGED, "", desired)
    shown = ", ".join(changed[:3]) + (f" (+{len(changed) - 3} more)" if len(changed) > 3 else "")
    return Change(kind, name, UPDATE, f"differs: {shown}", desired)


def plan_table(changes: Iterable[Change], title: str) -> Table:
    return build_table(
        title,
        ("kind", "name", "action", "detail"),
        (
            (c.kind, c.name, Text(c.action, style=ACTION_STYLES.get(c.action, "")), c.detail)
            for c in changes
        ),
    )
