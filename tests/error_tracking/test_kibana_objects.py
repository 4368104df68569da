"""The Kibana objects of error tracking: provisioned by `elkctl setup` from kibana/ files."""

from __future__ import annotations

import json
from pathlib import Path

from elkctl.error_tracking.links import BY_REQUEST_ID_SEARCH
from elkctl.error_tracking.queries import STATE_INDEX, STATE_MAPPINGS
from elkctl.kibana_setup import import_object, load_kibana_objects

ROOT = Path(__file__).resolve().parents[2]
OBJECTS = {(o["type"], o["id"]): o for o in load_kibana_objects(ROOT)}
ECS_FIELDS_USED = {"@timestamp", "service.name", "log.level", "user.id", "error.grouping_key",
                   "error.grouping_name", "___records___"}


def test_request_links_point_at_the_provisioned_by_request_id_search():
    search = OBJECTS[("search", BY_REQUEST_ID_SEARCH)]
    assert search["attributes"]["title"] == "By request ID"


def test_unresolved_critical_search_reads_the_state_index():
    search = OBJECTS[("search", "logs-python-unresolved-critical-errors")]
    assert search["attributes"]["title"] == "Unresolved critical errors"
    (reference,) = search["references"]
    data_view = OBJECTS[("index-pattern", reference["id"])]
    assert data_view["attributes"]["title"] == STATE_INDEX
    source = json.loads(import_object(search)["attributes"]["kibanaSavedObjectMeta"]
                        ["searchSourceJSON"])
    assert source["indexRefName"] == reference["name"]
    assert source["query"]["query"] == (
        'status : ("unresolved" or "regressed") and severity : "critical"')
    mapped = STATE_MAPPINGS["properties"]
    assert {"status", "severity"} <= mapped.keys()
    assert set(search["attributes"]["columns"]) <= mapped.keys()


def test_errors_dashboard_is_kibana_shaped():
    dashboard = import_object(OBJECTS[("dashboard", "logs-python-errors-dashboard")])
    assert dashboard["attributes"]["title"] == "Errors"
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert [p["panelIndex"] for p in panels] == [
        "groups-over-time", "events-by-severity", "events-by-service", "top-groups"]
    names = {ref["name"] for ref in dashboard["references"]}
    for panel in panels:
        lens = panel["embeddableConfig"]["attributes"]
        for ref in lens["references"]:
            assert ref["id"] == "logs-python"
            assert f"{panel['panelIndex']}:{ref['name']}" in names
        layers = lens["state"]["datasourceStates"]["formBased"]["layers"]
        for layer in layers.values():
            assert set(layer["columnOrder"]) == layer["columns"].keys()
            assert {c["sourceField"] for c in layer["columns"].values()} <= ECS_FIELDS_USED
    groups = panels[0]["embeddableConfig"]["attributes"]["state"]["datasourceStates"]
    columns = groups["formBased"]["layers"]["groups"]["columns"]
    assert columns["groups"]["operationType"] == "unique_count"
    assert columns["groups"]["sourceField"] == "error.grouping_key"
    assert columns["service"]["sourceField"] == "service.name"
