"""`setup`, Kibana half: build the saved-objects ndjson from `kibana/` and import it.

Import API: https://www.elastic.co/docs/api/doc/kibana/operation/operation-importsavedobjectsdefault
(multipart `file` ending in .ndjson, `kbn-xsrf`, answers 200 even when objects fail).
Object shapes follow the sample data sets Kibana 9 ships (Lens panels by value in dashboards).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from elkctl.connection import ElkctlError, EndpointUnreachable, KibanaClient, KibanaError
from elkctl.definitions import read_json, read_text
from elkctl.health import DEGRADED, UP, kibana_state, overall_status
from elkctl.waiting import Clock, Probe, wait_until

# Import order: what is referred to comes first.
TYPE_ORDER = {"index-pattern": 0, "search": 1, "visualization": 2, "lens": 3, "dashboard": 4}
# Ready as `elkctl health` sees it: up or degraded. "degraded" means some plugin is unwell
# (it can stay so for long, e.g. task manager under load) while the saved-objects API
# works; waiting for "available" only would fail setup.
READY_STATES = (UP, DEGRADED)


def _check_object(obj: Any, where: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or not {"type", "id", "attributes"} <= obj.keys():
        raise ElkctlError(f"{where}: a saved object needs `type`, `id` and `attributes`")
    return obj


def load_kibana_objects(root: Path) -> list[dict[str, Any]]:
    """Every saved object in `kibana/**/*.json` and `kibana/**/*.ndjson` (other files skipped)."""
    objects: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], Path] = {}
    folder = root / "kibana"
    for path in sorted(folder.rglob("*.json")) + sorted(folder.rglob("*.ndjson")):
        if path.suffix == ".ndjson":
            lines = read_text(path).splitlines()
            found = [
                _check_object(_parse_line(line, f"{path}:{n}"), f"{path}:{n}")
                for n, line in enumerate(lines, start=1)
                if line.strip()
            ]
        else:
            found = [_check_object(read_json(path), str(path))]
        for obj in found:
            key = (obj["type"], obj["id"])
            if key in seen:
                raise ElkctlError(f"{path}: {key[0]} {key[1]!r} is also defined in {seen[key]}")
            seen[key] = path
            objects.append(obj)
    return sorted(objects, key=lambda obj: TYPE_ORDER.get(obj["type"], len(TYPE_ORDER)))


def _parse_line(line: str, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise ElkctlError(f"{where} is not valid JSON: {exc}") from exc


def stringify_json_attributes(value: Any) -> Any:
    """Kibana stores `...JSON` attributes as strings; our files may hold them as objects."""
    if isinstance(value, dict):
        return {
            key: json.dumps(item, separators=(",", ":"))
            if key.endswith("JSON") and not isinstance(item, str)
            else stringify_json_attributes(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [stringify_json_attributes(item) for item in value]
    return value


def by_value_panel_references(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dashboard-level references for by-value panels: `<panelIndex>:<name>` per inner reference."""
    references = []
    for panel in panels:
        attributes = panel.get("embeddableConfig", {}).get("attributes", {})
        for ref in attributes.get("references", []):
            name = f"{panel['panelIndex']}:{ref['name']}"
            references.append({"name": name, "type": ref["type"], "id": ref["id"]})
    return references


def import_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A definition file's object as Kibana imports it."""
    result = copy.deepcopy(obj)
    attributes = result["attributes"]
    panels = attributes.get("panelsJSON")
    if result["type"] == "dashboard" and isinstance(panels, list):
        known = {ref["name"] for ref in result.get("references", [])}
        extra = [ref for ref in by_value_panel_references(panels) if ref["name"] not in known]
        result["references"] = [*result.get("references", []), *extra]
    result["attributes"] = stringify_json_attributes(attributes)
    result.setdefault("references", [])
    return result


def build_ndjson(objects: list[dict[str, Any]]) -> bytes:
    lines = [json.dumps(import_object(obj), sort_keys=True) for obj in objects]
    return ("\n".join(lines) + "\n").encode()


def kibana_probe(kibana: KibanaClient) -> Probe[str]:
    """Ready when GET /api/status answers 200 with an overall level available (or degraded)."""
    try:
        response = kibana.status()
    except EndpointUnreachable as exc:
        return Probe(reason=str(exc))
    overall = overall_status(response.body)
    if response.status == 200 and kibana_state(overall) in READY_STATES:
        return Probe(value=overall)
    return Probe(reason=f"HTTP {response.status}, status {overall or 'unknown'}")


def import_failures(summary: dict[str, Any]) -> list[str]:
    """One reason per failed object from the import response (`success`, `errors`)."""
    reasons = []
    for error in summary.get("errors") or []:
        title = error.get("meta", {}).get("title") or error.get("title") or ""
        detail = error.get("error", {})
        reason = str(detail.get("type", "unknown"))
        if detail.get("message"):
            reason += f": {detail['message']}"
        missing = [f"{ref.get('type')}/{ref.get('id')}" for ref in detail.get("references", [])]
        if missing:
            reason += f" ({', '.join(missing)})"
        label = f"{error.get('type')}/{error.get('id')}" + (f" ({title})" if title else "")
        reasons.append(f"{label}: {reason}")
    if summary.get("success") is not True and not reasons:
        reasons.append("Kibana reported success=false without details")
    return reasons


def import_probe(kibana: KibanaClient, ndjson: bytes) -> Probe[dict[str, Any]]:
    """One overwrite import; 429/5xx or no answer mean "again later" (re-importing is safe)."""
    try:
        return Probe(value=kibana.import_saved_objects(ndjson, overwrite=True))
    except EndpointUnreachable as exc:
        return Probe(reason=str(exc))
    except KibanaError as exc:
        if exc.retryable:
            return Probe(reason=str(exc))
        raise


def provision_kibana(
    kibana: KibanaClient,
    objects: list[dict[str, Any]],
    *,
    timeout: float,
    clock: Clock | None = None,
) -> int:
    """Import all objects (overwrite); returns how many Kibana accepted; fails listing reasons."""
    ndjson = build_ndjson(objects)
    summary = wait_until(
        lambda: import_probe(kibana, ndjson), what="Kibana import", timeout=timeout, clock=clock
    )
    reasons = import_failures(summary)
    if reasons:
        failed = f"Kibana import failed for {len(reasons)} object(s): "
        raise ElkctlError(failed + "; ".join(reasons))
    return int(summary.get("successCount", len(objects)))
