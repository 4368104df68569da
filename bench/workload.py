"""Several processes logging numbered JSON lines into one directory, and the audit after.

Used by `bench/stress.py` and by the multi-process tests. Processes are started with the
`spawn` method, so each builds its own handler from scratch like a real worker would.
Every contender gets the same formatter, so a comparison measures the handler only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from python_logging.logfiles import read_lines

SERVICE = "stress"
PAD = "x" * 60  # lines of ~150 bytes, like a short ECS document


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return orjson.dumps(
            {
                "@timestamp": record.created,
                "log.level": record.levelname.lower(),
                "message": record.getMessage(),
                "writer": record.writer,  # type: ignore[attr-defined]
                "seq": record.seq,  # type: ignore[attr-defined]
                "pad": PAD,
            }
        ).decode()


def make_handler(contender: str, directory: Path, max_bytes: int) -> logging.Handler:
    if contender == "ours":
        from python_logging.handlers import ECSFileHandler

        return ECSFileHandler(
            directory,
            SERVICE,
            max_bytes=max_bytes,
            when=None,
            backup_count=None,  # keep everything: the audit must see every line
            retention_days=None,
            compress=True,
        )
    if contender == "concurrent-log-handler":
        from concurrent_log_handler import ConcurrentRotatingFileHandler

        return ConcurrentRotatingFileHandler(
            str(directory / f"{SERVICE}.log"),
            maxBytes=max_bytes,
            backupCount=100_000,  # it renames in a cascade; never drop a backup
            use_gzip=True,
        )
    raise ValueError(f"unknown contender {contender!r}")


def _through_setup_logging(directory: Path, max_bytes: int) -> Callable[[], None]:
    """The whole product: ECS pipeline (context, redaction, mapping, render) + handler."""
    from python_logging import setup_logging
    from python_logging.config import ENVIRONMENT_KEYS

    for variable in ENVIRONMENT_KEYS:  # the environment outranks the mapping below
        os.environ.pop(variable, None)
    setup_logging(
        {
            "service": {"name": SERVICE, "environment": "stress"},
            "console": {"enabled": False},
            "file": {"dir": str(directory), "max_bytes": max_bytes, "backup_count": None,
                     "retention_days": None, "compress": True},
        }
    )
    return logging.shutdown


def _own_handler(contender: str, directory: Path, max_bytes: int, logger: logging.Logger):
    handler = make_handler(contender, directory, max_bytes)
    handler.setFormatter(JsonLineFormatter())
    logger.propagate = False
    logger.addHandler(handler)
    return handler.close


def _writer_process(
    contender: str, directory: str, writer: int, count: int, max_bytes: int, start, results
) -> None:
    logger = logging.getLogger(f"workload.{writer}")
    logger.setLevel(logging.INFO)
    if contender == "setup_logging":
        close = _through_setup_logging(Path(directory), max_bytes)
    else:
        close = _own_handler(contender, Path(directory), max_bytes, logger)
    start.wait()
    began = time.monotonic()  # CLOCK_MONOTONIC is system-wide on Linux: comparable
    for seq in range(count):
        logger.info("request handled", extra={"writer": writer, "seq": seq})
    ended = time.monotonic()
    close()
    results.put((writer, began, ended))


@dataclass(frozen=True)
class Run:
    seconds: float  # first writer's start to last writer's end, close() excluded
    lines: int

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds


def run_writers(
    contender: str, directory: Path, *, processes: int, count: int, max_bytes: int
) -> Run:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(
            target=_writer_process,
            args=(contender, str(directory), writer, count, max_bytes, start, results),
        )
        for writer in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a writer process exited with {worker.exitcode}")
    began = min(span[1] for span in spans)
    ended = max(span[2] for span in spans)
    return Run(seconds=ended - began, lines=processes * count)


@dataclass(frozen=True)
class Audit:
    lines: int
    lost: int
    duplicated: int
    torn: int

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.torn == 0


def audit(lines: list[bytes], *, processes: int, count: int) -> Audit:
    """Every (writer, seq) must appear exactly once, every line must be whole JSON."""
    seen: Counter[tuple[int, int]] = Counter()
    torn = 0
    for line in lines:
        try:
            document = orjson.loads(line)
            seen[(document["writer"], document["seq"])] += 1
        except (orjson.JSONDecodeError, KeyError, TypeError):
            torn += 1
    expected = {(writer, seq) for writer in range(processes) for seq in range(count)}
    return Audit(
        lines=len(lines),
        lost=len(expected - seen.keys()),
        duplicated=sum(times - 1 for times in seen.values() if times > 1),
        torn=torn,
    )


def all_lines(directory: Path) -> list[bytes]:
    """Lines of every log file in `directory` (gunzipped), for handlers with other names."""
    lines: list[bytes] = []
    for name in sorted(os.listdir(directory)):
        path = directory / name
        if name.startswith(".") or name.endswith(".lock") or not path.is_file():
            continue
        lines.extend(read_lines(path))
    return lines
