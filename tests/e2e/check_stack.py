"""Assertions against a running stack, for `make e2e` (tests/e2e/run_e2e.sh) only.

Not a pytest module (pytest collects only test_*.py): it needs the real stack on a Docker
host. Connection settings come from .env / the environment, as for elkctl.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from elkctl.connection import KibanaClient, elasticsearch_client, load_settings

DEMO_STREAM = "logs-demo_shop-demo"
UNPARSED_STREAM = "logs-unparsed-default"
# The saved searches `elkctl setup` provisions (issue #4), matched on their titles.
SAVED_SEARCHES = ("all logs", "errors", "slow operations", "by request id")


class CheckFailed(Exception):
    pass


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """The first truthy result of `check`, polled until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(2)


def saved_search_titles(kibana: KibanaClient) -> set[str]:
    response = kibana.request("GET", "/api/saved_objects/_find?type=search&per_page=1000")
    if response.status != 200:
        raise CheckFailed(f"Kibana saved objects: HTTP {response.status}")
    return {obj["attributes"]["title"].lower() for obj in response.body["saved_objects"]}


def check_saved_searches(kibana: KibanaClient) -> None:
    missing = set(SAVED_SEARCHES) - saved_search_titles(kibana)
    if missing:
        raise CheckFailed(f"saved searches missing in Kibana: {sorted(missing)}")


def count(es: Any, index: str, query: dict[str, Any]) -> int:
    if not es.indices.exists(index=index):
        return 0
    es.indices.refresh(index=index)
    return es.count(index=index, query=query)["count"]


def check_demo_traffic(es: Any) -> None:
    eventually(lambda: count(es, DEMO_STREAM, {"match_all": {}}) >= 300, f"{DEMO_STREAM} docs")
    errors = count(es, DEMO_STREAM, {"term": {"log.level": "error"}})
    with_request_id = count(es, DEMO_STREAM, {"exists": {"field": "http.request.id"}})
    if not errors or not with_request_id:
        raise CheckFailed(f"{DEMO_STREAM}: {errors} errors, {with_request_id} with request IDs")


def check_ilm(es: Any) -> None:
    explained = es.ilm.explain_lifecycle(index=DEMO_STREAM)["indices"]
    unmanaged = [name for name, info in explained.items() if not info.get("managed")]
    if not explained or unmanaged:
        raise CheckFailed(f"ILM does not manage the backing indices {unmanaged or DEMO_STREAM}")
    for name, info in explained.items():
        print(f"ILM: {name} is managed by policy {info.get('policy')}")


def check_malformed_line(es: Any, marker: str) -> None:
    query = {"bool": {"filter": [{"match_phrase": {"message": marker}},
                                 {"term": {"tags": "malformed_json"}}]}}
    what = f"the malformed line in {UNPARSED_STREAM}"
    eventually(lambda: count(es, UNPARSED_STREAM, query), what)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--malformed-marker", required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    es = elasticsearch_client(settings)
    checks: list[tuple[str, Callable[[], None]]] = [
        ("saved searches", lambda: check_saved_searches(KibanaClient(settings))),
        ("demo traffic", lambda: check_demo_traffic(es)),
        ("ILM", lambda: check_ilm(es)),
        ("malformed line kept", lambda: check_malformed_line(es, args.malformed_marker)),
    ]
    failed = 0
    for name, check in checks:
        try:
            check()
            print(f"ok    {name}")
        except CheckFailed as exc:
            failed += 1
            print(f"FAIL  {name}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
