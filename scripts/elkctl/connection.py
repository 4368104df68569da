"""Connection settings and the one thin HTTP layer elkctl uses to talk to the stack.

Everything that crosses the network lives here (the Elasticsearch client factory and a small
JSON-over-HTTP client for Kibana, Logstash and Filebeat); the commands above it compute plans
from plain data and are tested without a network.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import elasticsearch

from elkctl.envfile import EnvSyntaxError, parse_env

DEFAULT_ENV_FILE = Path(".env")
# ELKCTL_ENV_FILE names another file; an empty value means "read no file at all".
ENV_FILE_VARIABLE = "ELKCTL_ENV_FILE"
CLIENT_MAJOR = int(elasticsearch.__versionstr__.partition(".")[0])
# Elasticsearch answers 429 when overloaded and 503 while it starts or elects a master.
RETRY_STATUSES = (429, 502, 503, 504)
# Kibana is called with the same credentials as Elasticsearch, so a 401 from either has one fix.
CREDENTIALS_FIX = (
    "check ELASTIC_PASSWORD / ELASTICSEARCH_API_KEY (a stale data volume keeps old passwords)"
)


class ElkctlError(Exception):
    """A failure explained in one line; the CLI prints it as `elkctl: <reason>` and exits 1."""

    exit_code = 1


class EndpointUnreachable(ElkctlError):
    """No HTTP answer at all (refused, DNS, timeout): worth retrying while the stack starts."""


class KibanaError(ElkctlError):
    """Kibana answered, but refused or failed the request."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def retryable(self) -> bool:
        """Busy (429) or not ready (5xx): an overwrite import may simply be sent again."""
        return self.status in RETRY_STATUSES


@dataclass(frozen=True)
class Settings:
    """How to reach the stack. Built by `load_settings`; never read from ../shared."""

    elasticsearch_url: str = "https://localhost:9200"
    elastic_username: str = "elastic"
    elastic_password: str | None = None
    api_key: str | None = None
    ca_cert: Path | None = None
    kibana_url: str = "http://localhost:5601"
    kibana_system_password: str | None = None
    logstash_writer_password: str | None = None
    log_retention_days: int = 30
    logstash_url: str = "http://localhost:9600"
    filebeat_url: str = "http://localhost:5066"
    # Where `make up` publishes Elasticsearch and Kibana (docker-compose.elk.yml); `doctor`.
    bind_address: str = "127.0.0.1"
    es_port: int = 9200
    kibana_port: int = 5601
    # The directory Filebeat ships (mounted read-only into its container); `verify` writes there.
    log_dir: Path = Path("logs")
    # How long to wait for a starting Elasticsearch or Kibana before giving up (seconds).
    wait_timeout: float = 180.0
    request_timeout: float = 30.0
    # Retries per Elasticsearch request on 429/5xx/refused connections, with backoff.
    max_retries: int = 5


# Environment variable -> Settings field. Documented in the README's elkctl section.
ENV_KEYS: dict[str, str] = {
    "ELASTICSEARCH_URL": "elasticsearch_url",
    "ELASTICSEARCH_USERNAME": "elastic_username",
    "ELASTIC_PASSWORD": "elastic_password",
    "ELASTICSEARCH_API_KEY": "api_key",
    "ELASTICSEARCH_CA_CERT": "ca_cert",
    "KIBANA_URL": "kibana_url",
    "KIBANA_SYSTEM_PASSWORD": "kibana_system_password",
    "LOGSTASH_WRITER_PASSWORD": "logstash_writer_password",
    "LOG_RETENTION_DAYS": "log_retention_days",
    "LOGSTASH_API_URL": "logstash_url",
    "FILEBEAT_HTTP_URL": "filebeat_url",
    "LOG_DIR": "log_dir",
    "BIND_ADDRESS": "bind_address",
    "ES_PORT": "es_port",
    "KIBANA_PORT": "kibana_port",
    "ELKCTL_WAIT_TIMEOUT": "wait_timeout",
    "ELKCTL_REQUEST_TIMEOUT": "request_timeout",
    "ELKCTL_MAX_RETRIES": "max_retries",
}
URL_KEYS = ("ELASTICSEARCH_URL", "KIBANA_URL", "LOGSTASH_API_URL", "FILEBEAT_HTTP_URL")
PATH_KEYS = ("ELASTICSEARCH_CA_CERT", "LOG_DIR")


