"""Logstash: pipelines parse (lscl), route to legal data streams, keep bad lines, stay idempotent.

lscl parses the pipeline files but knows nothing about plugins, so the `filter` section of
`main` is also run through a tiny interpreter of exactly the constructs it uses (mutate,
truncate, fingerprint, if/else). Anything else makes the interpreter fail loudly, so a
change to the pipeline cannot slip past these tests unexamined. The real check on a Docker
host is `bin/logstash -t`.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lscl.lang import (
    LsclAttribute,
    LsclBlock,
    LsclConditions,
    LsclEqualTo,
    LsclIn,
    LsclNot,
    LsclOr,
    LsclSelector,
)
from lscl.parser import parse_lscl

from tests.stack_support import ROOT, load_yaml

PIPELINE_DIR = ROOT / "logstash" / "pipeline"
PIPELINES = load_yaml(ROOT / "logstash" / "config" / "pipelines.yml")
SETTINGS = load_yaml(ROOT / "logstash" / "config" / "logstash.yml")
CONTAINER_PIPELINE_DIR = "/usr/share/logstash/pipeline/"
# Characters a data stream dataset or namespace must not contain (ECS data_stream fields).
FORBIDDEN = set('-\\/*?"<>|,#: \t\n')


def parse(name: str) -> list[Any]:
    return parse_lscl((PIPELINE_DIR / name).read_text(encoding="utf-8"))


def section(tree: list[Any], name: str) -> list[Any]:
    (block,) = [node for node in tree if isinstance(node, LsclBlock) and node.name == name]
    return block.content


def blocks(nodes: list[Any]) -> Iterator[LsclBlock]:
    """Every plugin block, also those inside if/else branches."""
    for node in nodes:
        if isinstance(node, LsclBlock):
            yield node
        elif isinstance(node, LsclConditions):
            for _condition, branch in node.conditions:
                yield from blocks(branch)
            yield from blocks(node.default or [])


def options(block: LsclBlock) -> dict[str, Any]:
    return {attr.name: attr.content for attr in block.content if isinstance(attr, LsclAttribute)}


def only(nodes: list[Any], name: str) -> dict[str, Any]:
    (block,) = [b for b in blocks(nodes) if b.name == name]
    return options(block)


# --- a tiny interpreter for the filter section -------------------------------------------


def path_of(reference: str) -> list[str]:
    return re.findall(r"\[([^\]]+)\]", reference) or [reference]


def get(event: dict, reference: str | list[str]) -> Any:
    node: Any = event
    for key in path_of(reference) if isinstance(reference, str) else reference:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def put(event: dict, reference: str, value: Any) -> None:
    *parents, last = path_of(reference)
    node = event
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def remove(event: dict, reference: str) -> None:
    *parents, last = path_of(reference)
    parent = get(event, parents) if parents else event
    if isinstance(parent, dict):
        parent.pop(last, None)


def value_of(operand: Any, event: dict) -> Any:
    return get(event, operand.names) if isinstance(operand, LsclSelector) else operand


def holds(condition: Any, event: dict) -> bool:
    if isinstance(condition, LsclSelector):
        return value_of(condition, event) not in (None, False)
    if isinstance(condition, LsclNot):
        return not holds(condition.condition, event)
    if isinstance(condition, LsclOr):
        return any(holds(c, event) for c in condition.conditions)
    if isinstance(condition, LsclEqualTo):
        return value_of(condition.first, event) == value_of(condition.second, event)
    if isinstance(condition, LsclIn):
        return value_of(condition.needle, event) in (value_of(condition.haystack, event) or [])
    raise AssertionError(f"interpreter does not know {condition!r}")


def pairs(content: Any) -> list[tuple[str, Any]]:
    if isinstance(content, dict):
        return list(content.items())
    return list(zip(content[0::2], content[1::2], strict=True))


def mutate(event: dict, opts: dict[str, Any]) -> None:
    for op, content in opts.items():
        if op == "remove_field":
            for reference in content:
                remove(event, reference)
        elif op == "add_tag":
            event.setdefault("tags", []).extend(content)
        elif op == "replace":
            for reference, value in pairs(content):
                put(event, reference, value)
        elif op == "copy":
            for source, target in pairs(content):
                if get(event, source) is not None:
                    put(event, target, copy.deepcopy(get(event, source)))
        elif op == "lowercase":
            for reference in content:
                if isinstance(get(event, reference), str):
                    put(event, reference, get(event, reference).lower())
        elif op == "gsub":
            for reference, (pattern, replacement) in zip(
                content[0::3], zip(content[1::3], content[2::3], strict=True), strict=True
            ):
                if isinstance(get(event, reference), str):
                    put(event, reference, re.sub(pattern, replacement, get(event, reference)))
        else:
            raise AssertionError(f"interpreter does not know mutate {op}")


def fingerprint(event: dict, opts: dict[str, Any]) -> None:
    assert opts["concatenate_sources"] == "true" and opts["method"] == "SHA256"
    text = "".join(f"|{source}|{get(event, source)}" for source in opts["source"]) + "|"
    put(event, opts["target"], hashlib.sha256(text.encode()).hexdigest())


def truncate(event: dict, opts: dict[str, Any]) -> None:
    for reference in opts["fields"]:
        value = get(event, reference)
        if isinstance(value, str):
            cut = value.encode()[: opts["length_bytes"]].decode(errors="ignore")
            put(event, reference, cut)


PLUGINS = {"mutate": mutate, "fingerprint": fingerprint, "truncate": truncate}


def run(nodes: list[Any], event: dict) -> dict:
    for node in nodes:
        if isinstance(node, LsclConditions):
            branch = next((b for c, b in node.conditions if holds(c, event)), node.default)
            run(branch or [], event)
        elif isinstance(node, LsclBlock) and node.name in PLUGINS:
            PLUGINS[node.name](event, options(node))
        else:
            raise AssertionError(f"interpreter does not know {node!r}")
    return event


MAIN_FILTER = section(parse("main.conf"), "filter")


def through_main(event: dict) -> dict:
    return run(MAIN_FILTER, copy.deepcopy(event))


def ecs_event(**overrides: Any) -> dict:
    """An event as Filebeat's ndjson parser hands a python_logging line to Logstash."""
    event = {
        "@timestamp": "2026-11-23T06:45:44.123Z",
        "message": "GET /cart 200",
        "log": {"level": "info", "logger": "shop.http", "offset": 4096,
                "file": {"path": "/var/log/apps/checkout.log"}},
        "service": {"name": "checkout", "environment": "production"},
        "process": {"pid": 7, "thread": {"id": 140}},
        "http": {"request": {"id": "req-1"}},
        "event": {"dataset": "checkout", "original": "{...}"},
        "agent": {"type": "filebeat"},
    }
    for reference, value in overrides.items():
        put(event, reference, value)
    return event


