"""Shared fixtures: fake Elasticsearch 9 / Kibana 9 servers and an environment for elkctl.

Owned by the stack-elkctl branch. Other features keep their own fixtures in their test modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fake_stack import ELASTIC_PASSWORD, es_info, es_response


class ElasticServer(HTTPServer):
    """pytest-httpserver that always sends `X-Elastic-Product: Elasticsearch`.

    The official client refuses any server without that header (UnsupportedProductError).
    """

    def application(self, request: Request) -> Response:
        response = super().application(request)
        response.headers["X-Elastic-Product"] = "Elasticsearch"
        return response

    def respond_json(
        self,
        method: str,
        uri: str,
        body: Any,
        status: int = 200,
        *,
        query_string: str | dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer every matching request with `body` as Elasticsearch-flavoured JSON."""
        self.expect_request(uri, method=method, query_string=query_string).respond_with_response(
            es_response(body, status, headers)
        )

    def respond_info(self, version: str = "9.1.0") -> None:
        """`GET /`: the cluster info the client and `elkctl` read the version from."""
        self.respond_json("GET", "/", es_info(version))

    def requests_seen(self) -> list[tuple[str, str]]:
        """(method, path) of every request received so far."""
        return [(request.method, request.path) for request, _ in self.log]


def _running(server: HTTPServer) -> Iterator[HTTPServer]:
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


@pytest.fixture(scope="session")
def _es_session_server() -> Iterator[ElasticServer]:
    # One server per session (stopping one takes ~0.5 s); cleared between tests.
    yield from _running(ElasticServer(host="127.0.0.1", port=0))


@pytest.fixture(scope="session")
def _kibana_session_server() -> Iterator[HTTPServer]:
    yield from _running(HTTPServer(host="127.0.0.1", port=0))


@pytest.fixture
def es_server(_es_session_server: ElasticServer) -> Iterator[ElasticServer]:
    """A fake Elasticsearch 9 (no handlers yet): add them with `respond_json`/`expect_request`."""
    _es_session_server.clear()
    yield _es_session_server
    _es_session_server.clear()


@pytest.fixture
def kibana_server(_kibana_session_server: HTTPServer) -> Iterator[HTTPServer]:
    """A fake Kibana 9 (no handlers yet)."""
    _kibana_session_server.clear()
    yield _kibana_session_server
    _kibana_session_server.clear()


def server_url(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


@pytest.fixture
def elkctl_env(
    monkeypatch: pytest.MonkeyPatch, es_server: ElasticServer, kibana_server: HTTPServer
) -> dict[str, str]:
    """Point elkctl at the fakes through the environment; no `.env` file is read."""
    from elkctl.connection import ENV_KEYS  # lazily: only ops installs have elkctl

    for name in ENV_KEYS:  # every setting elkctl reads: none leaks in from the developer
        monkeypatch.delenv(name, raising=False)
    values = {
        "ELKCTL_ENV_FILE": "",
        "ELASTICSEARCH_URL": server_url(es_server),
        "ELASTIC_PASSWORD": ELASTIC_PASSWORD,
        "KIBANA_URL": server_url(kibana_server),
        "KIBANA_SYSTEM_PASSWORD": "test-kibana-system-password",
        "LOGSTASH_WRITER_PASSWORD": "test-logstash-writer-password",
        "ELKCTL_WAIT_TIMEOUT": "5",
        "ELKCTL_REQUEST_TIMEOUT": "5",
        # Retrying is tested on purpose where it matters; elsewhere fail fast.
        "ELKCTL_MAX_RETRIES": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def elkctl_settings(elkctl_env: dict[str, str]):
    """Settings loaded from `elkctl_env` (imported lazily: only ops installs have elkctl)."""
    from elkctl.connection import load_settings

    return load_settings()
