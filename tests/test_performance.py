"""log_performance: one timing line per use, failures re-raised, slow calls at WARNING."""

from __future__ import annotations

import asyncio
import time

import pytest

from python_logging.performance import log_performance
from tests.logcapture import capturing, field


@pytest.fixture
def logs():
    with capturing() as handler:
        yield handler


def lines(logs):
    return logs.named("python_logging.performance")


def test_decorator_times_a_sync_call_and_keeps_the_result(logs):
    result = object()

    @log_performance("load-report")
    def load(x, *, y):
        time.sleep(0.002)
        return result, x, y

    assert load(1, y=2) == (result, 1, 2)
    assert load.__name__ == "load"
    [line] = lines(logs)
    assert line.levelname == "INFO"
    assert field(line, "event.action") == "load-report"
    assert field(line, "event.outcome") == "success"
    duration = field(line, "event.duration")
    assert isinstance(duration, int) and duration >= 2_000_000
    assert field(line, "error") is None


def test_decorator_on_async_functions(logs):
    @log_performance("fetch")
    async def fetch():
        await asyncio.sleep(0.002)
        return 7

    assert asyncio.iscoroutinefunction(fetch)
    assert asyncio.run(fetch()) == 7
    [line] = lines(logs)
    assert field(line, "event.duration") >= 2_000_000


def test_context_manager_and_async_context_manager(logs):
    with log_performance("block"):
        pass

    async def run():
        async with log_performance("async-block"):
            await asyncio.sleep(0)

    asyncio.run(run())
    assert [field(line, "event.action") for line in lines(logs)] == ["block", "async-block"]


def test_failure_is_recorded_and_re_raised(logs):
    @log_performance("parse")
    def parse():
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        parse()
    [line] = lines(logs)
    assert line.levelname == "WARNING"
    assert field(line, "event.outcome") == "failure"
    assert field(line, "error.type") == "ValueError"
    assert field(line, "error.message") == "bad input"
    # Not an error event of its own: whoever handles the exception captures it once.
    assert logs.error_events() == []


def test_slow_calls_log_a_warning(logs):
    with log_performance("slow", slow_ms=1):
        time.sleep(0.003)
    with log_performance("fast", slow_ms=10_000):
        pass
    slow, fast = lines(logs)
    assert slow.levelname == "WARNING" and "slower than 1 ms" in slow.getMessage()
    assert fast.levelname == "INFO"


@pytest.mark.parametrize(("name", "slow_ms"), [("", None), ("x", -1), ("x", "5"), (None, None)])
def test_bad_arguments_fail_at_once(name, slow_ms):
    with pytest.raises(ValueError, match="log_performance"):
        log_performance(name, slow_ms)


def test_one_instance_shared_by_threads_and_nested_blocks_keeps_each_timing(logs):
    import threading

    timer = log_performance("shared")

    def timed():
        with timer:
            time.sleep(0.1)

    # Overlapping, not nested: the first block to open is the first to close.
    first = threading.Thread(target=timed)
    second = threading.Thread(target=timed)
    first.start()
    time.sleep(0.05)
    second.start()
    first.join()
    second.join()
    with timer:
        with timer:
            pass
        time.sleep(0.01)
    durations = [field(line, "event.duration") for line in lines(logs)]
    assert len(durations) == 4
    assert min(durations[:2]) >= 100_000_000  # neither thread took the other's start
    inner, outer = durations[2:]
    assert inner < 10_000_000 <= outer
