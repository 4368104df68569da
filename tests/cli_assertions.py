"""Assertions on click CliRunner results shared by the elkctl tests."""

from __future__ import annotations


def one_line_failure(result, exit_code: int = 1) -> str:
    """The single `elkctl: <reason>` stderr line of a failed command (and no traceback)."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("elkctl: ")
    return lines[0]
