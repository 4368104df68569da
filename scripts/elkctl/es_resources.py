"""Thin Elasticsearch access for `setup`: read and write one object of each managed kind.

Request bodies follow the Elasticsearch API (checked against the OpenAPI description):
PUT _ilm/policy/<n> {"policy"}, PUT _component_template/<n> {"template", "_meta"},
PUT _index_template/<n> {"index_patterns", "composed_of", "priority", "data_stream", "_meta"},
PUT _security/role/<n>, PUT _security/user/<n>, POST _security/user/<n>/_password.
"""

from __future__ import annotations

from typing import Any

import elasticsearch


class ElasticsearchStore:
    def __init__(self, client: elasticsearch.Elasticsearch) -> None:
        self.client = client

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """The stored object in the same shape as its definition file, or None if missing."""
        read = {
            "ilm_policy": self._get_ilm_policy,
            "component_template": self._get_component_template,
            "index_template": self._get_index_template,
            "role": self._get_role,
            "user": self._get_user,
        }.get(kind)
        if read is None:
            raise ValueError(f"unknown kind {kind!r}")
        try:
            return read(name)
        except elasticsearch.NotFoundError:
            return None

    def _get_ilm_policy(self, name: str) -> dict[str, Any]:
        return {"policy": self.client.ilm.get_lifecycle(name=name)[name]["policy"]}

    def _get_component_template(self, name: str) -> dict[str, Any]:
        found = self.client.cluster.get_component_template(name=name)["component_templates"]
        return found[0]["component_template"]

    def _get_index_template(self, name: str) -> dict[str, Any]:
        found = self.client.indices.get_index_template(name=name)["index_templates"]
        return found[0]["index_template"]

    def _get_role(self, name: str) -> dict[str, Any]:
        return dict(self.client.security.get_role(name=name)[name])

    def _get_user(self, name: str) -> dict[str, Any]:
        return dict(self.client.security.get_user(username=name)[name])

    def put(self, kind: str, name: str, body: dict[str, Any]) -> None:
        if kind == "ilm_policy":
            self.client.ilm.put_lifecycle(name=name, body=body)
        elif kind == "component_template":
            self.client.cluster.put_component_template(name=name, body=body)
        elif kind == "index_template":
            self.client.indices.put_index_template(name=name, body=body)
        elif kind == "role":
            self.client.security.put_role(name=name, body=body)
        elif kind == "user":
            self.client.security.put_user(username=name, body=body)
        else:
            raise ValueError(f"unknown kind {kind!r}")

    def password_works(self, username: str, password: str) -> bool:
        """Whether `username` can log in with `password` (GET _security/_authenticate)."""
        try:
            self.client.options(basic_auth=(username, password)).security.authenticate()
        except elasticsearch.AuthenticationException:
            return False
        return True

    def set_password(self, username: str, password: str) -> None:
        self.client.security.change_password(username=username, body={"password": password})
