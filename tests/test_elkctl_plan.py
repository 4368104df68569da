import json
from pathlib import Path

import pytest

from elkctl.connection import ElkctlError
from elkctl.definitions import (
    LOG_STREAMS,
    REPO_ROOT,
    definitions_root,
    load_es_definitions,
    substitute,
)
from elkctl.es_setup import check_version, public_body
from elkctl.health import overall_status
from elkctl.kibana_setup import (
    build_ndjson,
    by_value_panel_references,
    import_failures,
    import_object,
    load_kibana_objects,
)
from elkctl.plan import CREATE, UNCHANGED, UPDATE, decide, differences
from elkctl.waiting import Clock, Probe, wait_until


def test_server_added_defaults_do_not_count_as_differences():
    desired = {"data_stream": {}, "priority": 500, "composed_of": ["a", "b"]}
    stored = {"data_stream": {"hidden": False}, "priority": 500, "composed_of": ["a", "b"], "v": 3}
    assert differences(stored, desired) == []


def test_settings_returned_as_strings_compare_equal():
    assert (
        differences(
            {"index": {"replicas": "1", "hidden": "true"}},
            {"index": {"replicas": 1, "hidden": True}},
        )
        == []
    )


@pytest.mark.parametrize(
    ("stored", "desired", "paths"),
    [
        ({"a": 1}, {"a": 2}, ["a"]),
        ({}, {"a": {"b": 1}}, ["a"]),
        ({"l": ["a", "b"]}, {"l": ["b", "a"]}, ["l[0]", "l[1]"]),
        ({"l": ["a"]}, {"l": ["a", "b"]}, ["l"]),
        ({"a": "x"}, {"a": {"b": 1}}, ["a"]),
    ],
)
def test_differences_name_the_paths(stored, desired, paths):
    assert differences(stored, desired) == paths


def test_decide():
    assert decide("role", "r", {"a": 1}, None).action == CREATE
    assert decide("role", "r", {"a": 1}, {"a": 1, "b": 2}).action == UNCHANGED
    change = decide("role", "r", {"a": 1}, {"a": 2})
    assert change.action == UPDATE
    assert change.detail == "differs: a"


def test_substitute_replaces_and_rejects_unknown(tmp_path):
    doc = {"min_age": "${LOG_RETENTION_DAYS}d", "list": ["${LOG_RETENTION_DAYS}"], "n": 1}
    assert substitute(doc, {"LOG_RETENTION_DAYS": "9"}, tmp_path) == {
        "min_age": "9d",
        "list": ["9"],
        "n": 1,
    }
    with pytest.raises(ElkctlError, match=r"unknown placeholder \$\{NOPE\}"):
        substitute({"a": "${NOPE}"}, {}, tmp_path)


def test_repository_definitions_load_in_apply_order():
    definitions = load_es_definitions(REPO_ROOT, {"LOG_RETENTION_DAYS": "30"})
    kinds = [definition.kind for definition in definitions]
    assert kinds == sorted(
        kinds, key=["ilm_policy", "component_template", "index_template", "role", "user"].index
    )
    assert "${" not in str([definition.body for definition in definitions])


def test_log_streams_are_the_ones_the_index_template_covers():
    path = REPO_ROOT / "elasticsearch/index_templates/logs-python.json"
    template = json.loads(path.read_text())
    assert template["index_patterns"] == [LOG_STREAMS]


def test_definitions_root_can_be_chosen_and_must_exist(tmp_path):
    assert definitions_root({"ELKCTL_DEFINITIONS": str(REPO_ROOT)}) == REPO_ROOT
    with pytest.raises(ElkctlError, match="ELKCTL_DEFINITIONS"):
        definitions_root({"ELKCTL_DEFINITIONS": str(tmp_path)})


def test_public_body_drops_elkctl_only_keys():
    body = {"_password_variable": "X", "_reserved": True, "_meta": {"a": 1}, "roles": []}
    assert public_body(body) == {"_meta": {"a": 1}, "roles": []}


def test_check_version():
    assert check_version({"version": {"number": "9.2.1"}}, "u") == "9.2.1"
    with pytest.raises(ElkctlError, match=r"version mismatch.*8\.17\.0"):
        check_version({"version": {"number": "8.17.0"}}, "u")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_kibana_file_is_loaded_and_sorted_by_type(tmp_path):
    write(tmp_path / "kibana/z/dash.json", '{"type": "dashboard", "id": "d", "attributes": {}}')
    write(
        tmp_path / "kibana/extra.ndjson",
        '{"type": "search", "id": "s", "attributes": {}}\n\n'
        '{"type": "index-pattern", "id": "i", "attributes": {}}\n',
    )
    write(tmp_path / "kibana/kibana.yml", "server.name: kibana\n")
    objects = load_kibana_objects(tmp_path)
    assert [obj["id"] for obj in objects] == ["i", "s", "d"]


