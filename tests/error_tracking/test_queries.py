"""The query layer against a fake Elasticsearch 9 answering with documented response shapes."""

from datetime import timedelta

import pytest

from elkctl.connection import ElkctlError, elasticsearch_client
from elkctl.error_tracking.model import GroupState
from elkctl.error_tracking.queries import ErrorStore, EventFilter, event_query, get_field
from tests.error_tracking.fake import T0, FakeErrorCluster, make_group

WINDOW = EventFilter(since=T0 - timedelta(hours=24), until=T0)


@pytest.fixture
def store(elkctl_settings):
    return ErrorStore(elasticsearch_client(elkctl_settings))


def test_composite_paging_reads_every_group(es_server, store):
    cluster = FakeErrorCluster(es_server, [make_group(n) for n in range(2_500)])
    pages = list(store.iter_groups(WINDOW, page_size=1_000))
    assert [len(p) for p in pages] == [1_000, 1_000, 500]
    keys = [g.key for page in pages for g in page]
    assert len(set(keys)) == 2_500
    afters = [s["aggs"]["groups"]["composite"].get("after") for s in cluster.searches]
    assert afters == [None, {"key": keys[999]}, {"key": keys[1999]}]


def test_exact_multiple_of_page_size_stops_after_an_empty_page(es_server, store):
    FakeErrorCluster(es_server, [make_group(n) for n in range(4)])
    assert [len(p) for p in store.iter_groups(WINDOW, page_size=2)] == [2, 2]


def test_group_summary_fields(es_server, store):
    FakeErrorCluster(es_server, [make_group(7, count=12, level="critical", users=4)])
    (group,), = list(store.iter_groups(WINDOW))
    assert group.key == f"v1:{7:032x}"
    assert (group.count, group.users, group.severity) == (12, 4, "critical")
    assert group.last_seen == T0 - timedelta(minutes=5)
    assert group.first_seen == T0 - timedelta(hours=2, minutes=5)
    assert (group.name, group.message, group.services) == (
        "ValueError in checkout7", "bad value 7", ("api",))
    assert (group.file, group.function) == ("src/app/billing/invoice.py", "charge")


def test_no_groups(es_server, store):
    FakeErrorCluster(es_server, [])
    assert list(store.iter_groups(WINDOW)) == []


def test_event_query_filters():
    spec = EventFilter(since=T0 - timedelta(hours=1), until=T0, service="api",
                       levels=("critical",), user="u1", search="timeout db", key="v1:k")
    query = event_query(spec)["bool"]
    assert {"exists": {"field": "error.grouping_key"}} in query["filter"]
    assert {"term": {"service.name": "api"}} in query["filter"]
    assert {"term": {"user.id": "u1"}} in query["filter"]
    assert {"term": {"error.grouping_key": "v1:k"}} in query["filter"]
    assert {"terms": {"log.level": ["critical"]}} in query["filter"]
    assert query["filter"][1]["range"]["@timestamp"] == {
        "gte": "2026-11-23T05:00:00+00:00", "lt": "2026-11-23T06:00:00+00:00"}
    assert query["must"][0]["simple_query_string"]["query"] == "timeout db"


def test_get_field_reads_nested_dotted_and_mixed_sources():
    assert get_field({"log.level": "error"}, "log.level") == "error"
    assert get_field({"log": {"level": "error"}}, "log.level") == "error"
    assert get_field({"log": {"origin.file.name": "a.py"}}, "log.origin.file.name") == "a.py"
    assert get_field({"log": {"logger": "x"}}, "log.level") is None


def test_states_when_the_state_index_does_not_exist_yet(es_server, store):
    FakeErrorCluster(es_server)
    assert store.states(["v1:a"]) == {}


def test_state_round_trip_and_optimistic_concurrency(es_server, store):
    cluster = FakeErrorCluster(es_server)
    store.ensure_indices()
    store.ensure_indices()  # the second time answers resource_already_exists: fine
    assert cluster.indices == {"elk-error-groups", "elk-error-notifications"}
    store.save_state(GroupState("v1:a", first_seen=T0), None)
    (state, version), = store.states(["v1:a", "v1:missing"]).values()
    assert state == GroupState("v1:a", first_seen=T0)
    store.save_state(GroupState("v1:a", assignee="ann"), version)
    assert cluster.state("v1:a")["assignee"] == "ann"
    with pytest.raises(ElkctlError, match="changed by someone else"):
        store.save_state(GroupState("v1:a", assignee="bob"), version)  # stale version


def test_bulk_state_writes_skip_conflicts(es_server, store):
    cluster = FakeErrorCluster(es_server)
    cluster.put_state({"key": "v1:taken", "status": "resolved"})
    skipped = store.save_states([(GroupState("v1:new"), None), (GroupState("v1:taken"), None)])
    assert skipped == 1
    assert cluster.state("v1:taken")["status"] == "resolved"
    assert cluster.state("v1:new")["status"] == "unresolved"


def test_ledger_claim_is_once_only(es_server, store):
    cluster = FakeErrorCluster(es_server)
    record = {"rule": "r", "subject": "v1:a", "sent_at": T0.isoformat(), "status": "sending"}
    assert store.claim("id1", record) is True
    assert store.claim("id1", record) is False  # 409: another run has it
    store.record_outcome("id1", "sent", [{"channel": "slack", "ok": True}])
    assert cluster.ledger["id1"]["status"] == "sent"
    assert store.recent_sends(T0 - timedelta(hours=1)) == {("r", "v1:a"): T0}


def test_threshold_counts(es_server, store):
    cluster = FakeErrorCluster(es_server)
    cluster.counts["service.name"] = {"api": 120, "worker": 3}
    cluster.total = 77
    assert store.counts(WINDOW, "service.name", 100) == {"api": 120}
    assert cluster.searches[-1]["aggs"]["by"]["terms"]["min_doc_count"] == 100
    assert store.counts(WINDOW, None, 1) == {"overall": 77}


def test_hourly_histogram_and_key_prefix(es_server, store):
    cluster = FakeErrorCluster(es_server, [make_group(0xA << 124), make_group(0xB << 124)])
    cluster.hours = [(T0 - timedelta(hours=2), 0), (T0 - timedelta(hours=1), 5)]
    assert store.hourly(WINDOW) == cluster.hours
    bounds = cluster.searches[-1]["aggs"]["hours"]["date_histogram"]["extended_bounds"]
    assert bounds["min"] == int((T0 - timedelta(hours=24)).timestamp() * 1000)
    assert store.matching_keys("v1:") == [f"v1:a{0:031x}", f"v1:b{0:031x}"]
    assert store.matching_keys("v1:b0") == [f"v1:b{0:031x}"]


def test_states_fail_loudly_on_other_item_errors(es_server, store):
    FakeErrorCluster(es_server)
    es_server.clear()
    es_server.respond_json("POST", "/elk-error-groups/_mget", {"docs": [
        {"_index": "elk-error-groups", "_id": "v1:a", "error": {
            "type": "no_shard_available_action_exception", "reason": "No shard available"}}]})
    with pytest.raises(ElkctlError, match="No shard available"):
        store.states(["v1:a"])
