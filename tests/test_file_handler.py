"""ECSFileHandler on real files: rotation, retention, delayed compression, time rotation."""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from python_logging import compression, naming
from python_logging.handlers import ECSFileHandler
from python_logging.logfiles import rotated_files, service_lines
from tests.file_handler_support import SERVICE, FakeClock, line, names, utc

pytest_plugins = ["tests.file_handler_fixtures"]  # fixtures: make_handler, fast, clean_failures


def test_size_rotation_gives_unique_names_and_keeps_every_line(tmp_path, make_handler):
    # A frozen clock makes every rotation ask for the same name: seq must bump.
    clock = FakeClock(utc(2026, 11, 23, 6, 0, 0))
    handler = make_handler(max_bytes=400, clock=clock)
    for n in range(100):
        handler.write_line(line(n))

    directory = tmp_path / "logs"
    rotated = [name for name in names(directory) if naming.is_rotated(name)]
    base = naming.rotated_name(SERVICE, utc(2026, 11, 23, 6, 0, 0))
    assert base in rotated
    assert naming.rotated_name(SERVICE, utc(2026, 11, 23, 6, 0, 0), seq=1) in rotated
    assert len(rotated) == len(set(rotated)) == 10  # one per 10 lines of 40 bytes
    numbers = [json.loads(text)["n"] for text in service_lines(directory, SERVICE)]
    assert numbers == list(range(100))


def test_rotation_never_overwrites_an_existing_file(tmp_path, make_handler):
    clock = FakeClock(utc(2026, 11, 23, 6, 0, 0))
    directory = tmp_path / "logs"
    directory.mkdir()
    taken = directory / naming.rotated_name(SERVICE, utc(2026, 11, 23, 6, 0, 0))
    taken.write_bytes(b"not ours\n")
    (directory / (naming.rotated_name(SERVICE, utc(2026, 11, 23, 6, 0, 0), 1) + ".gz")).write_bytes(
        b"also not ours"
    )
    handler = make_handler(directory, max_bytes=40, clock=clock)
    handler.write_line(line(1))

    assert taken.read_bytes() == b"not ours\n"
    fresh = directory / naming.rotated_name(SERVICE, utc(2026, 11, 23, 6, 0, 0), 2)
    assert fresh.read_bytes() == line(1)


def test_backup_count_keeps_the_newest_rotations_only(tmp_path, make_handler):
    directory = tmp_path / "logs"
    directory.mkdir()
    other_service = directory / naming.rotated_name("billing", utc(2020, 1, 1))
    other_service.write_bytes(b"x\n")
    unrelated = directory / "notes.txt"
    unrelated.write_bytes(b"x\n")
    handler = make_handler(directory, max_bytes=40, backup_count=2)
    for n in range(6):
        handler.write_line(line(n))
        time.sleep(0.002)  # distinct rotation timestamps
    assert handler.wait_maintenance()

    kept = rotated_files(directory, SERVICE)
    assert [f.path.read_bytes() for f in kept] == [line(4), line(5)]
    assert other_service.exists() and unrelated.exists()
    assert (directory / "api.log").exists()


def test_retention_days_deletes_old_rotations_of_this_service_only(tmp_path, make_handler):
    directory = tmp_path / "logs"
    directory.mkdir()
    long_ago = time.time() - 10 * 86400
    old_ours = directory / naming.rotated_name(SERVICE, utc(2026, 11, 1))
    old_ours_gz = directory / (naming.rotated_name(SERVICE, utc(2026, 11, 2)) + ".gz")
    old_other = directory / naming.rotated_name("billing", utc(2026, 11, 1))
    odd_name = directory / "api.old.log"
    for path in (old_ours, old_ours_gz, old_other, odd_name):
        path.write_bytes(b"x\n")
        os.utime(path, (long_ago, long_ago))
    handler = make_handler(directory, max_bytes=40, retention_days=1)
    handler.write_line(line(1))  # rotates, which runs retention
    assert handler.wait_maintenance()

    assert not old_ours.exists() and not old_ours_gz.exists()
    assert old_other.exists() and odd_name.exists()
    assert [f.path.read_bytes() for f in rotated_files(directory, SERVICE)] == [line(1)]


def test_compression_waits_one_rotation_and_is_complete(tmp_path, make_handler, fast):
    directory = tmp_path / "logs"
    handler = make_handler(max_bytes=80, compress=True)
    for n in range(2):
        handler.write_line(line(n))
    assert handler.wait_maintenance()
    first = rotated_files(directory, SERVICE)
    assert [(f.compressed, f.path.read_bytes()) for f in first] == [(False, line(0) + line(1))]

    for n in range(2, 4):
        handler.write_line(line(n))
    assert handler.wait_maintenance()
    second = rotated_files(directory, SERVICE)
    assert [f.compressed for f in second] == [True, False]
    assert second[0].path.name == first[0].path.name + ".gz"
    assert gzip.decompress(second[0].path.read_bytes()) == line(0) + line(1)
    assert not first[0].path.exists()
    assert not list(directory.glob("*.tmp"))


