"""The demo app (scripts/demo/app.py) writes realistic python_logging traffic for the stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict

import pytest

import python_logging
from tests.stack_support import ROOT

pytestmark = pytest.mark.skipif(
    not hasattr(python_logging, "setup_logging"),
    reason="the demo needs python_logging.setup_logging, not merged into this branch yet",
)
DEMO = ROOT / "scripts" / "demo" / "app.py"


def run_demo(log_dir, *args, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SERVICE_NAME", "ENVIRONMENT", "LOG_DIR", "LOG_LEVEL")}
    return subprocess.run(
        [sys.executable, str(DEMO), "--log-dir", str(log_dir), "--time-scale", "0", *args],
        capture_output=True, text=True, timeout=120, env={**environ, **env}, check=True,
    )


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("demo")
    run_demo(log_dir, "--requests", "300", "--seed", "11")
    # The writer's rotation lock is a hidden file beside the log.
    assert [p.name for p in log_dir.iterdir() if not p.name.startswith(".")] == ["demo-shop.log"]
    text = (log_dir / "demo-shop.log").read_text()
    return [json.loads(line) for line in text.splitlines()]


def access_lines(lines):
    return [line for line in lines if "status_code" in line.get("http", {}).get("response", {})]


def test_one_access_line_per_request_with_ecs_http_fields(lines):
    access = access_lines(lines)
    assert len(access) == 300
    for line in access:
        assert line["service"]["name"] == "demo-shop"
        assert line["service"]["environment"] == "demo"
        assert line["http"]["request"]["id"]
        assert line["url"]["path"].startswith("/")
        assert line["event"]["duration"] > 0


def test_requests_have_distinct_ids_and_invalid_incoming_ids_are_replaced(lines):
    ids = [line["http"]["request"]["id"] for line in access_lines(lines)]
    assert len(set(ids)) == len(ids)
    assert not [i for i in ids if "\n" in i or " " in i]


def test_errors_are_structured_and_share_the_request_id_of_their_access_line(lines):
    errors = [line for line in lines if line["log.level"] == "error"]
    assert errors
    by_request = defaultdict(list)
    for line in lines:
        request_id = line.get("http", {}).get("request", {}).get("id")
        if request_id:
            by_request[request_id].append(line)
    for error in errors:
        assert error["error"]["type"] in ("PaymentDeclined", "UpstreamTimeout")
        assert error["error"]["stack_trace"]
        statuses = [line["http"]["response"]["status_code"]
                    for line in by_request[error["http"]["request"]["id"]]
                    if "response" in line.get("http", {})]
        assert statuses in ([402], [504])


def test_slow_requests_are_logged_as_warnings(lines):
    slow = [line for line in access_lines(lines) if line["event"]["duration"] > 250_000_000]
    assert slow
    assert all(line["log.level"] == "warning" for line in slow)


def test_environment_names_the_service_as_in_compose(tmp_path):
    run_demo(tmp_path, "--requests", "3", SERVICE_NAME="shop-eu", ENVIRONMENT="staging")
    first = json.loads((tmp_path / "shop-eu.log").read_text().splitlines()[0])
    assert first["service"] == {**first["service"], "name": "shop-eu", "environment": "staging"}
