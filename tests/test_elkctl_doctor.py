import socket

import pytest
from click.testing import CliRunner

from elkctl import doctor_cmd
from elkctl.cli import cli
from elkctl.doctor import (
    FAIL,
    OK,
    SKIP,
    CommandResult,
    Facts,
    check_compose,
    check_disk,
    check_docker,
    check_max_map_count,
    check_memory,
    check_ports,
    diagnose,
    gather_facts,
    parse_version,
    port_busy,
    read_mem_available,
)
from tests.cli_assertions import one_line_failure

GIB = 1024**3


@pytest.fixture(autouse=True)
def no_env_file(monkeypatch):
    """doctor reads ports from .env: keep the developer's own .env out of these tests."""
    monkeypatch.setenv("ELKCTL_ENV_FILE", "")
    for name in ("BIND_ADDRESS", "ES_PORT", "KIBANA_PORT"):
        monkeypatch.delenv(name, raising=False)
DOCKER_OK = CommandResult(0, "27.3.1\n", "")
# `docker compose version` prints e.g. "Docker Compose version v2.29.7"
COMPOSE_OK = CommandResult(0, "Docker Compose version v2.29.7\n", "")


def healthy_facts(**changes) -> Facts:
    values = dict(
        docker=DOCKER_OK,
        compose=COMPOSE_OK,
        max_map_count=262144,
        mem_available=8 * GIB,
        disk_free=100 * GIB,
        disk_total=200 * GIB,
        busy_ports=(),
    )
    values.update(changes)
    return Facts(**values)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("27.3.1", (27, 3, 1)),
        ("Docker Compose version v2.29.7", (2, 29, 7)),
        ("v2.20", (2, 20)),
        ("garbage", None),
    ],
)
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_docker_findings():
    assert check_docker(DOCKER_OK).result == OK
    missing = check_docker(None)
    assert missing.result == FAIL
    assert "install Docker Engine" in missing.fix
    daemon = check_docker(
        CommandResult(
            1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n"
        )
    )
    assert daemon.result == FAIL
    assert "Cannot connect" in daemon.detail
    assert "systemctl start docker" in daemon.fix
    old = check_docker(CommandResult(0, "19.03.8\n", ""))
    assert old.result == FAIL
    assert "upgrade" in old.fix


def test_compose_findings():
    ok = check_compose(COMPOSE_OK)
    assert (ok.result, ok.detail) == (OK, "2.29.7")
    plugin_missing = check_compose(CommandResult(125, "", "unknown flag: --short\n"))
    assert plugin_missing.result == FAIL
    assert "Compose v2 plugin" in plugin_missing.fix
    assert check_compose(CommandResult(0, "Docker Compose version v2.3.3\n", "")).result == FAIL
    assert check_compose(None).result == FAIL


def test_max_map_count_finding_prints_the_fix_and_how_to_persist():
    low = check_max_map_count(65530)
    assert low.result == FAIL
    assert "sudo sysctl -w vm.max_map_count=262144" in low.fix
    assert "/etc/sysctl.d/" in low.fix
    assert check_max_map_count(262144).result == OK
    assert check_max_map_count(None).result == SKIP


def test_memory_and_disk_findings():
    assert check_memory(8 * GIB, 4 * GIB).result == OK
    assert check_memory(2 * GIB, 4 * GIB).result == FAIL
    assert check_memory(None, 4 * GIB).result == SKIP
    assert check_disk(100 * GIB, 200 * GIB, 10 * GIB).result == OK
    assert check_disk(5 * GIB, 200 * GIB, 10 * GIB).result == FAIL  # too little free
    watermark = check_disk(20 * GIB, 200 * GIB, 10 * GIB)  # 90% used
    assert watermark.result == FAIL
    assert "read-only" in watermark.fix


def test_port_findings():
    findings = check_ports([5601], [9200, 5601])
    assert [(f.check, f.result) for f in findings] == [("port 9200", OK), ("port 5601", FAIL)]
    assert "ss -ltnp" in findings[1].fix


def test_diagnose_healthy_machine_has_no_failure():
    findings = diagnose(healthy_facts(), ports=[9200], min_ram=4 * GIB, min_disk=10 * GIB)
    assert all(f.result == OK for f in findings)


def test_gather_facts_uses_the_injected_runner_and_proc(tmp_path):
    (tmp_path / "sys/vm").mkdir(parents=True)
    (tmp_path / "sys/vm/max_map_count").write_text("65530\n")
    (tmp_path / "meminfo").write_text("MemTotal: 16000000 kB\nMemAvailable:    8000000 kB\n")
    calls = []

    def runner(argv):
        calls.append(list(argv))
        if argv[:2] == ["docker", "compose"]:
            raise FileNotFoundError(argv[0])
        return DOCKER_OK

    facts = gather_facts(
        runner=runner, proc=tmp_path, disk_path=tmp_path, ports=[1, 2], is_busy=lambda h, p: p == 2
    )
    assert facts.docker == DOCKER_OK
    assert facts.compose is None
    assert facts.max_map_count == 65530
    assert facts.mem_available == 8_000_000 * 1024
    assert facts.busy_ports == (2,)
    assert ["docker", "version", "--format", "{{.Server.Version}}"] in calls


def test_read_mem_available_without_proc(tmp_path):
    assert read_mem_available(tmp_path) is None


def test_port_busy_detects_a_listener():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_busy("127.0.0.1", port)
    assert not port_busy("127.0.0.1", port)


def test_doctor_checks_the_ports_of_the_env_file(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BIND_ADDRESS=127.0.0.2\nES_PORT=19200\nKIBANA_PORT=15601\n")
    monkeypatch.setenv("ELKCTL_ENV_FILE", str(env_file))
    seen = {}

    def fake_gather(**kwargs):
        seen.update(kwargs)
        return healthy_facts()

    monkeypatch.setattr(doctor_cmd, "gather_facts", fake_gather)
    assert CliRunner().invoke(cli, ["doctor"]).exit_code == 0
    assert (seen["host"], tuple(seen["ports"])) == ("127.0.0.2", (19200, 15601, 9600, 5066))
    assert CliRunner().invoke(cli, ["doctor", "--port", "8080", "--host", "0.0.0.0"]).exit_code == 0
    assert (seen["host"], tuple(seen["ports"])) == ("0.0.0.0", (8080,))


def test_doctor_command_prints_each_fix_and_exits_non_zero(monkeypatch):
    facts = healthy_facts(max_map_count=65530, busy_ports=(5601,))
    monkeypatch.setattr(doctor_cmd, "gather_facts", lambda **kwargs: facts)
    result = CliRunner().invoke(cli, ["doctor"])
    line = one_line_failure(result)
    assert "Fix vm.max_map_count: sudo sysctl -w vm.max_map_count=262144" in result.stdout
    assert "Fix port 5601:" in result.stdout
    assert line == "elkctl: 2 check(s) failed: vm.max_map_count, port 5601"


def test_doctor_command_passes_on_a_healthy_machine(monkeypatch):
    monkeypatch.setattr(doctor_cmd, "gather_facts", lambda **kwargs: healthy_facts())
    result = CliRunner().invoke(cli, ["doctor", "--min-ram", "6GiB"])
    assert result.exit_code == 0, result.output
    assert "Fix" not in result.output


def test_doctor_rejects_a_bad_size():
    result = CliRunner().invoke(cli, ["doctor", "--min-ram", "lots"])
    assert result.exit_code == 2
    assert "not a size" in result.output
