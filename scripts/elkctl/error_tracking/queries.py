"""Every Elasticsearch request of `elkctl errors`, and the parsing of the answers into plain data.

Indices: error events in the `logs-*-*` data streams (read only); group state in
`elk-error-groups` (doc id = grouping key); the notification ledger in `elk-error-notifications`
(doc id = hash of rule, subject and window, written with op_type=create so a notification is
claimed once even by overlapping runs).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import elasticsearch

from elkctl.connection import ElkctlError
from elkctl.definitions import LOG_STREAMS
from elkctl.error_tracking.model import GroupState, GroupSummary, most_severe
from elkctl.error_tracking.serialize import parse_time, state_from_doc, state_to_doc

STATE_INDEX = "elk-error-groups"
LEDGER_INDEX = "elk-error-notifications"
KEY = "error.grouping_key"
PAGE_SIZE = 1000
SEARCH_FIELDS = ["error.message", "message", "error.type", "error.grouping_name"]
SAMPLE_FIELDS = [
    "error.message", "message", "error.type", "error.grouping_name", "error.stack_trace",
    "log.level", "service.name", "user.id", "http.request.id", "log.origin.file.name",
    "log.origin.function", "labels", "@timestamp",
]
# The newest event of a bucket: where a group's name, message and origin are read from.
LATEST_SAMPLE = {"top_hits": {"size": 1, "sort": [{"@timestamp": "desc"}],
                              "_source": {"includes": SAMPLE_FIELDS}}}
STATE_MAPPINGS = {
    "dynamic": False,
    "properties": {
        "key": {"type": "keyword"}, "status": {"type": "keyword"},
        "assignee": {"type": "keyword"}, "resolved_by": {"type": "keyword"},
        "first_seen": {"type": "date"}, "resolved_at": {"type": "date"},
        "ignored_until": {"type": "date"}, "regressed_at": {"type": "date"},
        "history": {"type": "object", "enabled": False},
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "severity": {"type": "keyword"}, "services": {"type": "keyword"},
    },
}
LEDGER_MAPPINGS = {
    "dynamic": False,
    "properties": {
        "rule": {"type": "keyword"}, "kind": {"type": "keyword"},
        "subject": {"type": "keyword"}, "window": {"type": "keyword"},
        "status": {"type": "keyword"}, "sent_at": {"type": "date"},
        "deliveries": {"type": "object", "enabled": False},
    },
}

ALREADY_EXISTS = "resource_already_exists_exception"
Version = tuple[int, int]  # (_seq_no, _primary_term) for optimistic concurrency


@dataclass(frozen=True)
class EventFilter:
    since: datetime
    until: datetime
    service: str | None = None
    levels: tuple[str, ...] = ()
    user: str | None = None
    search: str | None = None
    key: str | None = None
    file: str | None = None
    function: str | None = None


def get_field(doc: Mapping[str, Any], dotted: str) -> Any:
    """A field from an ECS `_source`, whether stored nested, dotted or mixed."""
    if dotted in doc:
        return doc[dotted]
    parts = dotted.split(".")
    for cut in range(1, len(parts)):
        head = ".".join(parts[:cut])
        if isinstance(doc.get(head), Mapping):
            found = get_field(doc[head], ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


def event_message(doc: Mapping[str, Any]) -> Any:
    """An error event's message: `error.message`, else the log line's `message`."""
    return get_field(doc, "error.message") or get_field(doc, "message")


def event_query(spec: EventFilter) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [
        {"exists": {"field": KEY}},
        {"range": {"@timestamp": {"gte": spec.since.isoformat(), "lt": spec.until.isoformat()}}},
    ]
    terms = (("service.name", spec.service), ("user.id", spec.user), (KEY, spec.key),
             ("log.origin.file.name", spec.file), ("log.origin.function", spec.function))
    for field, value in terms:
        if value:
            filters.append({"term": {field: value}})
    if spec.levels:
        filters.append({"terms": {"log.level": list(spec.levels)}})
    query: dict[str, Any] = {"filter": filters}
    if spec.search:
        query["must"] = [{"simple_query_string": {
            "query": spec.search, "fields": SEARCH_FIELDS, "default_operator": "and"}}]
    return {"bool": query}


def group_aggregation(size: int, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """Composite aggregation on the grouping key, paged with `after_key`.

    https://www.elastic.co/guide/en/elasticsearch/reference/current/search-aggregations-bucket-composite-aggregation.html
    """
    composite: dict[str, Any] = {"size": size, "sources": [{"key": {"terms": {"field": KEY}}}]}
    if after:
        composite["after"] = dict(after)
    return {"groups": {
        "composite": composite,
        "aggs": {
            "users": {"cardinality": {"field": "user.id"}},
            "first": {"min": {"field": "@timestamp"}},
            "last": {"max": {"field": "@timestamp"}},
            "services": {"terms": {"field": "service.name", "size": 5}},
            "levels": {"terms": {"field": "log.level", "size": 10}},
            "sample": LATEST_SAMPLE,
        },
    }}


def _millis(value: float | None) -> datetime:
    return datetime.fromtimestamp((value or 0) / 1000, tz=timezone.utc)


def _bucket_keys(agg: Mapping[str, Any] | None) -> tuple[str, ...]:
    return tuple(str(b["key"]) for b in (agg or {}).get("buckets", []))


def _agg_buckets(reply: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The buckets of aggregation `name` in a search reply ([] when it has none)."""
    return ((reply.get("aggregations") or {}).get(name) or {}).get("buckets") or []


