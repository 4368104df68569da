"""Preflight checks for `make up`: pure functions over facts gathered by `gather_facts`."""

from __future__ import annotations

import errno
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from python_logging.units import format_size

MIN_DOCKER = (20, 10)
# The Compose v2 plugin (`docker compose`) with `up --wait` and `service_completed_successfully`;
# 2.20 (mid-2023) is a conservative floor.
MIN_COMPOSE = (2, 20)
# https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html
MIN_MAX_MAP_COUNT = 262_144
# Elasticsearch's low disk watermark: above it no new shard is allocated on the node.
DISK_WATERMARK_PERCENT = 85
# Logstash's API and Filebeat's stats are always published on 127.0.0.1 (9600, 5066); the
# beats port 5044 and ES transport 9300 stay on the compose network.
MONITORING_PORTS = (9600, 5066)


def stack_ports(es_port: int, kibana_port: int) -> tuple[int, ...]:
    """The host ports docker-compose.elk.yml publishes."""
    return (es_port, kibana_port, *MONITORING_PORTS)


OK, FAIL, SKIP = "ok", "FAIL", "skipped"


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], CommandResult]


@dataclass(frozen=True)
class Facts:
    docker: CommandResult | None  # `docker version --format {{.Server.Version}}`; None: no binary
    compose: CommandResult | None  # `docker compose version`
    max_map_count: int | None  # None when /proc/sys/vm/max_map_count is absent (not Linux)
    mem_available: int | None  # bytes, from /proc/meminfo MemAvailable
    disk_free: int
    disk_total: int
    busy_ports: tuple[int, ...]


@dataclass(frozen=True)
class Finding:
    check: str
    result: str
    detail: str
    fix: str = ""


def parse_version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _new_enough(text: str, minimum: tuple[int, ...]) -> tuple[int, ...] | None:
    """The version `text` names when it is at least `minimum` (on major.minor), else None."""
    version = parse_version(text)
    return version if version is not None and version[:2] >= minimum else None


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "no output"


def check_docker(result: CommandResult | None) -> Finding:
    if result is None:
        return Finding(
            "Docker",
            FAIL,
            "docker not found",
            f"install Docker Engine {_dotted(MIN_DOCKER)}+: https://docs.docker.com/engine/install/",
        )
    if result.returncode != 0:
        return Finding(
            "Docker",
            FAIL,
            f"daemon not reachable: {_first_line(result.stderr)}",
            "start Docker (`sudo systemctl start docker`) or join the docker group "
            "(`sudo usermod -aG docker $USER`, then log in again)",
        )
    if _new_enough(result.stdout, MIN_DOCKER) is None:
        minimum = _dotted(MIN_DOCKER)
        return Finding(
            "Docker",
            FAIL,
            f"server {result.stdout.strip() or '?'} < {minimum}",
            f"upgrade Docker Engine to {minimum} or newer",
        )
    return Finding("Docker", OK, f"server {result.stdout.strip()}")


def check_compose(result: CommandResult | None) -> Finding:
    install = (
        "install the Compose v2 plugin (`docker compose`): https://docs.docker.com/compose/install/"
    )
    if result is None:
        return Finding("Docker Compose", FAIL, "docker not found", install)
    if result.returncode != 0:
        # Without the plugin, docker answers "'compose' is not a docker command" or
        # "unknown flag"; either way `docker compose` is unusable.
        detail = f"`docker compose version` failed: {_first_line(result.stderr)}"
        return Finding("Docker Compose", FAIL, detail, install)
    version = _new_enough(result.stdout, MIN_COMPOSE)
    if version is None:
        minimum = _dotted(MIN_COMPOSE)
        return Finding(
            "Docker Compose",
            FAIL,
            f"{result.stdout.strip() or '?'} < {minimum}",
            f"upgrade the Compose plugin to {minimum} or newer",
        )
    return Finding("Docker Compose", OK, _dotted(version))


