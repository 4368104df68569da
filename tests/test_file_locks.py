"""A lock held by a thread at fork time must not stay held in the child."""

import os

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
