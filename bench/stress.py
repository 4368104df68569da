"""`make stress`: several processes, one log directory, tiny rotation thresholds, gzip.

1. Integrity and throughput of ECSFileHandler: 4 spawned processes with their own handler
   rotate every 16 KB with compression on; afterwards every file is read back (gunzipped)
   and each (writer, seq) must appear exactly once as whole JSON: lost/duplicated/torn.
   Then the same through `setup_logging` (the full ECS pipeline in front of the handler).
2. The same workload through concurrent-log-handler's ConcurrentRotatingFileHandler, at a
   threshold its cascade of renames can live with, against ours at the same threshold;
   runs alternate between the two and the median counts (the machine is shared).
3. Per-write cost of the handler alone against logging.FileHandler, one process, the same
   pre-formatted line, batches alternating between writers, best batch counts.

Results go into the `stress` section of bench/RESULTS.md. Exit status 1 if any line of
ours was lost, duplicated or torn.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._results import machine, stamp, write_section
from bench.workload import SERVICE, Audit, all_lines, audit, run_writers
from python_logging.handlers import ECSFileHandler
from python_logging.logfiles import rotated_files, service_lines

PROCESSES = 4
COUNT = 50_000  # lines per process
TINY = 16 * 1024
COMPARE_AT = 256 * 1024
COMPARE_RUNS = 5
LINE = '{"@timestamp":"2026-11-23T07:00:00.000Z","log.level":"info","message":"request handled"}'
BATCH = 50_000
BATCHES = 5


@dataclass(frozen=True)
class Measurement:
    lines_per_second: float
    audit: Audit
    rotated: int  # files left rotated (ours only)
    gzipped: int


def measure(contender: str, max_bytes: int) -> Measurement:
    with tempfile.TemporaryDirectory(prefix=f"stress-{contender}-") as name:
        directory = Path(name)
        run = run_writers(
            contender, directory, processes=PROCESSES, count=COUNT, max_bytes=max_bytes
        )
        files = rotated_files(directory, SERVICE)  # CLH names its files otherwise: none
        if contender == "concurrent-log-handler":
            lines = all_lines(directory)
        else:
            lines = list(service_lines(directory, SERVICE))
        return Measurement(
            lines_per_second=run.lines_per_second,
            audit=audit(lines, processes=PROCESSES, count=COUNT),
            rotated=len(files),
            gzipped=sum(f.compressed for f in files),
        )


def announce(label: str, measurement: Measurement) -> Measurement:
    rate = measurement.lines_per_second
    print(f"  {label}: {rate:,.0f} lines/s, {measurement.audit}", flush=True)
    return measurement


class _FixedLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return LINE


class _FixedBytes(logging.Formatter):
    def render_bytes(self, record: logging.LogRecord) -> bytes:
        return LINE.encode() + b"\n"


def per_write_overhead() -> list[tuple[str, float]]:
    """Microseconds per record (best batch) for each way of writing the same line."""
    record = logging.LogRecord("bench", logging.INFO, __file__, 1, "request handled", None, None)
    encoded = LINE.encode() + b"\n"
    with tempfile.TemporaryDirectory(prefix="overhead-") as name:
        directory = Path(name)

        def ours(formatter: logging.Formatter, max_bytes: int | None) -> ECSFileHandler:
            handler = ECSFileHandler(
                directory / f"ours-{id(formatter)}", SERVICE, max_bytes=max_bytes, when=None,
                backup_count=None, retention_days=None, compress=False,
            )
            handler.setFormatter(formatter)
            return handler

        stdlib = logging.FileHandler(directory / "stdlib.log")
        stdlib.setFormatter(_FixedLine())
        direct = ours(_FixedLine(), 10**9)
        writers = {
            "logging.FileHandler, handle(record)": (stdlib.handle, record),
            "ECSFileHandler, handle(record), no size limit": (
                ours(_FixedLine(), None).handle, record),
            "ECSFileHandler, handle(record), max_bytes=1 GB": (
                ours(_FixedLine(), 10**9).handle, record),
            "ECSFileHandler, handle(record), render_bytes formatter, max_bytes=1 GB": (
                ours(_FixedBytes(), 10**9).handle, record),
            "ECSFileHandler.write_line(bytes), max_bytes=1 GB": (direct.write_line, encoded),
        }
        best = dict.fromkeys(writers, float("inf"))
        for _ in range(BATCHES):
            for label, (write, argument) in writers.items():
                began = time.perf_counter()
                for _ in range(BATCH):
                    write(argument)
                best[label] = min(best[label], time.perf_counter() - began)
        for write, _ in writers.values():
            write.__self__.close()  # type: ignore[attr-defined]
    return [(label, seconds / BATCH * 1e6) for label, seconds in best.items()]


def row(label: str, threshold: int, measurement: Measurement, rate: str | None = None) -> str:
    result = measurement.audit
    files = (
        f"{measurement.rotated} ({measurement.gzipped} gzipped by the end)"
        if measurement.rotated else ""
    )
    return (
        f"| {label} | {threshold // 1024} KB | {rate or f'{measurement.lines_per_second:,.0f}'}"
        f" | {result.lost} | {result.duplicated} | {result.torn} | {files} |"
    )


def median_rate(runs: list[Measurement]) -> str:
    rates = [run.lines_per_second for run in runs]
    return f"{statistics.median(rates):,.0f} (runs: {', '.join(f'{r:,.0f}' for r in rates)})"


def worst(runs: list[Measurement]) -> Measurement:
    """One row for several runs: the run with the most damage (all clean: any)."""
    return max(runs, key=lambda run: (run.audit.lost + run.audit.duplicated + run.audit.torn))


def report(
    tiny: Measurement,
    product: Measurement,
    ours_runs: list[Measurement],
    clh_runs: list[Measurement],
    overhead: list[tuple[str, float]],
) -> str:
    ratio = statistics.median(r.lines_per_second for r in ours_runs) / statistics.median(
        r.lines_per_second for r in clh_runs
    )
    stdlib_us = overhead[0][1]
    return "\n".join(
        [
            f"Machine: {machine()}; nproc {os.cpu_count()}; measured {stamp()}.",
            "The machine was shared with other jobs while measured:",
            "expect run-to-run noise of up to 2x in the multi-process rows.",
            "",
            f"{PROCESSES} processes (spawn), each with its own handler on one directory, "
            f"{COUNT:,} JSON lines each, gzip on. ECSFileHandler and concurrent-log-handler "
            "rows use the same formatter (orjson, ~150 B lines); the setup_logging row runs "
            "the full ECS pipeline (~400 B lines). Lines/s = all lines / (first writer's "
            "start to last writer's end), close() excluded. Lost/duplicated/torn come from "
            "reading every file back (gunzipped) after the run. A rotated file is gzipped "
            "one rotation later and only once nobody wrote to it for 2 s, so files rotated "
            "in the last seconds of a run stay plain until the next start compresses them.",
            "",
            "| handler | rotate at | lines/s | lost | duplicated | torn | rotated files |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            row("ECSFileHandler", TINY, tiny),
            row("setup_logging (full ECS pipeline)", TINY, product),
            row("ECSFileHandler", COMPARE_AT, worst(ours_runs), median_rate(ours_runs)),
            row("concurrent-log-handler", COMPARE_AT, worst(clh_runs), median_rate(clh_runs)),
            "",
            f"Throughput ratio at {COMPARE_AT // 1024} KB (medians of {COMPARE_RUNS} "
            f"alternating runs), ours / concurrent-log-handler: **{ratio:.2f}x** "
            f"(target >= 2x: {'met' if ratio >= 2 else 'MISSED'}). concurrent-log-handler "
            "is not run at 16 KB: it renames every backup on each rotation (and needs a "
            "backupCount large enough to keep every line), which is quadratic at that size.",
            "",
            f"Per-write cost, one process, the same pre-formatted line, best of {BATCHES} "
            f"alternating batches of {BATCH:,}:",
            "",
            "| writer | µs per record | throughput vs logging.FileHandler |",
            "| --- | --- | --- |",
            *(f"| {label} | {us:.2f} | {stdlib_us / us:.2f}x |" for label, us in overhead),
        ]
    )


def main() -> int:
    print(f"stress: {PROCESSES} processes x {COUNT:,} lines", flush=True)
    tiny = announce(f"ours at {TINY // 1024} KB", measure("ours", TINY))
    product = announce(f"setup_logging at {TINY // 1024} KB", measure("setup_logging", TINY))
    ours_runs, clh_runs = [], []
    for _ in range(COMPARE_RUNS):
        ours_runs.append(announce(f"ours at {COMPARE_AT // 1024} KB", measure("ours", COMPARE_AT)))
        clh_runs.append(
            announce(
                f"concurrent-log-handler at {COMPARE_AT // 1024} KB",
                measure("concurrent-log-handler", COMPARE_AT),
            )
        )
    print("per-write overhead ...", flush=True)
    text = report(tiny, product, ours_runs, clh_runs, per_write_overhead())
    write_section("stress", text)
    print(text)
    ours = [tiny, product, *ours_runs]
    return 0 if all(m.audit.clean for m in ours) else 1


if __name__ == "__main__":
    sys.exit(main())
