"""Write failures never reach the application: counted, reported once, recovered from."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from python_logging.failures import failure_counts
from python_logging.logfiles import rotated_files
from tests.file_handler_support import line

pytest_plugins = ["tests.file_handler_fixtures"]  # fixtures: make_handler, fast, clean_failures

REPO = Path(__file__).resolve().parent.parent


def run_child(script: str, *args: str, stdin: str = "", cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or REPO,
    )


def test_file_size_limit_drops_lines_without_raising(tmp_path):
    # Python ignores SIGXFSZ, so past RLIMIT_FSIZE write() fails with EFBIG. 60-byte lines
    # against a 1000-byte limit: 16 fit, the 17th is cut short (a short write), the rest fail.
    result = run_child(
        """
        import json, logging, resource, sys
        from pathlib import Path
        from python_logging.failures import failure_counts
        from python_logging.handlers import ECSFileHandler

        handler = ECSFileHandler(Path(sys.argv[1]), "api", max_bytes=None, when=None,
                                 backup_count=None, retention_days=None, compress=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger("app")
        logger.addHandler(handler)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        for n in range(100):
            logger.warning("%059d", n)
        print(json.dumps(failure_counts()))
        """,
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    active = tmp_path / "api.log"
    assert json.loads(result.stdout) == {f"write {active}": 100 - 16}
    assert result.stderr.count("python_logging:") == 1
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    content = active.read_bytes()
    assert len(content) == 1000
    assert content.startswith(b"".join(b"%059d\n" % n for n in range(16)))


def test_full_disk_is_counted_reported_once_and_recovered(
    tmp_path, make_handler, fast, clean_failures, capsys
):
    directory = tmp_path / "logs"
    directory.mkdir()
    (directory / "api.log").symlink_to("/dev/full")  # every write: ENOSPC
    handler = make_handler(directory)
    for n in range(3):
        handler.write_line(line(n))
    assert failure_counts() == {f"write {handler.path}": 3}

    (directory / "api.log").unlink()  # space again
    for n in range(3, 5):
        handler.write_line(line(n))
    assert handler.path.read_bytes() == line(3) + line(4)
    err = capsys.readouterr().err
    assert err.count("No space left on device") == 1
    assert "recovered (3 failures so far)" in err


def test_unopenable_path_recovers_when_the_cause_is_gone(
    tmp_path, make_handler, fast, clean_failures, capsys
):
    directory = tmp_path / "logs"
    handler = make_handler(directory)
    handler.write_line(line(0))
    shutil.rmtree(directory)
    directory.write_bytes(b"someone put a file where the log directory was")
    handler.write_line(line(1))
    handler.write_line(line(2))
    assert failure_counts() == {f"write {handler.path}": 2}

    directory.unlink()
    handler.write_line(line(3))
    assert handler.path.read_bytes() == line(3)
    assert "recovered" in capsys.readouterr().err


def test_deleted_directory_is_recreated_within_a_second(tmp_path, make_handler):
    directory = tmp_path / "logs"
    handler = make_handler(directory, max_bytes=10_000)
    handler.write_line(line(0))
    shutil.rmtree(directory)
    time.sleep(1.05)  # the periodic stat of the active path notices
    handler.write_line(line(1))
    assert handler.path.read_bytes() == line(1)


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="POSIX only")
def test_permission_denied_does_not_raise_and_recovers():
    # Tests run as root, which chmod alone does not stop: the child drops to nobody.
    base = Path(tempfile.mkdtemp(prefix="perm-"))
    try:
        base.chmod(0o755)
        directory = base / "logs"
        directory.mkdir(mode=0o755)
        if os.geteuid() != 0:
            directory.chmod(0o555)
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(PERMISSION_CHILD), str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=base,
            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert child.stdout.readline() == "blocked\n", child.stderr.read()
        directory.chmod(0o777)
        out, err = child.communicate("go\n", timeout=60)
        assert child.returncode == 0, err
        assert json.loads(out) == {f"write {directory / 'api.log'}": 3}
        assert err.count("Permission denied") == 1 and "recovered" in err
        assert "Traceback" not in err
        assert (directory / "api.log").read_bytes() == b"allowed 0\nallowed 1\n"
    finally:
        shutil.rmtree(base)


PERMISSION_CHILD = """
    import json, os, sys
    from pathlib import Path
    from python_logging.failures import failure_counts
    from python_logging.handlers import ECSFileHandler
    if os.geteuid() == 0:  # after the imports: nobody may not read the interpreter's files
        os.setgid(65534)
        os.setuid(65534)

    handler = ECSFileHandler(Path(sys.argv[1]), "api", max_bytes=None, when=None,
                             backup_count=None, retention_days=None, compress=False)
    for n in range(3):
        handler.write_line(b"denied %d\\n" % n)
    print("blocked", flush=True)
    sys.stdin.readline()
    for n in range(2):
        handler.write_line(b"allowed %d\\n" % n)
    handler.close()
    print(json.dumps(failure_counts()))
"""



def test_short_writes_are_completed(tmp_path, make_handler, clean_failures, monkeypatch):
    real_write = os.write

    def at_most_seven_bytes(fd: int, data) -> int:
        return real_write(fd, bytes(data[:7]))

    handler = make_handler()
    monkeypatch.setattr(os, "write", at_most_seven_bytes)
    handler.write_line(line(1))
    handler.write_line(line(2))
    monkeypatch.undo()
    assert handler.path.read_bytes() == line(1) + line(2)
    assert failure_counts() == {}


def test_handle_error_counts_without_a_traceback(make_handler, clean_failures, capsys):
    handler = make_handler()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    try:
        raise OSError("disk on fire")
    except OSError:
        handler.handleError(record)
    err = capsys.readouterr().err
    assert "disk on fire" in err and "Traceback" not in err
    assert failure_counts() == {f"write {handler.path}": 1}


def test_a_failed_rotation_keeps_writing_and_is_retried(
    tmp_path, make_handler, clean_failures, monkeypatch, capsys
):
    handler = make_handler(max_bytes=40)
    real_rename = os.rename

    def refuse(source, target):
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(os, "rename", refuse)
    for n in range(3):  # only the first line tries to rotate until the next check
        handler.write_line(line(n))
    assert failure_counts() == {f"rotate {handler.path}": 1}
    assert handler.path.read_bytes() == line(0) + line(1) + line(2)

    monkeypatch.setattr(os, "rename", real_rename)
    handler._writer._next_check = 0.0  # as if a second had passed
    handler.write_line(line(3))
    rotated = [f.path.read_bytes() for f in rotated_files(handler.path.parent, "api")]
    assert rotated == [line(0) + line(1) + line(2) + line(3)]
    assert "recovered" in capsys.readouterr().err
