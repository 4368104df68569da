"""Every snippet in the README's integrations section runs as shown."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import yaml

from python_logging.config import load_config
from python_logging.context import request_context
from python_logging.web import settings_from_mapping
from tests.logcapture import capturing, field

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPET = re.compile(r"<!-- snippet: (\w+) -->\n```(\w+)\n(.*?)```", re.S)


def snippets() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: integrations -->")[1].split(
        "<!-- /section: integrations -->")[0]
    return {name: code for name, _language, code in SNIPPET.findall(section)}


def run(name: str) -> dict:
    namespace: dict = {"__name__": f"readme_{name}"}
    exec(compile(snippets()[name], f"README.md:{name}", "exec"), namespace)
    return namespace


def test_every_snippet_is_tested():
    assert set(snippets()) == {"starlette", "flask", "django", "errors", "performance",
                               "sampling", "propagation"}


def test_starlette_snippet_serves_requests_with_ids():
    app = run("starlette")["app"]

    async def get():
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/orders/5", headers={"X-Request-ID": "readme-1"})

    with capturing() as logs:
        response = asyncio.run(get())
    assert response.json() == {"order": "5"}
    assert response.headers["x-request-id"] == "readme-1"
    assert field(logs.access("/orders/5")[0], "user.id") == "user-42"


def test_flask_snippet_serves_requests_with_ids():
    app = run("flask")["app"]
    with capturing() as logs:
        response = app.test_client().get("/orders/3")
        response.close()
    assert response.json == {"order": 3}
    assert response.headers["X-Request-ID"]
    assert len(logs.access("/orders/3")) == 1


def test_django_snippet_is_valid_settings():
    settings = run("django")
    assert settings["MIDDLEWARE"][0] == "python_logging.django.RequestIDMiddleware"
    options = settings_from_mapping(settings["PYTHON_LOGGING_MIDDLEWARE"], "settings")
    assert options.exclude_paths == {"/health"}


DJANGO_PROJECT = """
import json, sys
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

snippet = {}
exec(sys.stdin.read(), snippet)
urlpatterns = [path("orders/<int:order_id>", lambda request, order_id: HttpResponse("ok")),
               path("health", lambda request: HttpResponse("up"))]
settings.configure(
    SECRET_KEY="readme", ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, INSTALLED_APPS=[],
    MIDDLEWARE=snippet["MIDDLEWARE"],
    PYTHON_LOGGING_MIDDLEWARE=snippet["PYTHON_LOGGING_MIDDLEWARE"],
)
import django
django.setup()
from django.test import Client
from python_logging import setup_logging
setup_logging({"service": {"name": "readme"}, "file": {"enabled": False},
               "console": {"format": "json"}})
replies = [Client().get(url, headers={"X-Request-ID": "dj-1"}) for url in ("/orders/3", "/health")]
print(json.dumps([[r.status_code, r.headers.get("X-Request-ID")] for r in replies]))
"""


def test_django_snippet_serves_requests_with_ids():
    # Django settings are process-wide: the snippet runs as the settings of a project
    # of its own, in a child process.
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("SERVICE_NAME", "LOG_LEVEL", "LOG_DIR", "ENVIRONMENT")}
    result = subprocess.run([sys.executable, "-c", DJANGO_PROJECT], input=snippets()["django"],
                            capture_output=True, text=True, timeout=60, env=env,
                            cwd=README.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [[200, "dj-1"], [200, "dj-1"]]
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["log"]["logger"] == "python_logging.access"]
    assert [line["url"]["path"] for line in access] == ["/orders/3"]  # /health excluded
    assert access[0]["http"]["request"]["id"] == "dj-1"


def test_errors_snippet_captures_twice():
    with capturing() as logs, request_context("readme-2"):
        namespace = run("errors")
    assert namespace["key"].startswith("v1:")
    [event] = logs.error_events()
    assert field(event, "error.grouping_name") == "PaymentDeclined in README.md:errors.charge"
    assert field(event, "user.id") == "u-42"
    assert field(event, "error_attributes.code") == "card_declined"


def test_performance_snippet_logs_three_timings():
    with capturing() as logs:
        run("performance")
    actions = [field(r, "event.action") for r in logs.named("python_logging.performance")]
    assert actions == ["reports.build", "cache.warm", "orders.fetch"]


def test_sampling_snippet_is_valid_config():
    config = load_config(yaml.safe_load(snippets()["sampling"]), environ={})
    assert dict(config.sampling.paths) == {"/health": 0.0, "/static/": 0.1}


def test_propagation_snippet_runs():
    with request_context("readme-3"):
        namespace = run("propagation")
    assert namespace["future"].result() == ("one", "readme-3")
    assert namespace["results"] == [(n, "readme-3") for n in range(3)]
    namespace["client"].close()
    namespace["session"].close()