def test_compression_leaves_a_file_that_changed_meanwhile(tmp_path, fast):
    rotated = tmp_path / naming.rotated_name(SERVICE, utc(2026, 11, 23))
    rotated.write_bytes(line(1))

    def late_writer_appends() -> bool:
        with open(rotated, "ab") as stream:
            stream.write(line(2))
        return False

    outcome = compression.compress_file(rotated, should_stop=late_writer_appends)
    assert outcome is compression.Outcome.CHANGED
    assert rotated.read_bytes() == line(1) + line(2)
    assert sorted(os.listdir(tmp_path)) == [rotated.name]


def test_compression_skips_a_file_written_just_now(tmp_path):
    rotated = tmp_path / naming.rotated_name(SERVICE, utc(2026, 11, 23))
    rotated.write_bytes(line(1))
    outcome = compression.compress_file(rotated, should_stop=lambda: False)
    assert outcome is compression.Outcome.BUSY
    assert sorted(os.listdir(tmp_path)) == [rotated.name]


def test_stopped_compression_keeps_the_original_and_no_partial_gz(tmp_path, fast):
    rotated = tmp_path / naming.rotated_name(SERVICE, utc(2026, 11, 23))
    rotated.write_bytes(line(1) * 1000)
    outcome = compression.compress_file(rotated, should_stop=lambda: True)
    assert outcome is compression.Outcome.STOPPED
    assert sorted(os.listdir(tmp_path)) == [rotated.name]
    assert rotated.read_bytes() == line(1) * 1000