# --- the pipeline files ------------------------------------------------------------------


def test_pipelines_yml_runs_every_pipeline_file_once():
    ids = [p["pipeline.id"] for p in PIPELINES]
    assert ids == ["main", "dlq"]
    configured = sorted(p["path.config"] for p in PIPELINES)
    present = sorted(CONTAINER_PIPELINE_DIR + f.name for f in PIPELINE_DIR.glob("*.conf"))
    assert configured == present


@pytest.mark.parametrize("name", sorted(f.name for f in PIPELINE_DIR.glob("*.conf")))
def test_pipeline_parses_into_input_filter_output(name):
    assert [node.name for node in parse(name)] == ["input", "filter", "output"]


@pytest.mark.parametrize("name", sorted(f.name for f in PIPELINE_DIR.glob("*.conf")))
def test_nothing_is_ever_dropped(name):
    assert "drop" not in {block.name for block in blocks(section(parse(name), "filter"))}


def test_main_reads_beats_on_5044():
    assert [b.name for b in section(parse("main.conf"), "input")] == ["beats"]
    assert only(section(parse("main.conf"), "input"), "beats")["port"] == 5044


@pytest.mark.parametrize("name", ["main.conf", "dlq.conf"])
def test_output_is_a_data_stream_written_by_the_least_privileged_user(name):
    output = section(parse(name), "output")
    assert [b.name for b in output] == ["elasticsearch"]
    opts = only(output, "elasticsearch")
    assert opts["data_stream"] == "true"
    assert opts["data_stream_type"] == "logs"
    assert opts["data_stream_auto_routing"] == "true"
    assert opts["user"] == "logstash_writer"
    assert opts["password"] == "${LOGSTASH_WRITER_PASSWORD}"
    assert all(host.startswith("https://") for host in opts["hosts"])
    assert opts["ssl_certificate_authorities"] == ["/usr/share/logstash/config/certs/ca.crt"]
    # Rejected in data stream mode, and templates/ILM belong to `elkctl setup`.
    forbidden = [key for key in opts if key == "index" or key.startswith(("ilm_", "template"))]
    assert forbidden == [] and "manage_template" not in opts
    assert opts.get("action", "create") == "create"


def test_document_id_is_the_fingerprint_of_the_line():
    opts = only(MAIN_FILTER, "fingerprint")
    document_id = only(section(parse("main.conf"), "output"), "elasticsearch")["document_id"]
    assert document_id == "%{" + opts["target"] + "}"
    assert opts["target"].startswith("[@metadata]")  # not stored in the document
    sources = set(opts["source"])
    assert {"@timestamp", "message", "[log][offset]", "[service][name]"} <= sources
    # Fields that change when the same line is re-sent must not be hashed.
    assert not [s for s in sources if s.startswith(("[log][file]", "[agent]", "[host]"))]


