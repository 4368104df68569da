"""Access lines may wait (file.access_flush_ms) and go out together; nothing is lost,
duplicated or reordered, at exit or across a fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from python_logging import setup_logging
from python_logging.handlers import ECSFileHandler
from python_logging.logfiles import service_lines
from python_logging.write_behind import MAX_BYTES, WriteBehind
from tests.file_handler_support import line


class Calls:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        self.writes.append(data)


def eventually(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_waiting_lines_go_out_together_in_order():
    calls = Calls()
    behind = WriteBehind(calls, threading.Lock(), interval=60)
    for n in range(3):
        behind.add(line(n))
    assert calls.writes == []
    behind.flush()
    assert calls.writes == [line(0) + line(1) + line(2)]
    behind.flush()
    assert len(calls.writes) == 1  # nothing waits: no empty write


def test_a_full_buffer_is_written_at_once():
    calls = Calls()
    behind = WriteBehind(calls, threading.Lock(), interval=60)
    count = MAX_BYTES // len(line(0)) + 1
    for n in range(count):
        behind.add(line(n))
    assert b"".join(calls.writes) == b"".join(line(n) for n in range(count))


def test_the_thread_writes_them_once_the_interval_has_passed():
    calls = Calls()
    behind = WriteBehind(calls, threading.Lock(), interval=0.05)
    behind.add(line(0))
    assert eventually(lambda: calls.writes == [line(0)])
    behind.add(line(1))  # a second round
    assert eventually(lambda: calls.writes == [line(0), line(1)])
    behind.close()


def test_after_close_lines_are_written_at_once():
    calls = Calls()
    behind = WriteBehind(calls, threading.Lock(), interval=60)
    behind.add(line(0))
    behind.close()
    assert calls.writes == [line(0)]
    behind.add(line(1))
    assert calls.writes == [line(0), line(1)]


@pytest.fixture
def handler(tmp_path):
    handler = ECSFileHandler(tmp_path, "api", max_bytes=None, when=None, backup_count=None,
                             retention_days=None, compress=False, access_flush_ms=60_000)
    yield handler
    handler.close()


def numbers(handler: ECSFileHandler) -> list[int]:
    if not handler.path.exists():
        return []
    return [json.loads(text)["n"] for text in handler.path.read_text().splitlines()]


def test_any_other_line_first_writes_the_waiting_access_lines(handler):
    handler.buffer_line(line(0))
    handler.buffer_line(line(1))
    assert numbers(handler) == []
    handler.write_line(line(2))
    assert numbers(handler) == [0, 1, 2]


def test_flush_and_close_write_the_waiting_lines(handler):
    handler.buffer_line(line(0))
    handler.flush()
    assert numbers(handler) == [0]
    handler.buffer_line(line(1))
    handler.close()
    assert numbers(handler) == [0, 1]


def test_zero_writes_each_access_line_at_once(tmp_path):
    handler = ECSFileHandler(tmp_path, "api", max_bytes=None, when=None, backup_count=None,
                             retention_days=None, compress=False, access_flush_ms=0)
    handler.buffer_line(line(0))
    assert numbers(handler) == [0]
    handler.close()
    with pytest.raises(ValueError, match="access_flush_ms"):
        ECSFileHandler(tmp_path, "api", max_bytes=None, when=None, backup_count=None,
                       retention_days=None, compress=False, access_flush_ms=-1)


def test_a_forked_child_never_writes_its_parents_waiting_lines(handler):
    handler.buffer_line(line(0))
    pid = os.fork()
    if pid == 0:  # the child: its own line, then a flush as at exit
        status = 1
        try:
            handler.buffer_line(line(1))
            handler.flush()
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert numbers(handler) == [1]
    handler.flush()
    assert numbers(handler) == [1, 0]


def test_setup_logging_writes_the_access_line_within_the_interval(tmp_path):
    setup_logging({"service": {"name": "shop"}, "console": {"enabled": False},
                   "file": {"dir": str(tmp_path), "access_flush_ms": 1000}})
    try:
        import logging

        [handler] = [h for h in logging.getLogger().handlers if isinstance(h, ECSFileHandler)]
        handler.buffer_line(line(7))
        assert numbers(handler) == []  # waits (a second: room for a slow machine)...
        assert eventually(lambda: numbers(handler) == [7])  # ...then is written
    finally:
        setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})


def test_waiting_access_lines_are_written_when_the_process_exits(tmp_path):
    program = textwrap.dedent(f"""
        import asyncio
        from python_logging import setup_logging
        from python_logging.asgi import RequestIDMiddleware

        setup_logging({{"service": {{"name": "shop"}}, "console": {{"enabled": False}},
                       "file": {{"dir": {str(tmp_path)!r}, "access_flush_ms": 10000}}}})

        async def app(scope, receive, send):
            await send({{"type": "http.response.start", "status": 200, "headers": []}})
            await send({{"type": "http.response.body", "body": b"ok"}})

        async def receive():
            return {{"type": "http.request", "body": b""}}

        async def discard(message):
            pass

        scope = {{"type": "http", "method": "GET", "path": "/exit", "headers": []}}
        asyncio.run(RequestIDMiddleware(app)(scope, receive, discard))
    """)
    subprocess.run([sys.executable, "-c", program], check=True, cwd=os.getcwd())
    [access] = [json.loads(text) for text in (tmp_path / "shop.log").read_text().splitlines()]
    assert access["url"]["path"] == "/exit"


def test_without_a_thread_to_write_them_later_lines_are_written_at_once(monkeypatch):
    def refuse(self):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    calls = Calls()
    behind = WriteBehind(calls, threading.Lock(), interval=60)
    behind.add(line(0))
    assert calls.writes == [line(0)]
    behind.add(line(1))  # tries again: a thread may start later
    assert calls.writes == [line(0), line(1)]


def test_threads_lose_duplicate_and_reorder_nothing(tmp_path):
    handler = ECSFileHandler(tmp_path, "api", max_bytes=64 * 1024, when=None, backup_count=None,
                             retention_days=None, compress=False, access_flush_ms=1)

    def writer(thread: int) -> None:
        for n in range(1500):
            text = f'{{"t":{thread},"n":{n}}}\n'.encode()
            # mostly access lines that may wait, now and then a line written at once
            (handler.write_line if n % 7 == 0 else handler.buffer_line)(text)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handler.close()
    seen: dict[int, list[int]] = {t: [] for t in range(6)}
    for text in service_lines(tmp_path, "api"):  # rotated files too, oldest first
        record = json.loads(text)
        seen[record["t"]].append(record["n"])
    assert all(numbers == list(range(1500)) for numbers in seen.values())
