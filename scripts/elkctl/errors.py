"""Turn any failure talking to the stack into one line a person can act on."""

from __future__ import annotations

from typing import Any

import elastic_transport
import elasticsearch

from elkctl.connection import CLIENT_MAJOR, CREDENTIALS_FIX, ElkctlError


def _error_type_and_reason(body: Any) -> tuple[str, str]:
    """(type, reason) from an Elasticsearch error body, the innermost cause included."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return "", str(body)[:200] if body else ""
    error = body["error"]
    reason = str(error.get("reason", ""))
    cause = error.get("caused_by")
    if isinstance(cause, dict) and cause.get("reason"):
        reason = f"{reason} ({cause['reason']})" if reason else str(cause["reason"])
    return str(error.get("type", "")), reason


def explain_api_error(exc: elasticsearch.ApiError, es_url: str) -> str:
    if isinstance(exc, elasticsearch.UnsupportedProductError):
        return (
            f"the server at {es_url} is not Elasticsearch (no X-Elastic-Product header); "
            "check ELASTICSEARCH_URL"
        )
    error_type, reason = _error_type_and_reason(exc.body)
    if isinstance(exc, elasticsearch.AuthenticationException):
        return f"Elasticsearch at {es_url} rejected the credentials (401); {CREDENTIALS_FIX}"
    if isinstance(exc, elasticsearch.AuthorizationException):
        return f"Elasticsearch refused the action (403): {reason or exc.message}"
    if error_type == "media_type_header_exception":
        # An 8.x server rejects the 9.x client's `compatible-with=9` Accept header.
        return (
            f"version mismatch: this elkctl uses the Elasticsearch {CLIENT_MAJOR}.x client and "
            f"the server at {es_url} refuses it ({reason}); run Elasticsearch {CLIENT_MAJOR}.x"
        )
    detail = f"{error_type}: {reason}" if error_type else (reason or exc.message)
    return f"Elasticsearch answered {exc.status_code}: {detail}"


def explain(exc: BaseException, es_url: str) -> str | None:
    """The one-line reason for a known failure, or None for a real bug (keep its traceback)."""
    if isinstance(exc, ElkctlError):
        return str(exc)
    if isinstance(exc, elasticsearch.ApiError):
        return explain_api_error(exc, es_url)
    if isinstance(exc, elastic_transport.TlsError):
        return (
            f"TLS handshake with Elasticsearch at {es_url} failed ({exc}); "
            "set ELASTICSEARCH_CA_CERT to the stack's CA certificate"
        )
    if isinstance(exc, elastic_transport.ConnectionTimeout):
        return f"Elasticsearch at {es_url} did not answer in time ({exc})"
    if isinstance(exc, elastic_transport.ConnectionError):
        return f"cannot reach Elasticsearch at {es_url} ({exc}); is the stack up? (`make status`)"
    if isinstance(exc, elastic_transport.TransportError):
        return f"Elasticsearch transport error at {es_url}: {exc}"
    return None