def check_max_map_count(value: int | None) -> Finding:
    if value is None:
        return Finding("vm.max_map_count", SKIP, "not Linux (Docker Desktop's VM sets it)")
    if value < MIN_MAX_MAP_COUNT:
        return Finding(
            "vm.max_map_count",
            FAIL,
            f"{value} < {MIN_MAX_MAP_COUNT}",
            f"sudo sysctl -w vm.max_map_count={MIN_MAX_MAP_COUNT}, and to keep it after a reboot: "
            f"echo 'vm.max_map_count={MIN_MAX_MAP_COUNT}' "
            "| sudo tee /etc/sysctl.d/99-elasticsearch.conf",
        )
    return Finding("vm.max_map_count", OK, str(value))


def check_memory(available: int | None, minimum: int) -> Finding:
    if available is None:
        return Finding("free RAM", SKIP, "/proc/meminfo not available")
    if available < minimum:
        return Finding(
            "free RAM",
            FAIL,
            f"{format_size(available)} available < {format_size(minimum)}",
            "free memory, or lower the heap sizes and memory limits in .env "
            "(containers killed with exit 137 ran out of memory)",
        )
    return Finding("free RAM", OK, f"{format_size(available)} available")


def check_disk(free: int, total: int, minimum: int) -> Finding:
    used_percent = 100 * (total - free) / total if total else 100
    detail = f"{format_size(free)} free, {used_percent:.0f}% used"
    if free < minimum or used_percent >= DISK_WATERMARK_PERCENT:
        return Finding(
            "free disk",
            FAIL,
            f"{detail} (need {format_size(minimum)} and < {DISK_WATERMARK_PERCENT}%)",
            "free disk space (e.g. `docker system prune`); Elasticsearch stops allocating shards "
            f"above {DISK_WATERMARK_PERCENT}% and makes indices read-only at 95%",
        )
    return Finding("free disk", OK, detail)


def check_ports(busy: Sequence[int], ports: Sequence[int]) -> list[Finding]:
    findings = []
    for port in ports:
        if port in busy:
            findings.append(
                Finding(
                    f"port {port}",
                    FAIL,
                    "already in use",
                    f"stop what listens there (`sudo ss -ltnp 'sport = :{port}'`) or change "
                    "ES_PORT / KIBANA_PORT in .env; if it is this stack already running, "
                    "see `make status`",
                )
            )
        else:
            findings.append(Finding(f"port {port}", OK, "free"))
    return findings


def diagnose(facts: Facts, *, ports: Sequence[int], min_ram: int, min_disk: int) -> list[Finding]:
    return [
        check_docker(facts.docker),
        check_compose(facts.compose),
        check_max_map_count(facts.max_map_count),
        check_memory(facts.mem_available, min_ram),
        check_disk(facts.disk_free, facts.disk_total, min_disk),
        *check_ports(facts.busy_ports, ports),
    ]


# ---- gathering facts (the only part touching the machine) ----


def run_command(argv: Sequence[str]) -> CommandResult:
    """Run a command; FileNotFoundError propagates when the binary is missing."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]} did not answer within 20 s")
    return CommandResult(done.returncode, done.stdout, done.stderr)


def _try(runner: Runner, argv: Sequence[str]) -> CommandResult | None:
    try:
        return runner(argv)
    except FileNotFoundError:
        return None


def read_max_map_count(proc: Path) -> int | None:
    try:
        return int((proc / "sys/vm/max_map_count").read_text().strip())
    except (OSError, ValueError):
        return None


def read_mem_available(proc: Path) -> int | None:
    try:
        text = (proc / "meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def port_busy(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def gather_facts(
    *,
    runner: Runner = run_command,
    proc: Path = Path("/proc"),
    disk_path: Path = Path("."),
    host: str = "127.0.0.1",
    ports: Sequence[int] = stack_ports(9200, 5601),
    is_busy: Callable[[str, int], bool] = port_busy,
) -> Facts:
    usage = shutil.disk_usage(disk_path)
    return Facts(
        docker=_try(runner, ["docker", "version", "--format", "{{.Server.Version}}"]),
        compose=_try(runner, ["docker", "compose", "version"]),
        max_map_count=read_max_map_count(proc),
        mem_available=read_mem_available(proc),
        disk_free=usage.free,
        disk_total=usage.total,
        busy_ports=tuple(port for port in ports if is_busy(host, port)),
    )
