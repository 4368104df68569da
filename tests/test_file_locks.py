"""A lock held by a thread at fork time must not stay held in the child."""

import errno
import os

import pytest

from python_logging import file_locks


def test_a_child_forked_while_the_lock_is_held_can_take_it_once_the_parent_releases(tmp_path):
    path = str(tmp_path / ".svc.lock")
    read_end, write_end = os.pipe()
    with file_locks.exclusive(path) as fd:
        assert fd is not None
        pid = os.fork()
        if pid == 0:  # child: wait for the parent to release, then the lock must be free
            status = 1
            try:
                os.close(write_end)
                os.read(read_end, 1)
                with file_locks.exclusive(path, wait=False) as child_fd:
                    status = 0 if child_fd is not None else 2
            finally:
                os._exit(status)
        os.close(read_end)
    os.write(write_end, b"x")  # released in the parent: tell the child to try
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_held_lock_is_reported_when_not_waiting(tmp_path):
    path = str(tmp_path / ".svc.lock")
    with file_locks.exclusive(path) as first:
        assert first is not None
        with file_locks.exclusive(path, wait=False) as second:
            assert second is None
    with file_locks.exclusive(path, wait=False) as again:
        assert again is not None


def test_a_symlink_at_the_lock_path_is_refused_when_not_following(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep")
    link = tmp_path / ".svc.lock"
    link.symlink_to(target)
    with pytest.raises(OSError) as raised, file_locks.exclusive(str(link), follow_symlinks=False):
        pass
    assert raised.value.errno == errno.ELOOP
    assert target.read_text() == "keep"
    with file_locks.exclusive(str(link)) as fd:  # the default still follows, as before
        assert fd is not None


def test_the_holder_pid_is_recorded_only_when_asked(tmp_path):
    path = str(tmp_path / ".svc.lock")
    with file_locks.exclusive(path) as fd:
        os.write(fd, b"state")
    assert file_locks.holder_pid(path) is None  # other state is left alone
    with file_locks.exclusive(path, record_pid=True):
        assert file_locks.holder_pid(path) == os.getpid()
    with open(path) as handle:
        assert handle.read() == f"{os.getpid()}\n"  # replaced, not appended to


def test_holder_pid_is_none_for_a_missing_or_symlinked_file(tmp_path):
    assert file_locks.holder_pid(str(tmp_path / "missing")) is None
    target = tmp_path / "target"
    target.write_text("123\n")
    (tmp_path / "link").symlink_to(target)
    assert file_locks.holder_pid(str(tmp_path / "link")) is None
