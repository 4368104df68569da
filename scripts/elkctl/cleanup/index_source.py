"""Read-only Elasticsearch calls for `cleanup indices`; everything above this is pure.

Uses the application APIs (get index settings, index stats, get data stream, search), not
the `_cat` APIs, which the docs reserve for people:
https://www.elastic.co/guide/en/elasticsearch/reference/current/cat-indices.html
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import elasticsearch

# Hidden and closed indices are listed too: the planner decides what is protected, and
# it can only protect what it sees.
EXPAND_ALL = "all"


@dataclass(frozen=True)
class IndexInfo:
    name: str
    created_ms: int
    size_bytes: int  # store size of primaries and replicas; 0 for a closed index
    hidden: bool


@dataclass(frozen=True)
class DataStreamInfo:
    name: str
    backing_indices: tuple[str, ...]  # oldest first; the last one is the write index
    failure_indices: tuple[str, ...] = ()  # the failure store's, same order (9.1+)

    @property
    def all_indices(self) -> tuple[str, ...]:
        return self.backing_indices + self.failure_indices

    @property
    def write_indices(self) -> frozenset[str]:
        """The write index of the stream and of its failure store: never to be deleted."""
        return frozenset(group[-1] for group in (self.backing_indices, self.failure_indices)
                         if group)


def fetch_indices(es: elasticsearch.Elasticsearch, patterns: list[str]) -> list[IndexInfo]:
    """Indices the patterns resolve to (data streams resolve to their backing indices).

    An exact name that does not exist makes Elasticsearch answer 404, which the CLI
    reports; wildcard patterns that match nothing give an empty list.
    """
    settings = es.indices.get_settings(index=patterns, expand_wildcards=EXPAND_ALL).body
    # forbid_closed_indices (default true) leaves closed indices out of the stats
    stats = es.indices.stats(index=patterns, metric="store", expand_wildcards=EXPAND_ALL).body
    sizes = {
        name: int(_dig(entry, "total", "store", "size_in_bytes") or 0)
        for name, entry in (stats.get("indices") or {}).items()
    }
    return [
        IndexInfo(
            name=name,
            created_ms=int(_dig(entry, "settings", "index", "creation_date") or 0),
            size_bytes=sizes.get(name, 0),
            hidden=str(_dig(entry, "settings", "index", "hidden")).lower() == "true",
        )
        for name, entry in settings.items()
    ]


def fetch_data_streams(es: elasticsearch.Elasticsearch) -> list[DataStreamInfo]:
    """Every data stream, hidden ones included: any write index must be known to be spared.

    https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-get-data-stream.html
    ("The last item in this array contains information about the stream's current write
    index.")
    """
    body = es.indices.get_data_stream(name="*", expand_wildcards=EXPAND_ALL).body
    return [
        DataStreamInfo(
            name=stream["name"],
            backing_indices=_index_names(stream.get("indices")),
            failure_indices=_index_names((stream.get("failure_store") or {}).get("indices")),
        )
        for stream in body.get("data_streams", [])
    ]


def _index_names(indices: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(index["index_name"] for index in indices or [])


def newest_timestamps(
    es: elasticsearch.Elasticsearch, names: Iterable[str]
) -> dict[str, int | None]:
    """Newest `@timestamp` (epoch ms) per index from a `max` aggregation; None when empty."""
    newest: dict[str, int | None] = {}
    for name in names:
        body = es.search(
            index=name,
            size=0,
            aggs={"newest": {"max": {"field": "@timestamp"}}},
            expand_wildcards="none",
        ).body
        value = _dig(body, "aggregations", "newest", "value")
        newest[name] = int(value) if value is not None else None
    return newest


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
