"""The request ID travels with outgoing HTTP calls, into threads and into Celery tasks."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from python_logging import celery_hooks
from python_logging.context import current_request_id, request_context
from python_logging.propagation import (
    instrument_httpx,
    instrument_requests,
    submit_with_context,
    with_context,
)


@pytest.fixture
def echo(httpserver):
    def answer(request):
        from werkzeug import Response

        return Response(request.headers.get("X-Request-ID", "none"))

    httpserver.expect_request("/echo").respond_with_handler(answer)
    return httpserver.url_for("/echo")


def test_requests_session_sends_the_current_id(echo):
    session = instrument_requests(requests.Session())
    with request_context("out-1"):
        assert session.get(echo, timeout=5).text == "out-1"
        assert session.get(echo, headers={"X-Request-ID": "own"}, timeout=5).text == "own"
    assert session.get(echo, timeout=5).text == "none"  # no request, no header


def test_requests_session_keeps_its_retry_policy():
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=3))
    instrument_requests(session)
    assert session.get_adapter("https://x").max_retries.total == 3


def test_httpx_sync_client(echo):
    with instrument_httpx(httpx.Client()) as client, request_context("out-2"):
        assert client.get(echo).text == "out-2"


def test_httpx_async_client_with_custom_header():
    def app(request):
        return httpx.Response(200, text=request.headers.get("X-Correlation-ID", "none"))

    async def call():
        client = httpx.AsyncClient(transport=httpx.MockTransport(app))
        instrument_httpx(client, header="X-Correlation-ID")
        async with client:
            with request_context("out-3"):
                return (await client.get("http://test/")).text

    assert asyncio.run(call()) == "out-3"


def test_thread_pool_helpers_copy_the_context():
    with ThreadPoolExecutor(max_workers=2) as pool, request_context("job-1"):
        assert pool.submit(current_request_id).result() is None  # the problem
        assert submit_with_context(pool, current_request_id).result() == "job-1"
        bound = with_context(current_request_id)
        assert list(pool.map(lambda _: bound(), range(4))) == ["job-1"] * 4

        async def via_loop():
            return await asyncio.get_running_loop().run_in_executor(pool, bound)

        assert asyncio.run(via_loop()) == "job-1"


def test_with_context_refuses_coroutine_functions():
    async def work():
        return 1

    with pytest.raises(TypeError):
        with_context(work)


def fake_task(**request):
    return SimpleNamespace(request=SimpleNamespace(**request))


def test_celery_hooks_carry_the_id_through_publish_and_run():
    headers = {}
    with request_context("pub-1"):
        celery_hooks.before_task_publish(headers=headers, body=None)
    assert headers == {celery_hooks.HEADER: "pub-1"}
    celery_hooks.task_prerun(task_id="t-1", task=fake_task(**headers))
    assert current_request_id() == "pub-1"
    celery_hooks.task_postrun(task_id="t-1")
    assert current_request_id() is None


def test_celery_prerun_revalidates_the_header():
    task_id = "4e1c6c6a-5b1e-4f38-9f0b-0c5b3c0a9d11"
    celery_hooks.task_prerun(task_id=task_id, task=fake_task(**{celery_hooks.HEADER: "bad id\n"}))
    try:
        assert current_request_id() == task_id
    finally:
        celery_hooks.task_postrun(task_id=task_id)


def test_celery_publish_outside_a_request_adds_nothing():
    headers = {}
    celery_hooks.before_task_publish(headers=headers)
    assert headers == {}


def eager_task_reporting_its_id():
    """A task of an eager Celery app (hooks connected) that returns its request ID."""
    from celery import Celery

    app = Celery("python_logging_test", set_as_current=False)
    app.conf.task_always_eager = True

    @app.task
    def which_id():
        return current_request_id()

    celery_hooks.connect_celery()
    return which_id


def test_celery_eager_task_runs_under_the_published_id():
    which_id = eager_task_reporting_its_id()
    result = which_id.apply(headers={celery_hooks.HEADER: "pub-2"})
    assert result.get() == "pub-2"
    assert current_request_id() is None


def test_celery_eager_task_called_in_a_request_keeps_the_callers_id():
    which_id = eager_task_reporting_its_id()
    with request_context("web-1"):  # eager: nothing is published, so no header
        assert which_id.delay().get() == "web-1"
        assert which_id.apply_async().get() == "web-1"
        assert current_request_id() == "web-1"  # postrun restored the caller's context
    assert which_id.delay().get() != "web-1"  # outside a request: the task's own ID
