"""The ASGI middleware behind a real uvicorn server on loopback: one error event per
uncaught exception, even though uvicorn logs the exception again itself."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
import pytest

from python_logging import setup_logging
from python_logging.asgi import RequestIDMiddleware
from tests.net import free_port

uvicorn = pytest.importorskip("uvicorn")


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/boom":
        raise RuntimeError("payment backend exploded")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def server(tmp_path, monkeypatch):
    for variable in ("SERVICE_NAME", "SERVICE_VERSION", "ENVIRONMENT", "LOG_LEVEL", "LOG_DIR"):
        monkeypatch.delenv(variable, raising=False)
    setup_logging({"service": {"name": "api"}, "console": {"enabled": False},
                   "file": {"dir": str(tmp_path), "compress": False}})
    port = free_port()
    # log_config=None: uvicorn's own lines go through the root logger, i.e. python_logging.
    config = uvicorn.Config(RequestIDMiddleware(app), host="127.0.0.1", port=port,
                            log_config=None, access_log=False, lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", tmp_path / "api.log"
    instance.should_exit = True
    thread.join(10)
    setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})
    logging.getLogger("uvicorn.error").filters.clear()


def test_an_uncaught_exception_is_one_error_event_and_a_500(server):
    base, log_path = server
    with httpx.Client(base_url=base, timeout=5) as client:
        ok = client.get("/ok", headers={"X-Request-ID": "real-ok"})
        boom = client.get("/boom", headers={"X-Request-ID": "real-boom"})
    assert ok.status_code == 200 and ok.headers["x-request-id"] == "real-ok"
    assert boom.status_code == 500 and boom.headers["x-request-id"] == "real-boom"

    deadline = time.monotonic() + 5
    while True:  # uvicorn logs the exception after the response went out
        lines = [json.loads(line) for line in log_path.read_text().splitlines()]
        # uvicorn.error also carries start-up lines: wait for its report of the exception
        server_lines = [line for line in lines if line["log"]["logger"] == "uvicorn.error"
                        and line["message"].startswith("Exception in ASGI application")]
        if server_lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    errors = [line for line in lines if "grouping_key" in line.get("error", {})]
    assert len(errors) == 1
    assert errors[0]["error"]["message"] == "payment backend exploded"
    assert errors[0]["http"]["request"]["id"] == "real-boom"
    assert server_lines, "uvicorn's own report of the exception reaches the file too"
    assert all("stack_trace" not in line.get("error", {}) for line in server_lines)
    access = [line for line in lines if line["log"]["logger"] == "python_logging.access"]
    assert sorted(line["http"]["response"]["status_code"] for line in access) == [200, 500]
