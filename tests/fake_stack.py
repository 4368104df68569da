"""Stateful fakes of Elasticsearch 9 and Kibana 9 for elkctl tests.

Responses use the shapes of the official API docs; the fakes remember what was PUT and add
the defaults a real server adds on read, so desired-versus-stored comparison is exercised.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

ES_CONTENT_TYPE = "application/vnd.elasticsearch+json;compatible-with=9"
ELASTIC_PASSWORD = "test-elastic-password"


def es_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type=ES_CONTENT_TYPE
    )


# What an 8.x server answers to the 9.x client's `compatible-with=9` Accept header.
_ES8_REASON = "Accept version must be either version 8 or 7, but found 9."
ES8_REJECTS_CLIENT_9 = {
    "error": {
        "root_cause": [{"type": "media_type_header_exception", "reason": _ES8_REASON}],
        "type": "media_type_header_exception",
        "reason": "Invalid media-type value on headers [Accept]",
        "caused_by": {"type": "status_exception", "reason": _ES8_REASON},
    },
    "status": 400,
}


def es_error_body(status: int, error_type: str, reason: str) -> dict[str, Any]:
    """The documented error body: `error.type`/`reason` with the same cause as `root_cause`."""
    cause = {"type": error_type, "reason": reason}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def es_error(status: int, error_type: str, reason: str) -> Response:
    return es_response(es_error_body(status, error_type, reason), status)


def search_reply(
    aggregations: dict[str, Any] | None = None, hits: list | None = None, total: int = 0
) -> dict[str, Any]:
    """A `_search` answer: the hits envelope, plus `aggregations` when given."""
    reply: dict[str, Any] = {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None,
                 "hits": hits or []},
    }
    if aggregations is not None:
        reply["aggregations"] = aggregations
    return reply


def es_info(version: str = "9.1.0") -> dict[str, Any]:
    """The documented `GET /` body of Elasticsearch."""
    return {
        "name": "es01",
        "cluster_name": "docker-cluster",
        "cluster_uuid": "7Yq1B6oGQ1eSxDo-test-uuid",
        "version": {
            "number": version,
            "build_flavor": "default",
            "build_type": "docker",
            "lucene_version": "10.2.2",
            "minimum_wire_compatibility_version": "8.19.0",
            "minimum_index_compatibility_version": "8.0.0",
        },
        "tagline": "You Know, for Search",
    }


def cluster_health(status: str = "green") -> dict[str, Any]:
    return {
        "cluster_name": "docker-cluster",
        "status": status,
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 12,
        "active_shards": 12,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    }


def _stringify_settings(value: Any) -> Any:
    # Elasticsearch returns every index setting as a string.
    if isinstance(value, dict):
        return {key: _stringify_settings(item) for key, item in value.items()}
    if isinstance(value, bool):
        return json.dumps(value)
    return value if isinstance(value, str) else str(value)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


class FakeElasticsearch:
    """Routes every request to a handler; `state` survives between requests of one test."""

    def __init__(self, version: str = "9.1.0", health: str = "green") -> None:
        self.version = version
        self.health = health
        self.policies: dict[str, Any] = {}
        self.component_templates: dict[str, Any] = {}
        self.index_templates: dict[str, Any] = {}
        self.roles: dict[str, Any] = {}
        self.users: dict[str, Any] = {}
        # username -> password; reserved users exist from the start without a usable password
        self.passwords: dict[str, str | None] = {"elastic": ELASTIC_PASSWORD, "kibana_system": None}
        self.data_streams: dict[str, dict[str, Any]] = {}
        self.documents: list[dict[str, Any]] = []
        self.ingest_from: Path | None = None
        # Answer this many requests with 503 / 429 first, like a starting or busy cluster.
        self.starting = 0
        self.too_many = 0
        self.mutations: list[tuple[str, str]] = []

    def install(self, server) -> FakeElasticsearch:
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        if self.starting:
            self.starting -= 1
            return es_error(503, "master_not_discovered_exception", "no master yet")
        if self.too_many:
            self.too_many -= 1
            return es_error(429, "es_rejected_execution_exception", "rejected execution")
        credentials = _basic_credentials(request)
        if credentials is None or self.passwords.get(credentials[0]) != credentials[1]:
            return es_error(401, "security_exception", "unable to authenticate user")
        if request.method not in ("GET", "HEAD"):
            self.mutations.append((request.method, request.path))
        for pattern, method, handler in self.routes():
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                return handler(request, *match.groups())
        return es_error(
            400, "illegal_argument_exception", f"no fake route {request.method} {request.path}"
        )

    def routes(self):
        return [
            (r"/", "GET", lambda r: es_response(es_info(self.version))),
            (r"/_cluster/health", "GET", lambda r: es_response(cluster_health(self.health))),
            (r"/_ilm/policy/([^/]+)", "GET", self.get_policy),
            (r"/_ilm/policy/([^/]+)", "PUT", self.put_policy),
            (r"/_component_template/([^/]+)", "GET", self.get_component_template),
            (r"/_component_template/([^/]+)", "PUT", self.put_component_template),
            (r"/_index_template/([^/]+)", "GET", self.get_index_template),
            (r"/_index_template/([^/]+)", "PUT", self.put_index_template),
            (r"/_security/role/([^/]+)", "GET", self.get_role),
            (r"/_security/role/([^/]+)", "PUT", self.put_role),
            (r"/_security/user/([^/]+)", "GET", self.get_user),
            (r"/_security/user/([^/]+)", "PUT", self.put_user),
            # The API accepts PUT and POST; the Python client sends PUT.
            (r"/_security/user/([^/]+)/_password", "POST", self.change_password),
            (r"/_security/user/([^/]+)/_password", "PUT", self.change_password),
            (r"/_security/_authenticate", "GET", self.authenticate),
            (r"/_data_stream/([^/]+)/_stats", "GET", self.data_stream_stats),
            (r"/([^/_][^/]*)/_search", "POST", self.search),
            (r"/([^/_][^/]*)/_search", "GET", self.search),
        ]

    def data_stream_stats(self, request: Request, pattern: str) -> Response:
        """GET _data_stream/<pattern>/_stats, from `self.data_streams` {name: stats}."""
        streams = [
            {"data_stream": name, **stats} for name, stats in sorted(self.data_streams.items())
        ]
        return es_response(
            {
                "_shards": {"total": len(streams), "successful": len(streams), "failed": 0},
                "data_stream_count": len(streams),
                "backing_indices": sum(s.get("backing_indices", 0) for s in streams),
                "total_store_size_bytes": sum(s.get("store_size_bytes", 0) for s in streams),
                "data_streams": streams,
            }
        )

    def ingest(self) -> None:
        """Stand-in for Filebeat + Logstash: read every JSON line of `ingest_from/*.log`."""
        if self.ingest_from is None:
            return
        self.documents = [
            json.loads(line)
            for path in sorted(self.ingest_from.glob("*.log"))
            for line in path.read_text().splitlines()
            if line.strip()
        ]

    def search(self, request: Request, index: str) -> Response:
        """Supports the `match_phrase` on `message` that `elkctl verify` sends."""
        self.ingest()
        phrase = request.json["query"]["match_phrase"]["message"]
        hits = [
            {
                "_index": ".ds-logs-verify-default-2026.11.23-000001",
                "_id": str(n),
                "_score": 1.0,
                "_source": doc,
            }
            for n, doc in enumerate(self.documents)
            if phrase in str(doc.get("message", ""))
        ]
        return es_response(search_reply(hits=hits, total=len(hits)))

    # ILM: GET answers {name: {version, modified_date, policy, in_use_by}}
    def get_policy(self, request: Request, name: str) -> Response:
        if name not in self.policies:
            return es_error(
                404, "resource_not_found_exception", f"Lifecycle policy not found: {name}"
            )
        policy = self.policies[name]
        return es_response(
            {
                name: {
                    "version": 1,
                    "modified_date": "2026-11-23T07:00:00.000Z",
                    "policy": policy,
                    "in_use_by": {"indices": [], "data_streams": [], "composable_templates": []},
                }
            }
        )

    def put_policy(self, request: Request, name: str) -> Response:
        self.policies[name] = copy.deepcopy(request.json["policy"])
        return es_response({"acknowledged": True})

    def get_component_template(self, request: Request, name: str) -> Response:
        if name not in self.component_templates:
            return es_error(
                404,
                "resource_not_found_exception",
                f"component template matching [{name}] not found",
            )
        return es_response(
            {
                "component_templates": [
                    {"name": name, "component_template": self.component_templates[name]}
                ]
            }
        )

    def put_component_template(self, request: Request, name: str) -> Response:
        body = copy.deepcopy(request.json)
        template = body.get("template", {})
        if "settings" in template:
            template["settings"] = _stringify_settings(template["settings"])
        self.component_templates[name] = body
        return es_response({"acknowledged": True})

    def get_index_template(self, request: Request, name: str) -> Response:
        if name not in self.index_templates:
            return es_error(
                404, "resource_not_found_exception", f"index template matching [{name}] not found"
            )
        return es_response(
            {"index_templates": [{"name": name, "index_template": self.index_templates[name]}]}
        )

    def put_index_template(self, request: Request, name: str) -> Response:
        body = copy.deepcopy(request.json)
        if "data_stream" in body:
            body["data_stream"] = {
                "hidden": False,
                "allow_custom_routing": False,
                **body["data_stream"],
            }
        self.index_templates[name] = body
        return es_response({"acknowledged": True})

    def get_role(self, request: Request, name: str) -> Response:
        if name not in self.roles:
            return es_response({}, 404)
        return es_response({name: self.roles[name]})

    def put_role(self, request: Request, name: str) -> Response:
        body = copy.deepcopy(request.json)
        for entry in body.get("indices", []):
            entry.setdefault("allow_restricted_indices", False)
        created = name not in self.roles
        self.roles[name] = {
            "applications": [],
            "run_as": [],
            "metadata": {},
            "transient_metadata": {"enabled": True},
            **body,
        }
        return es_response({"role": {"created": created}})

    def get_user(self, request: Request, name: str) -> Response:
        if name == "kibana_system":
            return es_response(
                {
                    name: {
                        "username": name,
                        "roles": ["kibana_system"],
                        "full_name": None,
                        "email": None,
                        "metadata": {"_reserved": True},
                        "enabled": True,
                    }
                }
            )
        if name not in self.users:
            return es_response({}, 404)
        return es_response({name: self.users[name]})

    def put_user(self, request: Request, name: str) -> Response:
        body = copy.deepcopy(request.json)
        created = name not in self.users
        if "password" in body:
            self.passwords[name] = body.pop("password")
        elif created:
            return es_error(
                400, "action_request_validation_exception", "password must be specified"
            )
        self.users[name] = {
            "username": name,
            "email": None,
            "metadata": {},
            "enabled": True,
            **body,
        }
        return es_response({"created": created})

    def change_password(self, request: Request, name: str) -> Response:
        if name not in self.passwords:
            return es_error(404, "resource_not_found_exception", f"user [{name}] not found")
        self.passwords[name] = request.json["password"]
        return es_response({})

    def authenticate(self, request: Request) -> Response:
        user = _basic_credentials(request)[0]
        return es_response(
            {
                "username": user,
                "roles": [],
                "enabled": True,
                "authentication_realm": {"name": "reserved", "type": "reserved"},
            }
        )


class FakeKibana:
    """Kibana 9 status and saved-objects import; stores imported objects by (type, id)."""

    def __init__(self, level: str = "available") -> None:
        self.level = level
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail_ids: dict[str, dict[str, Any]] = {}
        self.imports = 0
        # Answer this many imports with this status first (e.g. 503 while Kibana restarts).
        self.import_rejections: list[int] = []

    def install(self, server) -> FakeKibana:
        server.expect_request("/api/status", method="GET").respond_with_handler(self.status)
        server.expect_request("/api/saved_objects/_import", method="POST").respond_with_handler(
            self.import_objects
        )
        return self

    def status(self, request: Request) -> Response:
        code = 200 if self.level in ("available", "degraded") else 503
        body = {
            "name": "kibana",
            "uuid": "5b2de169-2785-441b-ae8c-186a1936b17d",
            "version": {"number": "9.1.0", "build_snapshot": False},
            "status": {
                "overall": {"level": self.level, "summary": f"All services are {self.level}"}
            },
        }
        return Response(json.dumps(body), code, content_type="application/json")

    def import_objects(self, request: Request) -> Response:
        if request.headers.get("kbn-xsrf") != "true" or request.args.get("overwrite") != "true":
            return Response(json.dumps({"statusCode": 400, "message": "bad request"}), 400)
        if self.import_rejections:
            code = self.import_rejections.pop(0)
            body = {"statusCode": code, "error": "Service Unavailable", "message": "not ready"}
            return Response(json.dumps(body), code, content_type="application/json")
        upload = request.files["file"]
        if not upload.filename.endswith(".ndjson"):
            return Response(
                json.dumps({"statusCode": 415, "message": "Invalid file extension"}), 415
            )
        self.imports += 1
        errors, results = [], []
        for line in upload.read().decode().splitlines():
            obj = json.loads(line)
            if obj["id"] in self.fail_ids:
                errors.append(
                    {
                        "id": obj["id"],
                        "type": obj["type"],
                        "title": obj["attributes"].get("title"),
                        "meta": {"title": obj["attributes"].get("title")},
                        "error": self.fail_ids[obj["id"]],
                    }
                )
                continue
            self.objects[(obj["type"], obj["id"])] = obj
            results.append({"type": obj["type"], "id": obj["id"], "meta": {}, "overwrite": True})
        body = {"success": not errors, "successCount": len(results), "successResults": results}
        if errors:
            body["errors"] = errors
        return Response(json.dumps(body), 200, content_type="application/json")