def parse_group_bucket(bucket: Mapping[str, Any]) -> GroupSummary:
    hits = bucket.get("sample", {}).get("hits", {}).get("hits", [])
    source = hits[0].get("_source", {}) if hits else {}
    return GroupSummary(
        key=str(bucket["key"]["key"]),
        count=int(bucket["doc_count"]),
        first_seen=_millis(bucket.get("first", {}).get("value")),
        last_seen=_millis(bucket.get("last", {}).get("value")),
        name=get_field(source, "error.grouping_name"),
        error_type=get_field(source, "error.type"),
        message=event_message(source),
        users=int(bucket.get("users", {}).get("value") or 0),
        services=_bucket_keys(bucket.get("services")),
        severity=most_severe(_bucket_keys(bucket.get("levels"))),
        file=get_field(source, "log.origin.file.name"),
        function=get_field(source, "log.origin.function"),
    )


class ErrorStore:
    """The thin query layer: one method per question asked of Elasticsearch."""

    def __init__(self, es: elasticsearch.Elasticsearch) -> None:
        self.es = es

    # --- error events -------------------------------------------------------------------

    def iter_groups(self, spec: EventFilter, page_size: int = PAGE_SIZE
                    ) -> Iterator[list[GroupSummary]]:
        """Pages of group summaries; any number of groups, `page_size` per request."""
        after = None
        while True:
            reply = self.es.search(index=LOG_STREAMS, size=0, query=event_query(spec),
                                   aggs=group_aggregation(page_size, after))
            agg = (reply.get("aggregations") or {}).get("groups") or {}
            buckets = agg.get("buckets") or []
            if buckets:
                yield [parse_group_bucket(b) for b in buckets]
            after = agg.get("after_key")
            if len(buckets) < page_size or not after:
                return

    def first_seen_ever(self, keys: Sequence[str]) -> dict[str, datetime]:
        """The first event of each group over all time (the window's minimum is not enough)."""
        first: dict[str, datetime] = {}
        for start in range(0, len(keys), PAGE_SIZE):
            chunk = list(keys[start:start + PAGE_SIZE])
            reply = self.es.search(index=LOG_STREAMS, size=0, query={"terms": {KEY: chunk}}, aggs={
                "first_seen": {"terms": {"field": KEY, "size": len(chunk)},
                               "aggs": {"first": {"min": {"field": "@timestamp"}}}}})
            for bucket in _agg_buckets(reply, "first_seen"):
                first[str(bucket["key"])] = _millis(bucket["first"]["value"])
        return first

    def counts(self, spec: EventFilter, field: str | None, at_least: int) -> dict[str, int]:
        """Events per value of `field` (only values with >= at_least), or in total."""
        if field is None:
            reply = self.es.count(index=LOG_STREAMS, query=event_query(spec))
            return {"overall": int(reply["count"])}
        reply = self.es.search(index=LOG_STREAMS, size=0, query=event_query(spec), aggs={
            "by": {"terms": {"field": field, "size": PAGE_SIZE, "min_doc_count": at_least}}})
        return {str(b["key"]): int(b["doc_count"]) for b in _agg_buckets(reply, "by")}

    def latest_events(self, spec: EventFilter, size: int = 10) -> list[dict[str, Any]]:
        reply = self.es.search(index=LOG_STREAMS, size=size, query=event_query(spec),
                               sort=[{"@timestamp": "desc"}], source_includes=SAMPLE_FIELDS)
        return [hit.get("_source", {}) for hit in reply["hits"]["hits"]]

    def hourly(self, spec: EventFilter) -> list[tuple[datetime, int]]:
        """Events per hour over the whole window, empty hours included."""
        bounds = {"min": int(spec.since.timestamp() * 1000),
                  "max": int(spec.until.timestamp() * 1000) - 1}
        reply = self.es.search(index=LOG_STREAMS, size=0, query=event_query(spec), aggs={
            "hours": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h",
                                         "min_doc_count": 0, "extended_bounds": bounds}}})
        return [(_millis(b["key"]), int(b["doc_count"])) for b in _agg_buckets(reply, "hours")]

    def matching_keys(self, prefix: str) -> list[str]:
        """Up to two grouping keys starting with `prefix` (two means ambiguous)."""
        reply = self.es.search(index=LOG_STREAMS, size=0, query={"prefix": {KEY: prefix}},
                               aggs={"keys": {"terms": {"field": KEY, "size": 2}}})
        return [str(b["key"]) for b in _agg_buckets(reply, "keys")]

    def stats(self, spec: EventFilter, top: int = 10) -> dict[str, Any]:
        """Raw daily/service/level/top-group aggregations for `errors stats`.

        track_total_hits: without it `hits.total` stops at 10,000 (relation "gte").
        https://www.elastic.co/guide/en/elasticsearch/reference/current/search-your-data.html#track-total-hits
        """
        reply = self.es.search(index=LOG_STREAMS, size=0, query=event_query(spec),
                               track_total_hits=True, aggs={
            "days": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1d",
                                        "min_doc_count": 0},
                     "aggs": {"levels": {"terms": {"field": "log.level", "size": 10}}}},
            "services": {"terms": {"field": "service.name", "size": 20}},
            "levels": {"terms": {"field": "log.level", "size": 10}},
            "top": {"terms": {"field": KEY, "size": top},
                    "aggs": {"sample": LATEST_SAMPLE}},
        })
        return {"total": reply["hits"]["total"]["value"], **(reply.get("aggregations") or {})}

    # --- group state --------------------------------------------------------------------

    def ensure_indices(self) -> None:
        for index, mappings in ((STATE_INDEX, STATE_MAPPINGS), (LEDGER_INDEX, LEDGER_MAPPINGS)):
            try:
                self.es.indices.create(index=index, mappings=mappings)
            except elasticsearch.BadRequestError as exc:
                error = exc.body.get("error") if isinstance(exc.body, dict) else None
                if not isinstance(error, dict) or error.get("type") != ALREADY_EXISTS:
                    raise

    def states(self, keys: Sequence[str]) -> dict[str, tuple[GroupState, Version]]:
        found: dict[str, tuple[GroupState, Version]] = {}
        for start in range(0, len(keys), PAGE_SIZE):
            try:
                reply = self.es.mget(index=STATE_INDEX, ids=list(keys[start:start + PAGE_SIZE]))
            except elasticsearch.NotFoundError:
                return {}  # no state index yet: every group is new
            for doc in reply["docs"]:
                # A missing index fails each item, not the request (elastic/elasticsearch#3272).
                error = doc.get("error") or {}
                if error and error.get("type") != "index_not_found_exception":
                    raise ElkctlError(f"reading the state of {doc.get('_id')} from "
                                      f"{STATE_INDEX} failed: {error.get('reason', error)}")
                if doc.get("found"):
                    found[doc["_id"]] = (state_from_doc(doc["_source"]),
                                         (doc["_seq_no"], doc["_primary_term"]))
        return found

    def save_state(self, state: GroupState, version: Version | None) -> None:
        """Create, or update only if nobody changed the document since it was read."""
        try:
            if version is None:
                self.es.create(index=STATE_INDEX, id=state.key, document=state_to_doc(state),
                               refresh="wait_for")
            else:
                self.es.index(index=STATE_INDEX, id=state.key, document=state_to_doc(state),
                              if_seq_no=version[0], if_primary_term=version[1],
                              refresh="wait_for")
        except elasticsearch.ConflictError as exc:
            raise ElkctlError(
                f"group {state.key} was changed by someone else meanwhile; run the command again"
            ) from exc

    def save_states(self, changes: Sequence[tuple[GroupState, Version | None]]) -> int:
        """Bulk variant for `notify`; returns how many were skipped because of a conflict."""
        if not changes:
            return 0
        operations: list[dict[str, Any]] = []
        for state, version in changes:
            if version is None:
                operations.append({"create": {"_index": STATE_INDEX, "_id": state.key}})
            else:
                operations.append({"index": {"_index": STATE_INDEX, "_id": state.key,
                                             "if_seq_no": version[0],
                                             "if_primary_term": version[1]}})
            operations.append(state_to_doc(state))
        reply = self.es.bulk(operations=operations)
        conflicts = 0
        for item in reply["items"]:
            result = next(iter(item.values()))
            if result.get("status") == 409:
                conflicts += 1
            elif result.get("status", 200) >= 300:
                raise ElkctlError(f"saving group {result.get('_id')} failed: {result.get('error')}")
        return conflicts

    # --- notification ledger ------------------------------------------------------------

    def recent_sends(self, since: datetime) -> dict[tuple[str, str], datetime]:
        reply = self.es.search(
            index=LEDGER_INDEX, ignore_unavailable=True, size=10_000,
            query={"range": {"sent_at": {"gte": since.isoformat()}}},
            sort=[{"sent_at": "desc"}], source_includes=["rule", "subject", "sent_at"])
        last: dict[tuple[str, str], datetime] = {}
        for hit in reply["hits"]["hits"]:
            doc = hit["_source"]
            sent = parse_time(doc.get("sent_at"))
            if sent is not None:
                last.setdefault((doc["rule"], doc["subject"]), sent)
        return last

    def claim(self, ledger_id: str, record: Mapping[str, Any]) -> bool:
        """Record a notification before sending it; False when another run already did."""
        try:
            self.es.create(index=LEDGER_INDEX, id=ledger_id, document=dict(record))
        except elasticsearch.ConflictError:
            return False
        return True

    def record_outcome(self, ledger_id: str, status: str, deliveries: list[dict[str, Any]]
                       ) -> None:
        self.es.update(index=LEDGER_INDEX, id=ledger_id,
                       doc={"status": status, "deliveries": deliveries})