def parse_env_file(text: str, source: str = ".env") -> dict[str, str]:
    """KEY -> value of `.env` text (syntax: `elkctl.envfile`); a malformed line is an error."""
    try:
        return parse_env(text)
    except EnvSyntaxError as exc:
        raise ElkctlError(f"{source} {exc}") from None


def _positive_number(key: str, text: str, kind: type) -> int | float:
    try:
        number = kind(text)
    except ValueError:
        number = 0
    if number <= 0:
        raise ElkctlError(f"{key}={text!r} is not a positive {kind.__name__}; fix it in .env")
    return number


def _non_negative_int(key: str, text: str) -> int:
    if not text.strip().isdigit():
        raise ElkctlError(f"{key}={text!r} is not a whole number >= 0; fix it in .env")
    return int(text)


def _field_value(key: str, text: str) -> Any:
    if key in ("LOG_RETENTION_DAYS", "ES_PORT", "KIBANA_PORT"):
        return _positive_number(key, text, int)
    if key == "ELKCTL_MAX_RETRIES":
        return _non_negative_int(key, text)
    if key in ("ELKCTL_WAIT_TIMEOUT", "ELKCTL_REQUEST_TIMEOUT"):
        return _positive_number(key, text, float)
    if key in PATH_KEYS:
        return Path(text)
    if key in URL_KEYS:
        if not text.startswith(("http://", "https://")):
            raise ElkctlError(f"{key}={text!r} must start with http:// or https://")
        return text.rstrip("/")
    return text


def anchored_paths(values: Mapping[str, str], base: Path) -> dict[str, str]:
    """File values with relative paths taken relative to `base`, the `.env` file's directory.

    docker compose reads `LOG_DIR=./logs` relative to the project directory, so elkctl must
    too: cron and systemd start it in $HOME or `/`, where `./logs` is another directory.
    """
    return {
        key: str(base / value)
        if key in PATH_KEYS and value.strip() and not Path(value).is_absolute()
        else value
        for key, value in values.items()
    }


def settings_from_values(values: Mapping[str, str]) -> Settings:
    """Build Settings from merged KEY=VALUE pairs; empty values count as unset."""
    fields = {
        field: _field_value(key, values[key])
        for key, field in ENV_KEYS.items()
        if values.get(key, "").strip()
    }
    return Settings(**fields)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Settings from `.env` (generated by `make up`) overridden by the process environment.

    `env_file` defaults to $ELKCTL_ENV_FILE, else `./.env`; a missing file is fine (defaults
    and the environment apply), an unreadable or malformed one is an error. Relative paths
    in the file are relative to its directory; in the environment, to the working directory.
    """
    environ = os.environ if environ is None else environ
    if env_file is None:
        chosen = environ.get(ENV_FILE_VARIABLE)
        env_file = DEFAULT_ENV_FILE if chosen is None else (Path(chosen) if chosen else None)
    values: dict[str, str] = {}
    if env_file is not None and env_file.exists():
        try:
            text = env_file.read_text(encoding="utf-8")
            values.update(anchored_paths(parse_env_file(text, str(env_file)), env_file.parent))
        except OSError as exc:
            raise ElkctlError(f"cannot read {env_file}: {exc.strerror}") from exc
    values.update({key: environ[key] for key in ENV_KEYS if key in environ})
    return settings_from_values(values)


def require(value: str | None, key: str) -> str:
    """The value of a secret a command needs, or a one-line error naming the variable."""
    if not value:
        raise ElkctlError(f"{key} is not set; export it or run `make up` to generate .env")
    return value


def elastic_password(settings: Settings) -> str:
    """The `elastic` user's password, which Elasticsearch and Kibana need without an API key."""
    return require(settings.elastic_password, "ELASTIC_PASSWORD (or ELASTICSEARCH_API_KEY)")


def ca_cert_file(settings: Settings) -> str | None:
    """The configured CA certificate (also used for HTTPS to Kibana), checked to exist."""
    if settings.ca_cert is None:
        return None
    if not settings.ca_cert.is_file():
        raise ElkctlError(f"ELASTICSEARCH_CA_CERT={settings.ca_cert} is not a readable file")
    return str(settings.ca_cert)


