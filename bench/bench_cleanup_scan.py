"""Scan-and-plan time of `elkctl cleanup files` on a directory of 100k rotated log files.

Creates the files in a temporary directory (ages spread over 90 days with os.utime), then
times scanning plus planning (age and size budget) several times and records the best and
median runs in the `cleanup` section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from elkctl.cleanup.file_plan import plan_file_cleanup
from elkctl.cleanup.file_scan import name_matcher, scan_directory
from python_logging.naming import active_name, rotated_name

FILES = 100_000
SERVICES = ("api", "worker", "scheduler", "billing")
RUNS = 5
RESULTS = Path(__file__).with_name("RESULTS.md")


def populate(directory: Path, now: float) -> None:
    for index in range(FILES):
        service = SERVICES[index % len(SERVICES)]
        mtime = now - (index * 90 * 86400 / FILES)
        name = rotated_name(service, datetime.fromtimestamp(mtime, timezone.utc))
        if index % 3 == 0:
            name += ".gz"
        path = directory / name
        with open(path, "wb") as handle:
            handle.write(b"x" * (index % 200))
        os.utime(path, (mtime, mtime))
    for service in SERVICES:
        (directory / active_name(service)).write_bytes(b"y" * 1000)


def scan_and_plan(directory: str, now: float) -> int:
    scan = scan_directory(directory, name_matcher(()))
    plan = plan_file_cleanup(
        scan.candidates,
        protected_bytes=sum(f.size for f in scan.active),
        now=now,
        older_than=30 * 86400,
        max_total_size=2_000_000,
    )
    return len(plan.delete)


def machine() -> str:
    cpus = os.cpu_count()
    return f"{cpus} vCPU, {platform.machine()}, Python {platform.python_version()}"


def record(text: str) -> None:
    content = RESULTS.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- section: cleanup -->\n).*?(<!-- /section: cleanup -->)", re.S)
    if not pattern.search(content):
        raise SystemExit(f"{RESULTS} has no cleanup section markers")
    RESULTS.write_text(pattern.sub(lambda m: m.group(1) + text + m.group(2), content),
                       encoding="utf-8")


def main() -> None:
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-cleanup-") as tmp:
        started = time.perf_counter()
        populate(Path(tmp), now)
        created = time.perf_counter() - started
        timings, planned = [], 0
        for _ in range(RUNS):
            started = time.perf_counter()
            planned = scan_and_plan(tmp, now)
            timings.append(time.perf_counter() - started)
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    text = (
        "### `elkctl cleanup files`: scan and plan, 100k files\n\n"
        f"Machine: {machine()}. Date: {date}. Command: `python bench/bench_cleanup_scan.py`.\n\n"
        "One directory with 100,000 rotated files (a third compressed) of four services and\n"
        "their active files; filters `--older-than 30d --max-total-size 2MB`. Time to list\n"
        "the directory, stat the matching files and compute the deletion plan (no deletion).\n\n"
        "| files | planned for deletion | best (s) | median (s) | runs |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"| {FILES:,} | {planned:,} | {min(timings):.3f} | {statistics.median(timings):.3f} "
        f"| {RUNS} |\n\n"
        f"(Creating the files took {created:.1f} s and is not part of the measurement.)\n"
    )
    record(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
