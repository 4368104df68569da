"""Kibana Discover links for a grouping key or a request ID."""

from __future__ import annotations

from urllib.parse import quote

# Fixed id of the "By request ID" saved search provisioned from kibana/ by `elkctl setup`.
BY_REQUEST_ID_SEARCH = "logs-python-by-request-id"


def _rison_string(text: str) -> str:
    # Rison quotes strings with ' and escapes ' and ! with !.
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


def _app_state(kuery: str) -> str:
    return quote(f"(query:(language:kuery,query:{_rison_string(kuery)}))", safe="(),:!'")


def discover_link(kibana_url: str, kuery: str, time_from: str = "now-24h") -> str:
    return (f"{kibana_url.rstrip('/')}/app/discover#/?_g=(time:(from:{time_from},to:now))"
            f"&_a={_app_state(kuery)}")


def group_link(kibana_url: str, key: str, time_from: str = "now-7d") -> str:
    return discover_link(kibana_url, f'error.grouping_key:"{key}"', time_from)


def request_link(kibana_url: str, request_id: str) -> str:
    state = _app_state(f'http.request.id:"{request_id}"')
    return (f"{kibana_url.rstrip('/')}/app/discover#/view/{BY_REQUEST_ID_SEARCH}"
            f"?_g=(time:(from:now-7d,to:now))&_a={state}")