def test_the_same_line_resent_from_a_rotated_file_gets_the_same_id():
    first = through_main(ecs_event())
    resent = through_main(ecs_event(**{
        "[log][file][path]": "/var/log/apps/checkout.20261123T064544123456Z.log",
        "[agent][ephemeral_id]": "after-restart",
    }))
    other_line = through_main(ecs_event(**{"[log][offset]": 8192}))
    assert get(first, "[@metadata][document_id]") == get(resent, "[@metadata][document_id]")
    assert get(first, "[@metadata][document_id]") != get(other_line, "[@metadata][document_id]")


# --- routing -----------------------------------------------------------------------------


def test_a_python_logging_line_goes_to_its_service_and_environment_stream():
    event = through_main(ecs_event())
    assert event["data_stream"] == {"type": "logs", "dataset": "checkout",
                                    "namespace": "production"}
    assert "original" not in event["event"]
    assert event["service"] == {"name": "checkout", "environment": "production"}
    assert "tags" not in event


def test_names_are_sanitised_into_legal_dataset_and_namespace():
    event = through_main(ecs_event(**{
        "[service][name]": 'Billing-API/v2 "EU"',
        "[service][environment]": "Prod:EU-West#1",
    }))
    assert event["data_stream"]["dataset"] == "billing_api_v2__eu_"
    assert event["data_stream"]["namespace"] == "prod_eu_west_1"
    assert event["service"]["name"] == 'Billing-API/v2 "EU"'  # the original is kept


@given(
    name=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=300),
    environment=st.text(st.characters(min_codepoint=9, max_codepoint=126), min_size=1,
                        max_size=300),
)
def test_any_service_name_and_environment_yield_a_legal_stream(name, environment):
    stream = through_main(ecs_event(**{
        "[service][name]": name, "[service][environment]": environment,
    }))["data_stream"]
    for part in (stream["dataset"], stream["namespace"]):
        assert not FORBIDDEN & set(part)
        assert part == part.lower()
        assert len(part.encode()) <= 100


def test_missing_environment_goes_to_the_default_namespace():
    event = ecs_event()
    del event["service"]["environment"]
    assert through_main(event)["data_stream"]["namespace"] == "default"


def test_a_line_that_is_not_json_is_kept_tagged_and_searchable():
    # What Filebeat's ndjson parser (add_error_key) emits for a non-JSON line.
    raw = {
        "@timestamp": "2026-11-23T06:45:44.123Z",
        "message": "Traceback (most recent call last):",
        "error": {"type": "json", "message": "Error decoding JSON: invalid character 'T'"},
        "log": {"offset": 0, "file": {"path": "/var/log/apps/checkout.log"}},
    }
    event = through_main(raw)
    assert event["tags"] == ["malformed_json"]
    assert event["data_stream"] == {"type": "logs", "dataset": "unparsed", "namespace": "default"}
    assert event["message"] == raw["message"]


def test_json_without_a_service_name_is_kept_and_tagged():
    event = ecs_event()
    del event["service"]
    routed = through_main(event)
    assert routed["tags"] == ["missing_service_name"]
    assert routed["data_stream"]["dataset"] == "unparsed"


# --- dead letters and settings -----------------------------------------------------------


def test_dead_letters_of_main_are_reindexed_as_text():
    dlq = parse("dlq.conf")
    source = only(section(dlq, "input"), "dead_letter_queue")
    assert source["pipeline_id"] == "main"
    assert source["path"] == "/usr/share/logstash/data/dead_letter_queue"
    assert source["commit_offsets"] == "true"
    mutate_opts = only(section(dlq, "filter"), "mutate")
    assert mutate_opts["add_tag"] == ["dead_letter"]
    assert mutate_opts["replace"]["[data_stream][dataset]"] == "deadletter"
    assert "[@metadata][dead_letter_queue][reason]" in mutate_opts["add_field"]["[error][message]"]
    (dlq_settings,) = [p for p in PIPELINES if p["pipeline.id"] == "dlq"]
    assert dlq_settings["dead_letter_queue.enable"] is False  # no dead-letter loop


def test_logstash_yml_persists_the_queue_and_dead_letters():
    assert SETTINGS["queue.type"] == "persisted"
    assert SETTINGS["dead_letter_queue.enable"] is True
    assert "path.queue" not in SETTINGS and "path.dead_letter_queue" not in SETTINGS
    assert SETTINGS["api.http.host"] == "0.0.0.0"
    assert SETTINGS["api.http.port"] == 9600
