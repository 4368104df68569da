"""docker-compose.elk.yml: schema-valid, secure by default, healthchecked, ordered, persistent."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.stack_support import COMPOSE_FILE, ROOT, load_script, load_yaml

init_env = load_script("scripts/init_env.py")

COMPOSE_TEXT = COMPOSE_FILE.read_text(encoding="utf-8")
# Without comment lines: those mention `${VAR:?...}` as prose.
COMPOSE_CODE = "\n".join(
    line for line in COMPOSE_TEXT.splitlines() if not line.lstrip().startswith("#")
)
COMPOSE = load_yaml(COMPOSE_FILE)
SERVICES = COMPOSE["services"]
LONG_RUNNING = ("elasticsearch", "kibana", "logstash", "filebeat")
ONE_SHOT = ("certs", "setup", "kibana-setup")
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
REQUIRED_VAR = re.compile(r"\$\{(\w+):\?[^}]+\}")
ANY_VAR = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
PORT = re.compile(r"(\$\{[^}]+\}|[\d.]+):(\$\{[^}]+\}|\d+):(\d+)")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|ENCRYPTIONKEY|API_KEY")
EXAMPLE = init_env.parse_assignments((ROOT / ".env.example").read_text(encoding="utf-8"))


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def healthcheck_command(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL", f"{service}: use a shell check with a pipeline"
    return test[1]


def depends(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service]["depends_on"].items()}


def published(service: str) -> list[tuple[str, str, str]]:
    """(host ip, host port, container port) of each published port."""
    ports = []
    for entry in SERVICES[service].get("ports", []):
        match = PORT.fullmatch(entry)
        assert match, f"{service}: publish as HOST_IP:HOST_PORT:CONTAINER_PORT, not {entry!r}"
        ports.append(match.groups())
    return ports


def test_compose_file_matches_the_compose_spec_schema():
    result = validate(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(COMPOSE_TEXT.replace("    healthcheck:\n", "    healthchek:\n", 1))
    assert validate(broken).returncode != 0


def test_every_elastic_image_uses_the_one_pinned_stack_version():
    images = [spec["image"] for spec in SERVICES.values() if "image" in spec]
    elastic = [image for image in images if image.startswith("docker.elastic.co/")]
    assert {image.split("/")[1] for image in elastic} == {"elasticsearch", "kibana", "logstash"}
    for image in images:
        tag = REQUIRED_VAR.fullmatch(image.split(":", 1)[1])
        assert tag and tag.group(1) == "STACK_VERSION", image
    filebeat_build = SERVICES["filebeat"]["build"]
    assert REQUIRED_VAR.fullmatch(filebeat_build["args"]["STACK_VERSION"])
    dockerfile = (ROOT / "filebeat" / filebeat_build.get("dockerfile", "Dockerfile")).read_text()
    assert "FROM docker.elastic.co/beats/filebeat:${STACK_VERSION}" in dockerfile


def test_stack_version_is_9x_like_the_python_client():
    stack_major = EXAMPLE["STACK_VERSION"].split(".")[0]
    assert re.fullmatch(r"9\.\d+\.\d+", EXAMPLE["STACK_VERSION"])
    assert version("elasticsearch").split(".")[0] == stack_major


def test_security_and_tls_are_on():
    env = SERVICES["elasticsearch"]["environment"]
    assert env["xpack.security.enabled"] == "true"
    assert env["xpack.security.http.ssl.enabled"] == "true"
    assert env["xpack.security.transport.ssl.enabled"] == "true"
    assert SERVICES["kibana"]["environment"]["ELASTICSEARCH_HOSTS"].count("https://") == 1
    assert "https://" in SERVICES["setup"]["environment"]["ELASTICSEARCH_URL"]


def test_every_secret_is_a_required_reference_to_a_generated_variable():
    for name, spec in SERVICES.items():
        for key, value in (spec.get("environment") or {}).items():
            if SECRET_NAME.search(key.upper()):
                match = REQUIRED_VAR.fullmatch(str(value))
                assert match, f"{name}.{key} must be ${{VAR:?message}}, not {value!r}"
                assert match.group(1) in init_env.SECRETS, f"{name}.{key}"


def test_required_variables_are_exactly_the_generated_secrets_and_the_version():
    required = set(REQUIRED_VAR.findall(COMPOSE_CODE))
    assert required == {*init_env.SECRETS, "STACK_VERSION"}


def test_every_optional_variable_is_documented_in_env_example():
    runtime_only = {"DEMO_UID", "DEMO_GID"}  # passed by `make demo`, not configuration
    used = set(ANY_VAR.findall(COMPOSE_CODE)) - runtime_only
    assert used <= set(EXAMPLE), sorted(used - set(EXAMPLE))


def test_no_pipeline_component_authenticates_as_elastic():
    for name in ("kibana", "logstash", "filebeat", "demo"):
        environment = SERVICES[name].get("environment") or {}
        assert "ELASTIC_PASSWORD" not in environment, name
        assert "elastic" not in {str(v) for v in environment.values()}, name
    assert SERVICES["kibana"]["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"


def test_setup_containers_run_elkctl_with_its_connection_variables():
    for name in ("setup", "kibana-setup"):
        spec = SERVICES[name]
        assert spec["build"] == {"context": ".", "dockerfile": "scripts/Dockerfile"}
        assert spec["command"][:2] == ["elkctl", "setup"]
        assert spec.get("restart") == "no"
        assert {
            "ELASTICSEARCH_URL", "ELASTIC_PASSWORD", "ELASTICSEARCH_CA_CERT", "KIBANA_URL",
            "KIBANA_SYSTEM_PASSWORD", "LOGSTASH_WRITER_PASSWORD", "LOG_RETENTION_DAYS",
        } <= set(spec["environment"])
    assert (ROOT / "scripts" / "Dockerfile").is_file()
    assert "pip install -e '/app[ops]'" in (ROOT / "scripts" / "Dockerfile").read_text()


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_long_running_services_have_a_real_healthcheck(service):
    command = healthcheck_command(service)
    # curl --fail turns HTTP errors into a failure; grep checks the body says healthy.
    assert "curl" in command and "--fail" in command, command
    assert "| grep" in command, command
    for trivially_true in ("|| true", "|| exit 0", "; exit 0", "exit 0"):
        assert trivially_true not in command, command
    spec = SERVICES[service]["healthcheck"]
    assert spec["retries"] >= 3 and spec["interval"] and spec["timeout"]


@pytest.mark.parametrize(
    ("service", "endpoint", "healthy"),
    [
        ("elasticsearch", "https://localhost:9200/_cluster/health?wait_for_status=yellow",
         '"status":"(green|yellow)"'),
        ("kibana", "http://localhost:5601/api/status", '"level":"(available|degraded)"'),
        ("logstash", "http://localhost:9600/_health_report", '"status":"(green|yellow)"'),
        ("filebeat", "http://localhost:5066/stats", '"libbeat"'),
    ],
)
def test_healthchecks_ask_the_service_api_and_check_its_answer(service, endpoint, healthy):
    command = healthcheck_command(service)
    assert endpoint in command
    assert healthy in command


def test_logstash_healthcheck_fails_on_any_red_indicator():
    assert """! printf '%s' "$$report" | grep -q '"status":"red"'""" in healthcheck_command(
        "logstash"
    )


def test_elasticsearch_healthcheck_authenticates_from_the_container_environment():
    command = healthcheck_command("elasticsearch")
    # `$$` reaches the container shell as `$`: the password is not baked into the config.
    assert '--user "elastic:$${ELASTIC_PASSWORD}"' in COMPOSE_TEXT
    assert "--cacert" in command


def test_start_order():
    assert depends("elasticsearch") == {"certs": "service_completed_successfully"}
    assert depends("setup") == {"elasticsearch": "service_healthy"}
    assert depends("kibana") == {"setup": "service_completed_successfully"}
    assert depends("logstash") == {"setup": "service_completed_successfully"}
    assert depends("kibana-setup") == {
        "setup": "service_completed_successfully",
        "kibana": "service_healthy",
    }
    assert depends("filebeat") == {
        "logstash": "service_healthy",
        "kibana-setup": "service_completed_successfully",
    }


def test_every_one_shot_is_awaited_by_a_long_running_service():
    # `up --wait` counts an exited container that nothing depends on as a failure.
    for one_shot in ONE_SHOT:
        assert any(
            depends(service).get(one_shot) == "service_completed_successfully"
            for service in LONG_RUNNING
        ), one_shot


def test_published_ports_bind_to_loopback_by_default_and_never_9300():
    for service, spec in SERVICES.items():
        for host_ip, _host_port, container_port in published(service):
            assert host_ip in ("${BIND_ADDRESS:-127.0.0.1}", "127.0.0.1"), (service, host_ip)
            assert container_port != "9300"
        assert "9300" not in str(spec.get("expose", ""))
    # The unauthenticated monitoring APIs ignore BIND_ADDRESS.
    assert published("logstash") == [("127.0.0.1", "9600", "9600")]
    assert published("filebeat") == [("127.0.0.1", "5066", "5066")]
    assert EXAMPLE["BIND_ADDRESS"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("service", "volume", "target"),
    [
        ("elasticsearch", "es-data", "/usr/share/elasticsearch/data"),
        ("kibana", "kibana-data", "/usr/share/kibana/data"),
        ("logstash", "logstash-data", "/usr/share/logstash/data"),
        ("filebeat", "filebeat-data", "/usr/share/filebeat/data"),
    ],
)
def test_state_lives_in_named_volumes(service, volume, target):
    assert f"{volume}:{target}" in SERVICES[service]["volumes"]
    assert volume in COMPOSE["volumes"]


def test_filebeat_reads_the_log_dir_read_only_where_its_config_looks():
    assert "${LOG_DIR:-./logs}:/var/log/apps:ro" in SERVICES["filebeat"]["volumes"]
    filebeat = load_yaml(ROOT / "filebeat" / "filebeat.yml")
    paths = filebeat["filebeat.inputs"][0]["paths"]
    assert all(path.startswith("/var/log/apps/") for path in paths)
    assert EXAMPLE["LOG_DIR"] == "./logs"


def test_memory_limits_and_heaps_come_from_env():
    for service in LONG_RUNNING:
        assert ANY_VAR.fullmatch(SERVICES[service]["mem_limit"]), service
    assert "${ES_HEAP_SIZE" in SERVICES["elasticsearch"]["environment"]["ES_JAVA_OPTS"]
    assert "${LS_HEAP_SIZE" in SERVICES["logstash"]["environment"]["LS_JAVA_OPTS"]
    assert "${KIBANA_HEAP_MB" in SERVICES["kibana"]["environment"]["NODE_OPTIONS"]


def test_logstash_environment_names_no_logstash_setting():
    # The image writes environment variables named after settings into logstash.yml,
    # which is mounted read-only here.
    settings_roots = {"api", "config", "dead", "log", "path", "pipeline", "queue", "xpack", "node"}
    for name in SERVICES["logstash"]["environment"]:
        assert name.lower().split("_")[0] not in settings_roots, name
    mounts = SERVICES["logstash"]["volumes"]
    assert "./logstash/config/logstash.yml:/usr/share/logstash/config/logstash.yml:ro" in mounts


def test_kibana_gets_all_three_encryption_keys():
    env = SERVICES["kibana"]["environment"]
    keys = {
        "XPACK_SECURITY_ENCRYPTIONKEY",
        "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY",
        "XPACK_REPORTING_ENCRYPTIONKEY",
    }
    assert keys <= set(env)
    assert len({env[key] for key in keys}) == 3


def test_demo_only_runs_in_its_profile_and_writes_into_the_log_dir():
    demo = SERVICES["demo"]
    assert demo["profiles"] == ["demo"]
    assert "${LOG_DIR:-./logs}:/var/log/apps" in demo["volumes"]
    assert demo["environment"]["LOG_DIR"] == "/var/log/apps"
    assert all("profiles" not in SERVICES[name] for name in (*LONG_RUNNING, *ONE_SHOT))


HEALTH_CASES = {
    # service: [(curl exit code, body, healthy?)]
    "elasticsearch": [
        (0, '{"cluster_name":"c","status":"yellow","timed_out":false}', True),
        (0, '{"cluster_name":"c","status":"green","timed_out":false}', True),
        (22, "", False),  # 408 from wait_for_status while red, or 401
        (0, '{"cluster_name":"c","status":"red","timed_out":true}', False),
        (7, "", False),  # connection refused
    ],
    "kibana": [
        (0, '{"status":{"overall":{"level":"available"}}}', True),
        (0, '{"status":{"overall":{"level":"degraded"}}}', True),
        (0, '{"status":{"overall":{"level":"unavailable"}}}', False),
        (0, '{"status":{"overall":{"level":"critical"}}}', False),
        (22, "", False),  # 503 while starting
    ],
    "logstash": [
        (0, '{"host":"h","status":"green","pipeline":{"workers":2},"indicators":'
            '{"pipelines":{"status":"green","indicators":{"main":{"status":"green"}}}}}', True),
        (0, '{"pipeline":{"workers":2},"status":"yellow","indicators":{}}', True),
        (0, '{"host":"h","status":"red","indicators":{"pipelines":{"status":"red",'
            '"indicators":{"main":{"status":"red"},"dlq":{"status":"green"}}}}}', False),
        (7, "", False),
    ],
    "filebeat": [
        (0, '{"beat":{"info":{}},"libbeat":{"output":{"events":{"acked":3}}}}', True),
        (7, "", False),
    ],
}


@pytest.mark.parametrize(
    ("service", "curl_exit", "body", "healthy"),
    [(service, *case) for service, cases in HEALTH_CASES.items() for case in cases],
)
def test_healthcheck_passes_only_when_the_service_is_healthy(
    tmp_path, service, curl_exit, body, healthy
):
    # A stand-in `curl` that prints `body` and exits like curl would.
    fake = tmp_path / "curl"
    fake.write_text('#!/bin/sh\nprintf "%s" "$FAKE_BODY"\nexit "$FAKE_EXIT"\n')
    fake.chmod(0o755)
    # Compose turns `$$` into `$` before the container's /bin/sh sees the command.
    command = healthcheck_command(service).replace("$$", "$")
    result = subprocess.run(
        ["/bin/sh", "-c", command],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "FAKE_BODY": body,
             "FAKE_EXIT": str(curl_exit), "ELASTIC_PASSWORD": "pw"},
        capture_output=True, text=True, timeout=10,
    )
    assert (result.returncode == 0) == healthy, result.stderr


def test_tools_image_leaves_secrets_and_local_state_out_and_runs_unprivileged():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", "certs", "logs", ".git"} <= ignored
    dockerfile = (ROOT / "scripts" / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users and not users[-1].startswith(("0", "root"))


def test_certificate_script_is_valid_bash_and_keeps_the_ca_key_nowhere():
    script = ROOT / "scripts" / "create_certs.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    assert 'rm -f "$certs/ca/ca.key"' in text
    assert "install -m 644" in text  # only the public CA goes to the shared volume
    certs = SERVICES["certs"]
    assert "./scripts/create_certs.sh:/usr/local/bin/create_certs.sh:ro" in certs["volumes"]
    # The node key volume is mounted by Elasticsearch only; the others get the public CA.
    holders = [name for name, spec in SERVICES.items()
               if any(str(v).startswith("es-certs:") for v in spec.get("volumes", []))]
    assert sorted(holders) == ["certs", "elasticsearch"]