def test_close_during_compression_leaves_no_half_state(tmp_path, fast, monkeypatch):
    directory = tmp_path / "logs"
    handler = ECSFileHandler(
        directory, SERVICE, max_bytes=2_000_000, when=None, backup_count=None,
        retention_days=None, compress=True,
    )
    monkeypatch.setattr(compression, "CHUNK_BYTES", 1024)  # many chunks: many stop checks
    for _ in range(2):  # two rotations of ~2 MB: the first becomes a compression candidate
        for n in range(2_000_000 // 40 + 1):
            handler.write_line(line(n))
    handler._maintenance.close(timeout=0.0)  # shutdown with no time left to compress
    handler.close()

    leftovers = sorted(os.listdir(directory))
    assert not [name for name in leftovers if name.endswith(".tmp")]
    for rotated in rotated_files(directory, SERVICE):
        if rotated.compressed:  # finished before the stop: then complete, original gone
            gzip.decompress(rotated.path.read_bytes())
            assert not Path(str(rotated.path)[:-3]).exists()
    assert sum(1 for _ in service_lines(directory, SERVICE)) == 2 * (2_000_000 // 40 + 1)


def test_close_lets_the_compression_in_progress_finish_and_starts_no_other(
    tmp_path, make_handler, fast, monkeypatch
):
    directory = tmp_path / "logs"
    directory.mkdir()
    first, second, newest = (
        directory / naming.rotated_name(SERVICE, utc(2026, 11, day)) for day in (1, 2, 3)
    )
    for path in (first, second, newest):
        path.write_bytes(line(1) * 100)
    started, release = threading.Event(), threading.Event()
    real_write_gzip = compression._write_gzip

    def slow_write_gzip(*args):
        started.set()
        release.wait(5)
        real_write_gzip(*args)

    monkeypatch.setattr(compression, "_write_gzip", slow_write_gzip)
    handler = make_handler(directory, compress=True)  # the start pass takes `first`
    assert started.wait(5)
    closer = threading.Thread(target=handler.close)
    closer.start()
    time.sleep(0.05)
    release.set()
    closer.join(10)

    assert not closer.is_alive()
    assert names(directory) == sorted([first.name + ".gz", second.name, newest.name])
    assert gzip.decompress((directory / (first.name + ".gz")).read_bytes()) == line(1) * 100


def test_stale_tmp_files_are_removed_at_start(tmp_path, make_handler):
    directory = tmp_path / "logs"
    directory.mkdir()
    ours = directory / (naming.rotated_name(SERVICE, utc(2026, 11, 1)) + ".gz.tmp")
    theirs = directory / (naming.rotated_name("billing", utc(2026, 11, 1)) + ".gz.tmp")
    for path in (ours, theirs):
        path.write_bytes(b"partial")
    handler = make_handler(directory, compress=True)
    assert handler.wait_maintenance()
    assert not ours.exists() and theirs.exists()


def test_two_handlers_crossing_midnight_rotate_once(tmp_path, make_handler):
    clock = FakeClock(utc(2026, 11, 23, 23, 59, 58))
    first = make_handler(when="midnight", clock=clock)
    second = make_handler(when="midnight", clock=clock)
    first.write_line(b'{"day":1,"from":1}\n')
    second.write_line(b'{"day":1,"from":2}\n')
    clock.set(utc(2026, 11, 24, 0, 0, 1))
    first.write_line(b'{"day":2,"from":1}\n')
    second.write_line(b'{"day":2,"from":2}\n')
    first.write_line(b'{"day":2,"from":1,"again":true}\n')

    directory = tmp_path / "logs"
    rotated = rotated_files(directory, SERVICE)
    at_midnight = naming.rotated_name(SERVICE, utc(2026, 11, 24, 0, 0, 1))
    assert [f.path.name for f in rotated] == [at_midnight]
    assert rotated[0].path.read_bytes() == b'{"day":1,"from":1}\n{"day":1,"from":2}\n'
    assert (directory / "api.log").read_bytes() == (
        b'{"day":2,"from":1}\n{"day":2,"from":2}\n{"day":2,"from":1,"again":true}\n'
    )


def test_hourly_rotation_combines_with_size(tmp_path, make_handler):
    clock = FakeClock(utc(2026, 11, 23, 10, 59, 0))
    handler = make_handler(when="hourly", max_bytes=80, clock=clock)
    for n in range(3):  # the second line fills the file: a size rotation
        handler.write_line(line(n))
    clock.set(utc(2026, 11, 23, 11, 0, 0))
    handler.write_line(line(3))  # the hour turned: line 2 is rotated away first

    contents = [f.path.read_bytes() for f in rotated_files(tmp_path / "logs", SERVICE)]
    assert contents == [line(0) + line(1), line(2)]
    assert (tmp_path / "logs" / "api.log").read_bytes() == line(3)


def test_a_file_left_from_an_earlier_period_rotates_at_start(tmp_path, make_handler):
    clock = FakeClock(utc(2026, 11, 23, 12, 0, 0))
    make_handler(when="midnight", clock=clock).write_line(line(1))
    clock.set(utc(2026, 11, 25, 8, 0, 0))  # the app was down for two days
    make_handler(when="midnight", clock=clock).write_line(line(2))

    contents = [f.path.read_bytes() for f in rotated_files(tmp_path / "logs", SERVICE)]
    assert contents == [line(1)]
    assert (tmp_path / "logs" / "api.log").read_bytes() == line(2)


class _RenderingFormatter(logging.Formatter):
    def render_bytes(self, record: logging.LogRecord) -> bytes:
        return b'{"rendered":"' + record.getMessage().encode() + b'"}\n'


def test_emit_uses_render_bytes_when_the_formatter_has_it(tmp_path, make_handler):
    handler = make_handler()
    logger = logging.getLogger("test_file_handler.render")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.warning("plain \udcff")  # a lone surrogate must not drop the line
        handler.setFormatter(_RenderingFormatter())
        logger.warning("fast")
    finally:
        logger.removeHandler(handler)
    assert handler.path.read_bytes() == b'WARNING plain \\udcff\n{"rendered":"fast"}\n'


class _BrokenFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        raise ValueError("formatter bug")


def test_a_failing_formatter_is_counted_not_raised(tmp_path, make_handler, clean_failures, capsys):
    handler = make_handler()
    handler.setFormatter(_BrokenFormatter())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    handler.handle(record)
    handler.handle(record)
    from python_logging.failures import failure_counts

    assert failure_counts() == {f"format for {handler.path}": 2}
    err = capsys.readouterr().err
    assert err.count("formatter bug") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "options, key",
    [
        ({"when": "daily"}, "when"),
        ({"max_bytes": 0}, "max_bytes"),
        ({"backup_count": -1}, "backup_count"),
        ({"retention_days": 0}, "retention_days"),
    ],
)
def test_bad_settings_fail_at_construction_naming_the_key(tmp_path, options, key):
    settings = dict(
        max_bytes=None, when=None, backup_count=None, retention_days=None, compress=False
    )
    settings.update(options)
    with pytest.raises(ValueError, match=key):
        ECSFileHandler(tmp_path, SERVICE, **settings)


def test_a_writer_notices_anothers_rotation_within_a_64th_of_max_bytes(tmp_path, make_handler):
    """Two writers (as two processes: each has its own descriptor). After the first
    rotates, the second appends to the renamed file only until its own writes reach
    max_bytes / 64, then follows to the new active file; no line is lost."""
    directory = tmp_path / "logs"
    max_bytes = 64 * 410  # lines are 41 bytes: a size check every 10 lines
    first = make_handler(directory, max_bytes=max_bytes)
    second = make_handler(directory, max_bytes=max_bytes)
    second.write_line(line(0))
    n = 1
    while not any(naming.is_rotated(name) for name in names(directory)):
        first.write_line(line(n))
        n += 1
    [rotated] = [name for name in names(directory) if naming.is_rotated(name)]
    rotated_at = n
    for n in range(rotated_at, rotated_at + 30):
        second.write_line(line(n))
    late = [json.loads(text)["n"] for text in (directory / rotated).read_text().splitlines()
            if json.loads(text)["n"] >= rotated_at]
    assert 0 < len(late) * len(line(0)) <= max_bytes // 64
    assert late == list(range(rotated_at, rotated_at + len(late)))
    numbers = sorted(json.loads(text)["n"] for text in service_lines(directory, SERVICE))
    assert numbers == list(range(rotated_at + 30))
