#!/usr/bin/env python3
"""Demo traffic: a pretend web shop that logs through python_logging, so Kibana has data.

Every simulated request runs in a `request_context` (some arrive with an X-Request-ID,
some with an invalid one that is replaced), logs an access line with ECS http/url/event
fields, and now and then fails (payment declined, upstream timeout) or runs slow.

    python scripts/demo/app.py --requests 200            # into ./logs (or $LOG_DIR)
    python scripts/demo/app.py --rate 5                  # forever, 5 requests/s (compose)

SERVICE_NAME, ENVIRONMENT and LOG_DIR in the environment override the defaults below,
as for any app using python_logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from python_logging import capture_exception, log_performance, request_context, setup_logging
from python_logging.context import add_context_fields

logger = logging.getLogger("demo.shop")


class PaymentDeclined(Exception):
    """The (simulated) payment provider refused the card."""


class UpstreamTimeout(TimeoutError):
    """The (simulated) inventory service did not answer in time."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    weight: int
    work_ms: tuple[float, float]  # usual duration range
    slow_chance: float  # probability of a slow call (x10 the usual time)
    failure: type[Exception] | None = None
    failure_chance: float = 0.0


ROUTES = (
    Route("GET", "/products", 40, (2, 15), 0.02),
    Route("GET", "/products/{id}", 25, (2, 10), 0.02),
    Route("GET", "/search", 12, (10, 60), 0.10),
    Route("POST", "/cart", 12, (5, 20), 0.02, UpstreamTimeout, 0.05),
    Route("POST", "/checkout", 8, (20, 80), 0.10, PaymentDeclined, 0.15),
    Route("GET", "/health", 3, (0.5, 2), 0.0),
)
SLOW_MS = 250.0
USERS = [f"user-{n:04d}" for n in range(1, 60)]


def pick_route(rng: random.Random) -> Route:
    return rng.choices(ROUTES, weights=[route.weight for route in ROUTES])[0]


def incoming_request_id(rng: random.Random) -> str | None:
    """What a client sends as X-Request-ID: mostly nothing, sometimes junk."""
    roll = rng.random()
    if roll < 0.3:
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if roll < 0.35:
        return "bad id\nwith newline"  # rejected by request_context, a new ID is used
    return None


def concrete_path(route: Route, rng: random.Random) -> str:
    return route.path.replace("{id}", str(rng.randint(1, 500)))


def work_duration_ms(route: Route, rng: random.Random) -> float:
    """How long this call takes: usually the route's range, sometimes well past SLOW_MS."""
    if rng.random() < route.slow_chance:
        return rng.uniform(SLOW_MS * 1.2, SLOW_MS * 5)
    return rng.uniform(*route.work_ms)


def do_work(
    route: Route, rng: random.Random, millis: float, pause: Callable[[float], None]
) -> None:
    """The request's business logic: takes `millis`, sometimes fails."""
    pause(millis / 1000)
    if route.failure is not None and rng.random() < route.failure_chance:
        if route.failure is PaymentDeclined:
            raise PaymentDeclined(f"card declined by issuer (code {rng.choice([5, 51, 54])})")
        raise route.failure("inventory service did not answer within 2s")


def handle_request(rng: random.Random, time_scale: float = 1.0) -> int:
    """Simulate one request; returns the HTTP status it answered.

    The access line reports the simulated duration; the process really waits
    `time_scale` times as long (0: not at all, for quick bursts and tests).
    """
    route = pick_route(rng)
    path = concrete_path(route, rng)
    user = rng.choice(USERS)

    def pause(seconds: float) -> None:
        time.sleep(seconds * time_scale)

    with request_context(incoming_request_id(rng)):
        add_context_fields({"user": {"id": user}})
        status = 200 if route.method == "GET" else 201
        millis = work_duration_ms(route, rng)
        try:
            with log_performance(f"{route.method} {route.path}", slow_ms=SLOW_MS):
                do_work(route, rng, millis, pause)
        except PaymentDeclined as exc:
            status = 402
            capture_exception(exc, context={"user_id": user, "cart_items": rng.randint(1, 6)})
        except UpstreamTimeout as exc:
            status = 504
            capture_exception(exc, context={"user_id": user, "upstream": "inventory"})
        duration = int(millis * 1_000_000)
        level = logging.WARNING if status >= 400 or millis > SLOW_MS else logging.INFO
        logger.log(
            level,
            "%s %s %d",
            route.method,
            path,
            status,
            extra={
                "http": {"request": {"method": route.method}, "response": {"status_code": status}},
                "url": {"path": path},
                "event": {"duration": duration, "action": f"{route.method} {route.path}"},
            },
        )
    return status


def run(requests: int, rate: float, rng: random.Random, time_scale: float) -> None:
    """`requests` requests (0: until interrupted), at most `rate` per second."""
    interval = 1.0 / rate if rate > 0 else 0.0
    served = 0
    while requests == 0 or served < requests:
        started = time.monotonic()
        handle_request(rng, time_scale)
        served += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write demo shop traffic through python_logging.")
    parser.add_argument("--requests", type=int, default=0, help="how many (0: until stopped)")
    parser.add_argument("--rate", type=positive_float, default=0.0,
                        help="requests per second (0: as fast as possible)")
    parser.add_argument("--log-dir", help="directory for the log files (default: $LOG_DIR or logs)")
    parser.add_argument("--seed", type=int, help="random seed, for reproducible traffic")
    parser.add_argument("--time-scale", type=positive_float, default=1.0,
                        help="how long simulated work really takes (0: no waiting)")
    args = parser.parse_args(argv)
    if args.requests < 0:
        parser.error("--requests must be >= 0")
    overrides: dict[str, Any] = {
        "service": {"name": "demo-shop", "version": "1.4.2", "environment": "demo"},
        "console": {"level": "WARNING"},
    }
    if args.log_dir:
        # The environment outranks keyword overrides in python_logging; the flag is explicit.
        os.environ["LOG_DIR"] = args.log_dir
    config = setup_logging(**overrides)
    logger.info("demo shop started, writing to %s", config.file.dir)
    try:
        run(args.requests, args.rate, random.Random(args.seed), args.time_scale)
    except KeyboardInterrupt:
        logger.info("demo shop stopped")
    finally:
        logging.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
