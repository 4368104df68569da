"""`setup`, Elasticsearch half: readiness, version check, plan and apply the definitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import elastic_transport
import elasticsearch

from elkctl.connection import CLIENT_MAJOR, ENV_KEYS, RETRY_STATUSES, ElkctlError, Settings, require
from elkctl.definitions import Definition
from elkctl.es_resources import ElasticsearchStore
from elkctl.plan import CREATE, SET_PASSWORD, UNCHANGED, Change, decide
from elkctl.waiting import Probe


def check_version(info: dict[str, Any], url: str) -> str:
    """The server's version; ElkctlError if its major differs from the client's."""
    number = str(info.get("version", {}).get("number", "?"))
    major = number.partition(".")[0]
    if major != str(CLIENT_MAJOR):
        raise ElkctlError(
            f"version mismatch: Elasticsearch at {url} is {number}, elkctl's client is "
            f"{CLIENT_MAJOR}.x; use a {CLIENT_MAJOR}.x STACK_VERSION"
        )
    return number


def elasticsearch_probe(client: elasticsearch.Elasticsearch, url: str) -> Probe[str]:
    """Ready when `GET /` answers with a matching version and health is not red.

    Refused connections and 429/5xx (a starting cluster) are "not yet"; anything else raises.
    """
    try:
        version = check_version(client.info(), url)
        status = client.cluster.health()["status"]
    except elastic_transport.TlsError:
        raise
    except elastic_transport.ConnectionError as exc:
        return Probe(reason=f"unreachable ({exc})")
    except elasticsearch.ApiError as exc:
        if exc.status_code in RETRY_STATUSES:
            return Probe(reason=f"HTTP {exc.status_code}")
        raise
    if status == "red":
        return Probe(reason="cluster health is red")
    return Probe(value=version)


def password_for(definition: Definition, settings: Settings) -> str:
    variable = definition.body.get("_password_variable")
    if variable not in ENV_KEYS:
        raise ElkctlError(f"{definition.source}: _password_variable must name one of the settings")
    return require(getattr(settings, ENV_KEYS[variable]), variable)


def public_body(body: dict[str, Any]) -> dict[str, Any]:
    """The definition without elkctl-only keys (those starting with `_` other than `_meta`)."""
    return {key: value for key, value in body.items() if key == "_meta" or not key.startswith("_")}


def password_change(store: ElasticsearchStore, username: str, password: str) -> Change:
    if store.password_works(username, password):
        return Change("password", username, UNCHANGED)
    return Change(
        "password",
        username,
        SET_PASSWORD,
        "configured password does not log in",
        {"password": password},
    )


def plan_user(
    definition: Definition, store: ElasticsearchStore, settings: Settings
) -> list[Change]:
    password = password_for(definition, settings)
    if definition.body.get("_reserved"):
        return [password_change(store, definition.name, password)]
    desired = public_body(definition.body)
    change = decide("user", definition.name, desired, store.get("user", definition.name))
    if change.action == CREATE:  # a new user is created with its password in one request
        return [replace(change, body={**change.body, "password": password})]
    return [change, password_change(store, definition.name, password)]


def plan_elasticsearch(
    definitions: Iterable[Definition], store: ElasticsearchStore, settings: Settings
) -> list[Change]:
    """Compare every definition with the cluster (GET requests only)."""
    changes: list[Change] = []
    for definition in definitions:
        if definition.kind == "user":
            changes += plan_user(definition, store, settings)
        else:
            stored = store.get(definition.kind, definition.name)
            changes.append(decide(definition.kind, definition.name, definition.body, stored))
    return changes


def apply_elasticsearch(changes: Iterable[Change], store: ElasticsearchStore) -> None:
    """Send the mutating changes in plan order."""
    for change in changes:
        if not change.mutates:
            continue
        if change.kind == "password":
            store.set_password(change.name, change.body["password"])
        else:
            store.put(change.kind, change.name, change.body)