def elasticsearch_client(settings: Settings) -> elasticsearch.Elasticsearch:
    """A 9.x client that retries 429/5xx and refused connections with jittered backoff."""
    if settings.api_key:
        auth: dict[str, Any] = {"api_key": settings.api_key}
    else:
        auth = {"basic_auth": (settings.elastic_username, elastic_password(settings))}
    if settings.ca_cert is not None:
        auth["ca_certs"] = ca_cert_file(settings)
    return elasticsearch.Elasticsearch(
        settings.elasticsearch_url,
        **auth,
        request_timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        retry_on_status=RETRY_STATUSES,
        retry_on_timeout=True,
        # Full-jitter backoff between retries (elastic-transport `retry_backoff_*`).
        retry_backoff_base=0.5,
        retry_backoff_cap=8.0,
    )


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: Any  # parsed JSON, or the raw text when the body is not JSON


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_cert_file(settings))
    except ssl.SSLError as exc:
        raise ElkctlError(f"ELASTICSEARCH_CA_CERT={settings.ca_cert}: {exc}") from exc


def _parse_body(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def http_request(
    method: str,
    url: str,
    settings: Settings,
    *,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    service: str = "HTTP endpoint",
) -> HttpResponse:
    """One HTTP request; any status is returned, only unreachable hosts raise (one line)."""
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    context = _ssl_context(settings) if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(
            request, timeout=settings.request_timeout, context=context
        ) as reply:
            return HttpResponse(reply.status, _parse_body(reply.read()))
    except urllib.error.HTTPError as exc:
        return HttpResponse(exc.code, _parse_body(exc.read()))
    except urllib.error.URLError as exc:
        raise EndpointUnreachable(f"cannot reach {service} at {url}: {exc.reason}") from exc
    except (TimeoutError, ConnectionError) as exc:
        raise EndpointUnreachable(f"cannot reach {service} at {url}: {exc}") from exc
    except http.client.HTTPException as exc:
        # Something answered, but not with HTTP (e.g. a TLS port behind an http:// URL).
        raise EndpointUnreachable(
            f"no valid HTTP answer from {service} at {url} ({type(exc).__name__}); "
            "check the URL's scheme and port"
        ) from exc


def get_json(url: str, settings: Settings, *, service: str) -> HttpResponse:
    """GET a JSON endpoint without credentials (Logstash :9600, Filebeat :5066)."""
    return http_request(
        "GET", url, settings, headers={"Accept": "application/json"}, service=service
    )


def multipart_file(field: str, filename: str, content: bytes) -> tuple[str, bytes]:
    """Encode a single-file multipart/form-data body; returns (content type, body)."""
    boundary = f"elkctl-{uuid.uuid4().hex}"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'.encode(),
            b"Content-Type: application/ndjson\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return f"multipart/form-data; boundary={boundary}", body


def describe_failure(response: HttpResponse) -> str:
    """A one-line reason from a Kibana/ES style error body."""
    body = response.body
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or json.dumps(body)[:200]
        return f"HTTP {response.status}: {message}"
    text = str(body or "").strip().splitlines()
    return f"HTTP {response.status}: {text[0][:200] if text else 'empty response'}"


class KibanaClient:
    """Thin Kibana HTTP API client: authenticated as the `elastic` user (or the API key)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.kibana_url.rstrip("/")

    def _auth_header(self) -> dict[str, str]:
        if self.settings.api_key:
            return {"Authorization": f"ApiKey {self.settings.api_key}"}
        password = elastic_password(self.settings)
        token = base64.b64encode(f"{self.settings.elastic_username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> HttpResponse:
        # Kibana rejects mutating API calls without the kbn-xsrf header.
        headers = {"kbn-xsrf": "true", "Accept": "application/json", **self._auth_header()}
        if content_type:
            headers["Content-Type"] = content_type
        response = http_request(
            method,
            self.base_url + path,
            self.settings,
            headers=headers,
            data=data,
            service="Kibana",
        )
        if response.status == 401:
            raise KibanaError(
                f"Kibana at {self.base_url} rejected the credentials (401); {CREDENTIALS_FIX}"
            )
        return response

    def status(self) -> HttpResponse:
        """GET /api/status; 503 while Kibana starts, so the status code is not an error here."""
        return self.request("GET", "/api/status")

    def import_saved_objects(self, ndjson: bytes, *, overwrite: bool = True) -> dict[str, Any]:
        """POST /api/saved_objects/_import; returns the JSON summary (`success`, `errors`).

        https://www.elastic.co/docs/api/doc/kibana/operation/operation-importsavedobjectsdefault
        """
        content_type, body = multipart_file("file", "elkctl.ndjson", ndjson)
        query = "?overwrite=true" if overwrite else ""
        response = self.request(
            "POST", f"/api/saved_objects/_import{query}", data=body, content_type=content_type
        )
        if response.status != 200 or not isinstance(response.body, dict):
            raise KibanaError(
                f"Kibana saved-objects import failed: {describe_failure(response)}",
                response.status,
            )
        return response.body
