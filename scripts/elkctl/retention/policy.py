"""Pure edits of an ILM policy's delete phase. No I/O here.

`GET _ilm/policy/<name>` answers `{name: {version, modified_date, in_use_by, policy}}`;
only `policy` may be sent back with `PUT _ilm/policy/<name>`, whose body is
`{"policy": {...}}`. The read-only siblings are therefore never copied:
https://www.elastic.co/guide/en/elasticsearch/reference/current/ilm-put-lifecycle.html
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

_MIN_AGE = re.compile(r"^(\d+(?:\.\d+)?)(d|h|m|s|ms|micros|nanos)$")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 1e-3, "micros": 1e-6, "nanos": 1e-9}


@dataclass(frozen=True)
class RetentionView:
    policy: str
    delete_min_age: str | None  # None: the policy never deletes
    version: int | None
    modified_date: str | None
    in_use_by_indices: int
    in_use_by_data_streams: int

    @property
    def days(self) -> float | None:
        return min_age_days(self.delete_min_age) if self.delete_min_age else None


def min_age_days(min_age: str) -> float | None:
    """Days from an ILM time value such as '30d' or '720h'; None when it has another form."""
    match = _MIN_AGE.match(min_age.strip())
    if not match:
        return None
    return float(match.group(1)) * _SECONDS[match.group(2)] / 86400


def view(name: str, stored: dict[str, Any]) -> RetentionView:
    """What `retention show` prints, from one entry of the GET policy answer."""
    phases = stored.get("policy", {}).get("phases", {})
    delete = phases.get("delete")
    in_use = stored.get("in_use_by") or {}
    return RetentionView(
        policy=name,
        delete_min_age=(delete.get("min_age", "0ms") if delete is not None else None),
        version=stored.get("version"),
        modified_date=stored.get("modified_date"),
        in_use_by_indices=len(in_use.get("indices", [])),
        in_use_by_data_streams=len(in_use.get("data_streams", [])),
    )


def with_delete_after(stored: dict[str, Any], days: int) -> dict[str, Any]:
    """The PUT body: the stored `policy` with only the delete phase's min_age changed.

    A policy without a delete phase gets one (min_age and the delete action), since a
    retention cannot exist without it.
    """
    if days < 1:
        raise ValueError(f"--days {days}: retention must be at least 1 day")
    policy = copy.deepcopy(stored["policy"])
    phases = policy.setdefault("phases", {})
    delete = phases.setdefault("delete", {"actions": {"delete": {}}})
    delete["min_age"] = f"{days}d"
    return {"policy": policy}
