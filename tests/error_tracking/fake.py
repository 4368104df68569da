"""A fake Elasticsearch 9 holding error groups, group states and the notification ledger.

Answers the requests `elkctl.error_tracking.queries` makes with the documented response shapes
(composite aggregation pages with `after_key`, mget docs with `_seq_no`, create answering 409
for an existing id, bulk items). Of the event filters only the grouping-key term is emulated;
tests assert the other filters in the query body that was sent (`searches`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug import Request, Response

from tests.conftest import ElasticServer
from tests.fake_stack import es_error, es_response, search_reply

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def make_group(n: int, *, count: int = 3, level: str = "error", service: str = "api",
               first: datetime | None = None, last: datetime | None = None,
               users: int = 1) -> dict[str, Any]:
    last = last or T0 - timedelta(minutes=5)
    first = first or last - timedelta(hours=2)
    key = f"v1:{n:032x}"
    return {
        "key": key, "count": count, "first": first, "last": last, "users": users,
        "services": [service], "levels": [level],
        "source": {
            "@timestamp": last.isoformat().replace("+00:00", "Z"),
            "log.level": level,
            "service": {"name": service},
            "error": {"type": "ValueError", "message": f"bad value {n}",
                      "grouping_key": key, "grouping_name": f"ValueError in checkout{n}",
                      "stack_trace": f"Traceback (most recent call last):\nValueError: bad {n}"},
            "log": {"origin": {"file": {"name": "src/app/billing/invoice.py"},
                               "function": "charge"}},
            "http": {"request": {"id": f"req-{n}"}},
            "user": {"id": f"user-{n}"},
        },
    }


def composite_bucket(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": {"key": group["key"]},
        "doc_count": group["count"],
        "users": {"value": group["users"]},
        "first": {"value": float(ms(group["first"])),
                  "value_as_string": group["first"].isoformat()},
        "last": {"value": float(ms(group["last"])), "value_as_string": group["last"].isoformat()},
        "services": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                     "buckets": [{"key": s, "doc_count": group["count"]}
                                 for s in group["services"]]},
        "levels": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                   "buckets": [{"key": lv, "doc_count": group["count"]}
                               for lv in group["levels"]]},
        "sample": {"hits": {"total": {"value": group["count"], "relation": "eq"},
                            "max_score": None,
                            "hits": [{"_index": ".ds-logs-api-default-2026.11.23-000001",
                                      "_id": f"e-{group['key']}", "_score": None,
                                      "_source": group["source"], "sort": [ms(group["last"])]}]}},
    }


def _capped_total(reply: dict[str, Any], track_total_hits: Any) -> dict[str, Any]:
    """Elasticsearch counts hits exactly only up to 10,000 unless track_total_hits is true."""
    total = reply["hits"]["total"]["value"]
    if track_total_hits is True or total <= 10_000:
        return reply
    return {**reply, "hits": {**reply["hits"], "total": {"value": 10_000, "relation": "gte"}}}


def _doc_id(request: Request) -> str:
    return request.path.rsplit("/", 1)[1]


class FakeErrorCluster:
    def __init__(self, server: ElasticServer, groups: list[dict[str, Any]] | None = None):
        self.server = server
        self.groups = sorted(groups or [], key=lambda g: g["key"])
        self.states: dict[str, tuple[dict[str, Any], int]] = {}
        self.ledger: dict[str, dict[str, Any]] = {}
        self.indices: set[str] = set()
        self.searches: list[dict[str, Any]] = []
        self.counts: dict[str, dict[str, int]] = {}  # aggregation field -> counts
        self.total = 0
        self.hours: list[tuple[datetime, int]] = []
        self.first_ever: dict[str, datetime] = {}  # first event before the query window
        self.stats_reply: dict[str, Any] = search_reply({})
        self.seq = 0
        self.before_bulk: Callable[[], None] = lambda: None  # another writer, say
        server.respond_info()
        route = server.expect_request
        route(re.compile(r"/logs-\*-\*/_search")).respond_with_handler(self._search)
        route(re.compile(r"/logs-\*-\*/_count")).respond_with_handler(self._count)
        route(re.compile(r"/elk-error-groups/_mget")).respond_with_handler(self._mget)
        route(re.compile(r"/elk-error-groups/_(create|doc)/.+")).respond_with_handler(self._put)
        route(re.compile(r"^/elk-error-(groups|notifications)$"), method="PUT"
              ).respond_with_handler(self._create_index)
        route("/_bulk").respond_with_handler(self._bulk)
        route("/elk-error-notifications/_search").respond_with_handler(self._ledger_search)
        route(re.compile(r"/elk-error-notifications/_create/.+")
              ).respond_with_handler(self._ledger_create)
        route(re.compile(r"/elk-error-notifications/_update/.+")
              ).respond_with_handler(self._ledger_update)

    # -- helpers for tests --
    def state(self, key: str) -> dict[str, Any] | None:
        return self.states.get(key, (None, 0))[0]

    def put_state(self, doc: dict[str, Any]) -> None:
        self.seq += 1
        self.states[doc["key"]] = (doc, self.seq)

    # -- handlers --
    def _search(self, request: Request) -> Response:
        body = json.loads(request.data or b"{}")
        self.searches.append(body)
        aggs = body.get("aggs") or {}
        groups = self._matching(body.get("query") or {})
        if "groups" in aggs:
            return es_response(self._composite_page(groups, aggs["groups"]["composite"]))
        if "by" in aggs:
            field = aggs["by"]["terms"]["field"]
            minimum = aggs["by"]["terms"]["min_doc_count"]
            buckets = [{"key": k, "doc_count": v}
                       for k, v in sorted(self.counts.get(field, {}).items()) if v >= minimum]
            return es_response(search_reply({"by": {"buckets": buckets}}))
        if "hours" in aggs:
            return es_response(search_reply({"hours": {"buckets": [
                {"key_as_string": h.isoformat(), "key": ms(h), "doc_count": n}
                for h, n in self.hours]}}))
        if "first_seen" in aggs:
            wanted = set(body["query"]["terms"]["error.grouping_key"])
            return es_response(search_reply({"first_seen": {"buckets": [
                {"key": g["key"], "doc_count": g["count"],
                 "first": {"value": float(ms(self.first_ever.get(g["key"], g["first"])))}}
                for g in self.groups if g["key"] in wanted]}}))
        if "days" in aggs:
            return es_response(_capped_total(self.stats_reply, body.get("track_total_hits")))
        if "keys" in aggs:
            prefix = body["query"]["prefix"]["error.grouping_key"]
            keys = [g["key"] for g in self.groups if g["key"].startswith(prefix)][:2]
            return es_response(search_reply({"keys": {"buckets": [
                {"key": k, "doc_count": 1} for k in keys]}}))
        hits = [{"_index": "x", "_id": g["key"], "_source": g["source"]}
                for g in sorted(groups, key=lambda g: g["last"], reverse=True)]
        return es_response(search_reply(hits=hits[: body.get("size", 10)], total=len(hits)))

    def _matching(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        for clause in query.get("bool", {}).get("filter", []):
            key = clause.get("term", {}).get("error.grouping_key")
            if key is not None:
                return [g for g in self.groups if g["key"] == key]
        return self.groups

    def _composite_page(self, groups: list[dict[str, Any]], composite: dict[str, Any]
                        ) -> dict[str, Any]:
        after = (composite.get("after") or {}).get("key")
        remaining = [g for g in groups if after is None or g["key"] > after]
        page = remaining[: composite["size"]]
        agg: dict[str, Any] = {"buckets": [composite_bucket(g) for g in page]}
        if page:
            agg["after_key"] = {"key": page[-1]["key"]}
        return search_reply({"groups": agg}, total=sum(g["count"] for g in groups))

    def _count(self, request: Request) -> Response:
        self.searches.append(json.loads(request.data or b"{}"))
        return es_response({"count": self.total, "_shards": {"total": 1, "successful": 1,
                                                              "skipped": 0, "failed": 0}})

    def _mget(self, request: Request) -> Response:
        missing = "elk-error-groups" not in self.indices and not self.states
        docs = []
        for key in json.loads(request.data)["ids"]:
            if missing:  # each item fails, the request answers 200
                docs.append({"_index": "elk-error-groups", "_id": key, "error": {
                    "type": "index_not_found_exception", "reason": "no such index",
                    "index": "elk-error-groups"}})
            elif key in self.states:
                doc, seq = self.states[key]
                docs.append({"_index": "elk-error-groups", "_id": key, "_version": seq,
                             "_seq_no": seq, "_primary_term": 1, "found": True, "_source": doc})
            else:
                docs.append({"_index": "elk-error-groups", "_id": key, "found": False})
        return es_response({"docs": docs})

    def _write_result(self, index: str, key: str, result: str, status: int = 201) -> Response:
        return es_response({"_index": index, "_id": key, "_version": self.seq, "result": result,
                            "_seq_no": self.seq, "_primary_term": 1,
                            "_shards": {"total": 1, "successful": 1, "failed": 0}}, status)

    def _conflict(self, key: str) -> Response:
        return es_error(409, "version_conflict_engine_exception", f"[{key}]: version conflict")

    def _put(self, request: Request) -> Response:
        key = _doc_id(request)
        current = self.states.get(key)
        if "/_create/" in request.path and current is not None:
            return self._conflict(key)
        expected = request.args.get("if_seq_no")
        if expected is not None and (current is None or str(current[1]) != expected):
            return self._conflict(key)
        self.put_state(json.loads(request.data))
        return self._write_result("elk-error-groups", key, "created" if current is None
                                  else "updated", 201 if current is None else 200)

    def _create_index(self, request: Request) -> Response:
        index = request.path.strip("/")
        if index in self.indices:
            return es_error(400, "resource_already_exists_exception",
                            f"index [{index}] already exists")
        self.indices.add(index)
        return es_response({"acknowledged": True, "shards_acknowledged": True, "index": index})

    def _bulk(self, request: Request) -> Response:
        self.before_bulk()
        lines = [json.loads(line) for line in request.data.splitlines() if line.strip()]
        items = []
        for action, doc in zip(lines[::2], lines[1::2], strict=True):
            op, meta = next(iter(action.items()))
            key, current = meta["_id"], self.states.get(meta["_id"])
            stale = "if_seq_no" in meta and (current is None or current[1] != meta["if_seq_no"])
            if (op == "create" and current is not None) or stale:
                items.append({op: {"_index": "elk-error-groups", "_id": key, "status": 409,
                                   "error": {"type": "version_conflict_engine_exception"}}})
                continue
            self.put_state(doc)
            items.append({op: {"_index": "elk-error-groups", "_id": key, "status": 201,
                               "result": "created", "_seq_no": self.seq, "_primary_term": 1}})
        return es_response({"took": 2, "errors": any(i.get("status") == 409 for i in items),
                            "items": items})

    def _ledger_search(self, request: Request) -> Response:
        hits = [{"_index": "elk-error-notifications", "_id": k, "_source": v}
                for k, v in sorted(self.ledger.items(), key=lambda kv: kv[1]["sent_at"],
                                   reverse=True)]
        return es_response(search_reply(hits=hits, total=len(hits)))

    def _ledger_create(self, request: Request) -> Response:
        key = _doc_id(request)
        if key in self.ledger:
            return self._conflict(key)
        self.ledger[key] = json.loads(request.data)
        return self._write_result("elk-error-notifications", key, "created")

    def _ledger_update(self, request: Request) -> Response:
        key = _doc_id(request)
        self.ledger[key].update(json.loads(request.data)["doc"])
        return self._write_result("elk-error-notifications", key, "updated", 200)
