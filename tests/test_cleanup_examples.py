"""The cron and systemd examples call the venv's elkctl by absolute path with valid options."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest

from elkctl.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "scripts" / "cron"


def crontab_commands() -> list[str]:
    lines = (EXAMPLES / "elkctl-cleanup.crontab").read_text().splitlines()
    jobs = [line for line in lines if line.strip() and not line.startswith("#") and
            "=" not in line.split()[0]]
    return [" ".join(line.split()[5:]) for line in jobs]


def service_commands() -> list[str]:
    text = (EXAMPLES / "elkctl-cleanup.service").read_text()
    # systemd allows repeated keys (several ExecStart=), configparser does not
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ExecStart=")]


def parse_with_click(argv: list[str]) -> None:
    """Resolve the sub-command and parse its options, without running it."""
    command: click.Command = cli
    while isinstance(command, click.Group):
        name, argv = argv[0], argv[1:]
        command = command.commands[name]
    command.make_context(name, argv)


@pytest.mark.parametrize("line", crontab_commands() + service_commands())
def test_example_commands_use_an_absolute_elkctl_and_valid_options(line):
    argv = shlex.split(line)
    assert argv[0].startswith("/") and argv[0].endswith("/.venv/bin/elkctl")
    parse_with_click(argv[1:])
    if argv[1:3] == ["cleanup", "indices"]:
        assert "--yes" in argv  # nobody answers a prompt under cron


def test_both_kinds_of_example_exist():
    assert len(crontab_commands()) == 2 and len(service_commands()) == 2
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read_string(
        (EXAMPLES / "elkctl-cleanup.service").read_text().replace("ExecStart=", "ExecStart.x=")
    )
    assert service["Service"]["Type"] == "oneshot"
    timer = configparser.ConfigParser()
    timer.read(EXAMPLES / "elkctl-cleanup.timer")
    assert timer["Timer"]["Unit"] == "elkctl-cleanup.service"
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
