"""`elkctl cleanup files` on real files in temporary directories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from elkctl.cleanup import file_delete
from elkctl.cleanup.errors import EXIT_LOCKED, EXIT_PARTIAL, RunLocked
from elkctl.cleanup.file_plan import REASON_AGE, REASON_BUDGET, plan_file_cleanup
from elkctl.cleanup.file_scan import LogFile, name_matcher, scan_directory
from elkctl.cleanup.lock import default_lock_path, exclusive_run
from elkctl.cli import cli
from python_logging import compression, rotation
from python_logging.handlers import ECSFileHandler
from python_logging.naming import active_name, rotated_name
from tests.cli_assertions import one_line_failure

pytest_plugins = ["tests.cleanup_fixtures"]  # fixture: elkctl_log_dir

NOW = time.time()
DAY = 86400.0


def make_file(directory: Path, name: str, size: int, age_days: float) -> Path:
    path = directory / name
    path.write_bytes(b"x" * size)
    mtime = NOW - age_days * DAY
    os.utime(path, (mtime, mtime))
    return path


def rotated(directory: Path, service: str, size: int, age_days: float, gz: bool = False) -> Path:
    when = datetime.fromtimestamp(NOW, timezone.utc) - timedelta(days=age_days)
    name = rotated_name(service, when) + (".gz" if gz else "")
    return make_file(directory, name, size, age_days)


@pytest.fixture
def run(elkctl_log_dir):
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["cleanup", "files", *args])

    return invoke


@pytest.fixture
def logs(tmp_path) -> Path:
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


# ---- planning (pure) ---------------------------------------------------------------------

def lf(name: str, size: int, age_days: float) -> LogFile:
    return LogFile("/d", name, size, NOW - age_days * DAY, hash(name))


def test_budget_deletes_oldest_first_until_the_total_fits_counting_active_files():
    files = [lf("c", 100, 1), lf("a", 100, 3), lf("b", 100, 2), lf("d", 100, 0.5)]
    plan = plan_file_cleanup(files, protected_bytes=150, now=NOW, max_total_size=360)
    # total 550: dropping a (3d) -> 450, b (2d) -> 350 <= 360
    assert [d.file.name for d in plan.delete] == ["a", "b"]
    assert {d.reason for d in plan.delete} == {REASON_BUDGET}
    assert plan.total_bytes == 550 and plan.bytes_to_free == 200


def test_age_and_budget_both_select_and_age_counts_towards_the_budget():
    files = [lf("old", 100, 40), lf("mid", 100, 10), lf("new", 100, 1)]
    plan = plan_file_cleanup(files, 0, NOW, older_than=30 * DAY, max_total_size=150)
    assert [(d.file.name, d.reason) for d in plan.delete] == [
        ("old", REASON_AGE), ("mid", REASON_BUDGET)
    ]
    assert plan_file_cleanup(files, 0, NOW, older_than=30 * DAY).bytes_to_free == 100


def test_scan_protects_active_files_and_skips_symlinks_and_other_names(logs, tmp_path):
    outside = make_file(tmp_path, rotated_name("api", datetime.now(timezone.utc)), 10, 90)
    (logs / rotated_name("api", datetime(2020, 1, 1, tzinfo=timezone.utc))).symlink_to(outside)
    make_file(logs, active_name("api"), 5, 90)
    kept = rotated(logs, "api", 7, 5, gz=True)
    make_file(logs, "notes.txt", 3, 90)
    (logs / "api.20200101T000000000000Z.log.d").mkdir()
    scan = scan_directory(str(logs), name_matcher(()))
    assert [f.name for f in scan.candidates] == [kept.name]
    assert [f.name for f in scan.active] == ["api.log"]
    assert len(scan.skipped_links) == 1
    # an explicit glob that also matches the active file still never selects it
    assert [f.name for f in scan_directory(str(logs), name_matcher(("*.log*",))).active] == [
        "api.log"
    ]


# ---- the command on real files ---------------------------------------------------------

def test_old_rotated_files_go_while_idle_active_file_and_symlink_target_stay(run, logs, tmp_path):
    old = rotated(logs, "api", 100, 40)
    old_gz = rotated(logs, "api", 50, 35, gz=True)
    young = rotated(logs, "api", 100, 2)
    active = make_file(logs, active_name("api"), 10, 400)  # idle for a year: still active
    outside = make_file(tmp_path, "precious.log", 10, 400)
    link = logs / rotated_name("api", datetime(2020, 1, 1, tzinfo=timezone.utc))
    link.symlink_to(outside)

    result = run("--dir", str(logs), "--older-than", "30d")

    assert result.exit_code == 0, result.output + result.stderr
    assert result.output == ""  # quiet on success
    assert not old.exists() and not old_gz.exists()
    assert young.exists() and active.exists() and link.is_symlink() and outside.exists()


def test_size_budget_removes_oldest_rotated_first(run, logs):
    files = [rotated(logs, "api", 1000, age) for age in (5, 4, 3, 2, 1)]
    make_file(logs, active_name("api"), 500, 0)
    result = run("--dir", str(logs), "--max-total-size", "3000", "--json")
    assert result.exit_code == 0, result.stderr
    # 5500 bytes in total: the three oldest go, leaving 2500
    assert [f.exists() for f in files] == [False, False, False, True, True]
    summary = json.loads(result.stdout)
    assert summary["deleted"] == 3 and summary["bytes_freed"] == 3000
    assert summary["remaining_bytes"] == 2500


def test_dry_run_lists_exactly_what_would_go_and_deletes_nothing(run, logs):
    old = [rotated(logs, "api", 10, 50), rotated(logs, "worker", 10, 60, gz=True)]
    young = rotated(logs, "api", 10, 1)
    before = names(logs)

    result = run("--dir", str(logs), "--older-than", "30d", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert names(logs) == before
    for path in old:
        assert str(path) in result.output
    assert str(young) not in result.output

    as_json = json.loads(run("--dir", str(logs), "--older-than", "30d", "--dry-run", "--json")
                         .stdout)
    assert sorted(as_json["would_delete"]) == sorted(str(p) for p in old)
    assert as_json["dry_run"] is True and as_json["deleted"] == 0
    assert names(logs) == before


def test_json_summary_is_one_line_with_counts_bytes_and_errors(run, logs):
    rotated(logs, "api", 100, 40)
    rotated(logs, "api", 10, 1)
    make_file(logs, "api.log", 5, 0)
    result = run("--dir", str(logs), "--older-than", "30d", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    summary = json.loads(result.stdout)
    assert summary["command"] == "cleanup files"
    assert (summary["matched"], summary["deleted"], summary["failed"]) == (2, 1, 0)
    assert summary["bytes_freed"] == 100 and summary["remaining_bytes"] == 15
    assert summary["active_protected"] == 1 and summary["errors"] == []


def test_verbose_run_lists_deleted_files(run, logs):
    old = rotated(logs, "api", 100, 40)
    result = run("--dir", str(logs), "--older-than", "30d", "--verbose")
    assert result.exit_code == 0
    assert str(old) in result.output and "freed" in result.output


@pytest.mark.parametrize("bad", ["/", "", "  ", "HOME", "HOME_PARENT"])
def test_dangerous_directories_are_refused(run, tmp_path, monkeypatch, bad):
    home = tmp_path / "home" / "ops"
    home.mkdir(parents=True)
    rotated(home, "api", 10, 90)
    monkeypatch.setenv("HOME", str(home))
    value = {"HOME": str(home), "HOME_PARENT": str(home.parent)}.get(bad, bad)
    assert "--dir" in one_line_failure(run("--dir", value, "--older-than", "1d"))
    assert len(list(home.iterdir())) == 1


def test_missing_filters_and_bad_values_are_clear_errors(run, logs):
    assert "--older-than and/or --max-total-size" in run("--dir", str(logs)).stderr
    bad = run("--dir", str(logs), "--older-than", "30 days")
    assert bad.exit_code == 2 and "not a duration" in bad.stderr
    missing = run("--dir", str(logs / "nope"), "--older-than", "1d")
    assert "does not exist" in one_line_failure(missing)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from elkctl.cleanup.lock import exclusive_run
with exclusive_run(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_lock_held_by_another_run_stops_this_one(run, logs):
    old = rotated(logs, "api", 10, 90)
    lock = default_lock_path("cleanup-files")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run("--dir", str(logs), "--older-than", "1d")
    finally:
        holder.kill()
        holder.wait()
    line = one_line_failure(result, EXIT_LOCKED)
    assert f"another cleanup run holds the lock {lock} (pid {holder.pid})" in line
    assert old.exists()
    assert run("--dir", str(logs), "--older-than", "1d").exit_code == 0
    assert not old.exists()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    with exclusive_run(tmp_path / "x.lock"), pytest.raises(RunLocked) as raised, \
            exclusive_run(tmp_path / "x.lock"):
        pass
    assert f"(pid {os.getpid()})" in str(raised.value)  # the holder is named


def test_a_symlink_planted_at_the_lock_path_is_refused(run, logs, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    lock = tmp_path / "run.lock"
    lock.symlink_to(victim)
    result = run("--dir", str(logs), "--older-than", "1d", "--lock-file", str(lock))
    line = one_line_failure(result)
    assert f"cannot open lock file {lock}: Too many levels of symbolic links" in line
    assert victim.read_text() == "keep"


def test_an_error_inside_the_locked_block_is_not_a_lock_error(tmp_path):
    with pytest.raises(FileNotFoundError), exclusive_run(tmp_path / "x.lock"):
        raise FileNotFoundError(2, "No such file or directory")


def test_permission_denied_is_reported_and_cleanup_continues(run, logs, monkeypatch):
    denied = rotated(logs, "api", 10, 90)
    others = [rotated(logs, "api", 10, 80), rotated(logs, "api", 10, 70)]
    real_unlink = file_delete.unlink_entry

    def unlink(name: str, dir_fd: int) -> None:
        if name == denied.name:
            raise PermissionError(13, "Permission denied", name)
        real_unlink(name, dir_fd)

    monkeypatch.setattr(file_delete, "unlink_entry", unlink)
    result = run("--dir", str(logs), "--older-than", "1d", "--json")
    assert result.exit_code == EXIT_PARTIAL
    assert f"could not delete {denied}: Permission denied" in result.stderr
    assert denied.exists() and not any(p.exists() for p in others)
    summary = json.loads(result.stdout)
    assert summary["failed"] == 1 and summary["deleted"] == 2
    assert summary["errors"] == [{"path": str(denied), "error": "Permission denied"}]


NOBODY = 65534


def run_as_nobody(args: list[str], home: Path, log_dir: Path) -> dict:
    """The CLI in a forked child that dropped to `nobody` (no exec: the venv's interpreter
    may sit under /root, which nobody cannot read)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.environ["HOME"] = str(home)
            os.environ["LOG_DIR"] = str(log_dir)
            result = CliRunner().invoke(cli, args)
            payload = {"exit_code": result.exit_code, "stdout": result.stdout,
                       "stderr": result.stderr}
        except BaseException as exc:
            payload = {"exit_code": -1, "stdout": "", "stderr": repr(exc)}
        os.write(write_end, json.dumps(payload).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.mark.skipif(os.geteuid() != 0, reason="root is needed to run the CLI as another user")
def test_real_permission_denied_for_an_unprivileged_user_in_a_sticky_directory(elkctl_log_dir):
    # Root may unlink anything, so the command runs as `nobody`. In a sticky directory
    # nobody may delete its own files but not root's: a real EPERM, next to a success.
    base = Path(tempfile.mkdtemp(prefix="elkctl-cleanup-"))
    try:
        base.chmod(0o755)
        logs = base / "logs"
        logs.mkdir()
        logs.chmod(0o1777)
        roots = rotated(logs, "api", 10, 90)
        own = rotated(logs, "api", 20, 80)
        os.chown(own, NOBODY, NOBODY)
        lock = base / "run.lock"
        lock.touch()
        own_logs = base / "elkctl-logs"
        own_logs.mkdir()
        for path in (lock, own_logs):
            os.chown(path, NOBODY, NOBODY)

        result = run_as_nobody(
            ["cleanup", "files", "--dir", str(logs), "--older-than", "30d", "--json",
             "--lock-file", str(lock)],
            home=base, log_dir=own_logs,
        )
        assert result["exit_code"] == EXIT_PARTIAL, result
        assert f"could not delete {roots}: Operation not permitted" in result["stderr"]
        assert roots.exists() and not own.exists()
        summary = json.loads(result["stdout"])
        assert (summary["deleted"], summary["failed"], summary["bytes_freed"]) == (1, 1, 20)
    finally:
        shutil.rmtree(base)


def test_an_unreadable_directory_is_a_one_line_error(run, logs, monkeypatch):
    rotated(logs, "api", 10, 90)

    def denied(path, globs):
        raise PermissionError(13, "Permission denied", path)

    # root reads every directory, so the refusal is injected where the scan starts
    monkeypatch.setattr("elkctl.cleanup.files_command.scan_directory", denied)
    result = run("--dir", str(logs), "--older-than", "1d")
    assert one_line_failure(result) == (
        f"elkctl: cannot list {logs}: Permission denied; nothing was deleted"
    )


def test_files_rotated_and_compressed_by_python_logging_itself(run, logs, monkeypatch):
    # compress at once instead of after the writer's quiet period
    monkeypatch.setattr(compression, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(rotation, "CHECK_INTERVAL", 0.0)
    handler = ECSFileHandler(logs, "api", max_bytes=80, when=None, backup_count=None,
                             retention_days=None, compress=True)
    try:
        for n in range(6):
            handler.write_line(f'{{"n": {n}, "message": "{"x" * 60}"}}\n'.encode())
            time.sleep(0.002)  # distinct rotation timestamps
        assert handler.wait_maintenance()
    finally:
        handler.close()
    produced = sorted(p.name for p in logs.iterdir())
    rotated_by_writer = [n for n in produced if n.startswith("api.") and n != "api.log"]
    assert any(n.endswith(".gz") for n in rotated_by_writer)
    assert any(n.endswith(".log") for n in rotated_by_writer)
    long_ago = NOW - 40 * DAY
    for path in logs.iterdir():  # everything idle for 40 days, the active file included
        os.utime(path, (long_ago, long_ago), follow_symlinks=False)

    result = run("--dir", str(logs), "--older-than", "30d", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["deleted"] == len(rotated_by_writer)
    assert names(logs) == set(produced) - set(rotated_by_writer)
    assert "api.log" in names(logs)  # the active file, and the writer's lock file, stay


def test_the_run_is_logged_as_ecs_json_in_elkctl_log(run, logs, elkctl_log_dir):
    old = rotated(logs, "api", 100, 40)
    assert run("--dir", str(logs), "--older-than", "30d").exit_code == 0
    lines = [json.loads(line) for line in (elkctl_log_dir / "elkctl.log").read_text().splitlines()]
    assert {line["service"]["name"] for line in lines} == {"elkctl"}
    [deleted] = [line for line in lines if line["message"] == f"deleted {old}"]
    assert deleted["file"] == {"path": str(old), "size": 100}
    [summary] = [line for line in lines if line["event"].get("action") == "cleanup-files"]
    assert summary["event"]["outcome"] == "success"
    assert summary["labels"]["deleted"] == 1
