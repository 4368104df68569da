"""Four spawned processes, one handler each, one directory, hundreds of rotations."""

from __future__ import annotations

import json
import os

from bench.workload import SERVICE, audit, run_writers
from python_logging.handlers import ECSFileHandler
from python_logging.logfiles import rotated_files, service_lines
from tests.file_handler_support import line

pytest_plugins = ["tests.file_handler_fixtures"]  # fixtures: fast

PROCESSES = 4
COUNT = 20_000


def test_no_line_lost_duplicated_or_torn_across_processes_and_rotations(tmp_path, fast):
    run_writers("ours", tmp_path, processes=PROCESSES, count=COUNT, max_bytes=32 * 1024)
    # Finish the compression the writers left for later (they stop after < 2 s of quiet),
    # so the audit also reads every line back through gzip.
    finisher = ECSFileHandler(
        tmp_path, SERVICE, max_bytes=None, when=None, backup_count=None,
        retention_days=None, compress=True,
    )
    assert finisher.wait_maintenance(timeout=60)
    finisher.close()

    files = rotated_files(tmp_path, SERVICE)
    assert len(files) > 100  # ~12 MB through 32 KB files: hundreds of rotations
    assert sum(f.compressed for f in files) == len(files) - 1  # all but the newest
    assert len({f.path.name for f in files}) == len(files)
    result = audit(list(service_lines(tmp_path, SERVICE)), processes=PROCESSES, count=COUNT)
    assert (result.lost, result.duplicated, result.torn) == (0, 0, 0)
    assert result.lines == PROCESSES * COUNT


def test_setup_logging_in_four_processes_loses_nothing(tmp_path):
    # The whole product per process (ECS pipeline + this handler), as a real app runs it.
    count = 5_000
    run_writers("setup_logging", tmp_path, processes=PROCESSES, count=count, max_bytes=32 * 1024)

    assert len(rotated_files(tmp_path, SERVICE)) > 50
    lines = list(service_lines(tmp_path, SERVICE))
    result = audit(lines, processes=PROCESSES, count=count)
    assert (result.lost, result.duplicated, result.torn) == (0, 0, 0)
    assert b'"service":{"name":"stress"' in lines[0]


def test_a_forked_child_shares_the_handler_safely(tmp_path, fast):
    # gunicorn --preload: the handler is built before the fork and used on both sides.
    handler = ECSFileHandler(
        tmp_path, "api", max_bytes=400, when=None, backup_count=None,
        retention_days=None, compress=True,
    )
    handler.write_line(line(0))
    pid = os.fork()
    if pid == 0:  # the child: rotate a few times, compress in its own thread, leave
        status = 1
        try:
            for n in range(1, 50):
                handler.write_line(line(n))
            idle = handler.wait_maintenance(timeout=60)
            handler.close()
            status = 0 if idle else 3
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    for n in range(50, 60):
        handler.write_line(line(n))
    assert handler.wait_maintenance(timeout=60)
    handler.close()

    numbers = sorted(json.loads(text)["n"] for text in service_lines(tmp_path, "api"))
    assert numbers == list(range(60))
    assert any(f.compressed for f in rotated_files(tmp_path, "api"))
