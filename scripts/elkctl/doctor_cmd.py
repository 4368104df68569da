"""`elkctl doctor`: the preflight check `make up` runs first."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from elkctl.connection import ElkctlError, load_settings
from elkctl.doctor import (
    FAIL,
    OK,
    Finding,
    diagnose,
    gather_facts,
    stack_ports,
)
from elkctl.options import size_option
from elkctl.tables import build_table

RESULT_STYLES = {OK: "green", FAIL: "bold red"}


def findings_table(findings: list[Finding]) -> Table:
    return build_table(
        "elkctl doctor",
        ("check", "result", "detail"),
        ((f.check, Text(f.result, RESULT_STYLES.get(f.result, "dim")), f.detail) for f in findings),
    )


@click.command("doctor")
@click.option(
    "--port",
    "ports",
    type=click.IntRange(1, 65535),
    multiple=True,
    help="A port the stack publishes (repeat the option) "
    "[default: ES_PORT, KIBANA_PORT from .env (9200, 5601), 9600, 5066].",
)
@click.option(
    "--host", help="Address the ports are published on [default: BIND_ADDRESS, 127.0.0.1]."
)
@size_option("--min-ram", "Required available memory (e.g. 6GiB).", default="4GiB")
@size_option("--min-disk", "Required free disk (e.g. 20GB).", default="10GB")
@click.option(
    "--disk-path",
    type=click.Path(exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where Docker keeps its volumes (checked for free space).",
)
def doctor(
    ports: tuple[int, ...], host: str | None, min_ram: int, min_disk: int, disk_path: Path
) -> None:
    """Check Docker, Compose, vm.max_map_count, RAM, disk and ports before `make up`."""
    settings = load_settings()
    ports = ports or stack_ports(settings.es_port, settings.kibana_port)
    host = host or settings.bind_address
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
