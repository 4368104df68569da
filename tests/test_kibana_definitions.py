"""Structural checks of every saved object under kibana/ (no Kibana here to import them)."""

import pytest

from elkctl.definitions import REPO_ROOT
from elkctl.kibana_setup import load_kibana_objects

OBJECTS = load_kibana_objects(REPO_ROOT)
DATA_VIEW_IDS = {obj["id"] for obj in OBJECTS if obj["type"] == "index-pattern"}
SEARCHES = [obj for obj in OBJECTS if obj["type"] == "search"]
DASHBOARDS = [obj for obj in OBJECTS if obj["type"] == "dashboard"]


def lens_panels():
    for dashboard in DASHBOARDS:
        for panel in dashboard["attributes"]["panelsJSON"]:
            if panel["type"] == "lens":
                yield pytest.param(panel, id=f"{dashboard['id']}:{panel['panelIndex']}")


def test_the_required_objects_exist():
    assert "logs-python" in DATA_VIEW_IDS
    titles = {obj["attributes"]["title"] for obj in SEARCHES}
    assert {"All logs", "Errors", "Slow operations", "By request ID"} <= titles
    assert "logs-python-overview" in {obj["id"] for obj in DASHBOARDS}


def test_data_view_is_time_based_on_logs():
    (view,) = [obj for obj in OBJECTS if obj["id"] == "logs-python"]
    assert view["attributes"]["title"] == "logs-*"
    assert view["attributes"]["timeFieldName"] == "@timestamp"


@pytest.mark.parametrize("search", SEARCHES, ids=lambda obj: obj["id"])
def test_saved_searches_point_at_a_defined_data_view(search):
    source = search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
    assert source["query"]["language"] == "kuery"
    (ref,) = [r for r in search["references"] if r["name"] == source["indexRefName"]]
    assert ref["type"] == "index-pattern"
    assert ref["id"] in DATA_VIEW_IDS
    columns = search["attributes"]["columns"]
    if ref["id"] == "logs-python":  # searches over other data views (error groups) differ
        assert columns[:5] == [
            "@timestamp", "service.name", "log.level", "message", "http.request.id"]


@pytest.mark.parametrize("panel", list(lens_panels()))
def test_lens_panels_are_consistent(panel):
    attributes = panel["embeddableConfig"]["attributes"]
    layers = attributes["state"]["datasourceStates"]["formBased"]["layers"]
    references = {ref["name"]: ref for ref in attributes["references"]}
    for layer_id, layer in layers.items():
        ref = references[f"indexpattern-datasource-layer-{layer_id}"]
        assert ref["id"] in DATA_VIEW_IDS
        assert set(layer["columnOrder"]) == set(layer["columns"])
    visualization = attributes["state"]["visualization"]
    vis_layers = visualization.get("layers", [visualization])
    for vis_layer in vis_layers:
        columns = layers[vis_layer["layerId"]]["columns"]
        used = [
            vis_layer.get("xAccessor"),
            vis_layer.get("splitAccessor"),
            *vis_layer.get("accessors", []),
        ]
        used += [column["columnId"] for column in vis_layer.get("columns", [])]
        assert {name for name in used if name} <= set(columns)
