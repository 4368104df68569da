"""`elkctl doctor`: the preflight check `make up` runs first."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from elkctl.connection import ElkctlError
from elkctl.doctor import (
    DEFAULT_MIN_DISK,
    DEFAULT_MIN_RAM,
    DEFAULT_PORTS,
    FAIL,
    OK,
    Finding,
    diagnose,
    gather_facts,
)
from elkctl.options import parsed_by
from python_logging.units import parse_size

RESULT_STYLES = {OK: "green", FAIL: "bold red"}


def findings_table(findings: list[Finding]) -> Table:
    table = Table(title="elkctl doctor")
    for column in ("check", "result", "detail"):
        table.add_column(column)
    for finding in findings:
        style = RESULT_STYLES.get(finding.result, "dim")
        table.add_row(finding.check, Text(finding.result, style), finding.detail)
    return table


@click.command("doctor")
@click.option(
    "--port",
    "ports",
    type=int,
    multiple=True,
    default=DEFAULT_PORTS,
    show_default=True,
    help="A port the stack publishes (repeat the option).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address ports bind to.")
@click.option(
    "--min-ram",
    default=str(DEFAULT_MIN_RAM),
    callback=parsed_by(parse_size),
    show_default="4GiB",
    help="Required available memory (e.g. 6GiB).",
)
@click.option(
    "--min-disk",
    default=str(DEFAULT_MIN_DISK),
    callback=parsed_by(parse_size),
    show_default="10GB",
    help="Required free disk (e.g. 20GB).",
)
@click.option(
    "--disk-path",
    type=click.Path(exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where Docker keeps its volumes (checked for free space).",
)
def doctor(ports: tuple[int, ...], host: str, min_ram: int, min_disk: int, disk_path: Path) -> None:
    """Check Docker, Compose, vm.max_map_count, RAM, disk and ports before `make up`."""
    facts = gather_facts(disk_path=disk_path, host=host, ports=ports)
    findings = diagnose(facts, ports=ports, min_ram=min_ram, min_disk=min_disk)
    console = Console()
    console.print(findings_table(findings))
    failed = [finding for finding in findings if finding.result == FAIL]
    for finding in failed:
        # soft_wrap: keep each fix command on one line so it can be copied.
        console.print(
            f"[bold]Fix {finding.check}:[/] {finding.fix}", highlight=False, soft_wrap=True
        )
    if failed:
        raise ElkctlError(f"{len(failed)} check(s) failed: {', '.join(f.check for f in failed)}")
