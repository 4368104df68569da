"""Errors of the cleanup commands, each with its documented exit code (see README).

They are ElkctlErrors: the `elkctl` group prints one line (`elkctl: <reason>`) and exits
with `exit_code`, with no traceback.
"""

from __future__ import annotations

from elkctl.connection import ElkctlError

EXIT_OK = 0
EXIT_ERROR = 1  # bad input, refused directory, Elasticsearch unreachable or refusing
EXIT_USAGE = 2  # click's own code for an unknown option or a bad value
EXIT_PARTIAL = 3  # the run finished but some deletions failed
EXIT_LOCKED = 4  # another run holds the lock; nothing was done
EXIT_ABORTED = 5  # the operator answered "no" at the confirmation prompt


class CleanupError(ElkctlError):
    exit_code = EXIT_ERROR


class RunLocked(CleanupError):
    exit_code = EXIT_LOCKED


class Declined(CleanupError):
    exit_code = EXIT_ABORTED


class PartialFailure(CleanupError):
    exit_code = EXIT_PARTIAL