def test_duplicate_kibana_ids_are_rejected(tmp_path):
    write(tmp_path / "kibana/a.json", '{"type": "search", "id": "s", "attributes": {}}')
    write(tmp_path / "kibana/b.json", '{"type": "search", "id": "s", "attributes": {}}')
    with pytest.raises(ElkctlError, match="also defined"):
        load_kibana_objects(tmp_path)


def test_non_saved_object_json_is_rejected(tmp_path):
    write(tmp_path / "kibana/a.json", '{"title": "no type"}')
    with pytest.raises(ElkctlError, match="needs `type`, `id` and `attributes`"):
        load_kibana_objects(tmp_path)


def test_json_attributes_are_stringified_and_panel_references_added():
    panel = {
        "panelIndex": "p1",
        "embeddableConfig": {
            "attributes": {"references": [{"name": "layer-a", "type": "index-pattern", "id": "dv"}]}
        },
    }
    obj = {
        "type": "dashboard",
        "id": "d",
        "attributes": {
            "panelsJSON": [panel],
            "kibanaSavedObjectMeta": {"searchSourceJSON": {"q": 1}},
        },
    }
    built = import_object(obj)
    assert isinstance(built["attributes"]["panelsJSON"], str)
    assert built["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] == '{"q":1}'
    assert built["references"] == [{"name": "p1:layer-a", "type": "index-pattern", "id": "dv"}]
    assert isinstance(obj["attributes"]["panelsJSON"], list)  # the definition is not modified
    assert by_value_panel_references([panel]) == built["references"]


def test_repository_kibana_objects_reference_only_defined_objects():
    objects = load_kibana_objects(REPO_ROOT)
    defined = {(obj["type"], obj["id"]) for obj in objects}
    for line in build_ndjson(objects).decode().splitlines():
        obj = json.loads(line)
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in defined, (obj["id"], ref)


def test_import_failures_lists_each_reason():
    summary = {
        "success": False,
        "successCount": 1,
        "errors": [
            {"id": "a", "type": "search", "meta": {"title": "A"}, "error": {"type": "conflict"}},
            {
                "id": "b",
                "type": "dashboard",
                "error": {
                    "type": "missing_references",
                    "references": [{"type": "lens", "id": "x"}],
                },
            },
        ],
    }
    assert import_failures(summary) == [
        "search/a (A): conflict",
        "dashboard/b: missing_references (lens/x)",
    ]
    assert import_failures({"success": True, "successCount": 3}) == []
    assert import_failures({"success": False}) == ["Kibana reported success=false without details"]


def test_overall_status_reads_v8_and_legacy_shapes():
    assert overall_status({"status": {"overall": {"level": "available"}}}) == "available"
    assert overall_status({"status": {"overall": {"state": "green"}}}) == "green"
    assert overall_status("Kibana server is not ready yet") == ""
    # Elasticsearch's error shape, when KIBANA_URL names the Elasticsearch port
    assert overall_status({"error": {"type": "security_exception"}, "status": 403}) == ""


class FakeClock:
    def __init__(self):
        self.time = 0.0
        self.sleeps = []

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.time += seconds


def test_wait_until_backs_off_then_returns():
    fake = FakeClock()
    answers = iter(
        [Probe(reason="503"), Probe(reason="503"), Probe(reason="503"), Probe(value="ok")]
    )
    assert (
        wait_until(lambda: next(answers), what="x", timeout=60, clock=Clock(fake.now, fake.sleep))
        == "ok"
    )
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_wait_until_gives_up_with_the_last_reason():
    fake = FakeClock()
    with pytest.raises(ElkctlError, match=r"Kibana not ready after 3s: HTTP 503"):
        wait_until(
            lambda: Probe(reason="HTTP 503"),
            what="Kibana",
            timeout=3,
            clock=Clock(fake.now, fake.sleep),
        )
    assert sum(fake.sleeps) == pytest.approx(3)


def test_a_long_wait_says_what_it_waits_for_then_every_half_minute():
    fake = FakeClock()
    said = []
    with pytest.raises(ElkctlError):
        wait_until(
            lambda: Probe(reason="connection refused"),
            what="Elasticsearch at http://es:9200",
            timeout=100,
            clock=Clock(fake.now, fake.sleep),
            progress=said.append,
        )
    assert said[0].startswith("waiting for Elasticsearch at http://es:9200 (")
    assert said[0].endswith(" of 100s): connection refused")
    assert len(said) == 4  # after ~5 s, then about every 30 s until the 100 s deadline


def test_a_quick_failure_prints_no_progress():
    fake = FakeClock()
    said = []
    with pytest.raises(ElkctlError):
        wait_until(
            lambda: Probe(reason="503"), what="Kibana", timeout=3,
            clock=Clock(fake.now, fake.sleep), progress=said.append,
        )
    assert said == []
