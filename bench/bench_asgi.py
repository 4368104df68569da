"""Requests/s of a trivial ASGI app with and without `python_logging.asgi.RequestIDMiddleware`.

Two drivers, both in process:
- direct: the ASGI callable awaited in a loop (no client, no server): the middleware's
  own cost against an app that does nothing, the harshest comparison;
- httpx: `httpx.AsyncClient` over `ASGITransport`, closer to what a request costs.
Two trivial apps: a bare ASGI callable answering `200 ok`, and a Starlette app with one
route doing the same (the smallest app a FastAPI or Starlette team writes).
With the middleware, access lines go to a real file: through `setup_logging` when the
package has it, otherwise through a stdlib FileHandler (named in the output). Each
variant runs paired rounds (without, then with the middleware, the order alternating);
the rates shown are the best rounds, the overhead is the median of the rounds' own
overheads (the machine is shared: a load change hits both runs of a round alike).
Prints a Markdown table for bench/RESULTS.md (section `asgi`).
"""

from __future__ import annotations

import asyncio
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from python_logging.asgi import RequestIDMiddleware

ROUNDS = 9
DIRECT_REQUESTS = 20_000
HTTPX_REQUESTS = 2_000
GOAL = 0.15


def starlette_apps():
    """(bare, with the middleware) Starlette apps with one route answering `ok`."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def items(request):
        return PlainTextResponse("ok")

    routes = [Route("/items", items)]
    return (Starlette(routes=routes),
            Starlette(routes=routes, middleware=[Middleware(RequestIDMiddleware)]))


async def trivial_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


SCOPE = {"type": "http", "method": "GET", "path": "/items", "query_string": b"page=2",
         "headers": [(b"host", b"bench"), (b"user-agent", b"bench/1.0")],
         "client": ("127.0.0.1", 5000)}


async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message):
    return None


async def direct(app, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await app(dict(SCOPE), receive, discard)
    return count / (time.perf_counter() - started)


async def via_httpx(app, count: int) -> float:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for _ in range(count):
            await client.get("/items?page=2")
        return count / (time.perf_counter() - started)


def configure_logging(directory: Path) -> str:
    import python_logging

    setup = getattr(python_logging, "setup_logging", None)
    if setup is not None:
        setup({"service": {"name": "bench"}, "console": {"enabled": False},
               "file": {"dir": str(directory)}})
        return "setup_logging (ECS JSON file)"
    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(logging.FileHandler(directory / "bench.log"))
    root.setLevel(logging.INFO)
    return "stdlib FileHandler (setup_logging not available)"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sink = configure_logging(Path(tmp))
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its own per-request INFO line
        wrapped = RequestIDMiddleware(trivial_app)
        starlette_bare, starlette_wrapped = starlette_apps()
        access = logging.getLogger("python_logging.access")
        rows = []
        for label, bare_app, wrapped_app, driver, count, level in (
            ("ASGI app, direct call", trivial_app, wrapped, direct, DIRECT_REQUESTS,
             logging.NOTSET),
            ("ASGI app, direct call, access line filtered out", trivial_app, wrapped, direct,
             DIRECT_REQUESTS, logging.WARNING),
            ("ASGI app, httpx ASGITransport", trivial_app, wrapped, via_httpx, HTTPX_REQUESTS,
             logging.NOTSET),
            ("Starlette app, httpx ASGITransport", starlette_bare, starlette_wrapped, via_httpx,
             HTTPX_REQUESTS, logging.NOTSET),
        ):
            access.setLevel(level)
            bare_rates, wrapped_rates = [], []
            for round_ in range(ROUNDS):  # paired, alternating which runs first
                pair = [(bare_app, bare_rates), (wrapped_app, wrapped_rates)]
                for app, rates in pair if round_ % 2 == 0 else reversed(pair):
                    rates.append(asyncio.run(driver(app, count)))
            bare, with_mw = max(bare_rates), max(wrapped_rates)
            # Each round's own overhead: a load change between rounds hits both of a pair.
            overhead = statistics.median(
                1 - wrapped / alone for alone, wrapped in zip(bare_rates, wrapped_rates,
                                                              strict=True)
            )
            rows.append((label, bare, with_mw, overhead))
        access.setLevel(logging.NOTSET)
        for handler in logging.getLogger().handlers:
            handler.flush()  # access lines may still wait (file.access_flush_ms)
        lines = (Path(tmp) / "bench.log").read_text().count("\n") if (
            Path(tmp) / "bench.log").exists() else None
    print(f"python {platform.python_version()} on {platform.machine()}, access lines: {sink}")
    if lines is not None:
        print(f"({lines} access lines written)")
    print()
    print("| driver | without (req/s, best) | with middleware (req/s, best) | added per request "
          "| overhead (median of rounds) | < 15% |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for label, bare, with_mw, overhead in rows:
        verdict = "met" if overhead < GOAL else "not met"
        added_us = (1 / with_mw - 1 / bare) * 1e6
        print(f"| {label} | {bare:,.0f} | {with_mw:,.0f} | {added_us:.1f} µs | {overhead:.1%} "
              f"| {verdict} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
