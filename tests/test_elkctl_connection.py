import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from werkzeug import Response

from elkctl.cli import ElkctlGroup
from elkctl.connection import (
    ElkctlError,
    EndpointUnreachable,
    KibanaClient,
    KibanaError,
    Settings,
    elasticsearch_client,
    load_settings,
    parse_env_file,
)
from tests.cli_assertions import one_line_failure
from tests.fake_stack import ES8_REJECTS_CLIENT_9
from tests.net import free_port


def test_defaults_without_env_or_file(tmp_path):
    settings = load_settings(environ={}, env_file=tmp_path / "missing.env")
    assert settings == Settings()
    assert settings.elasticsearch_url == "https://localhost:9200"
    assert settings.log_retention_days == 30


def test_environment_overrides_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# generated\nELASTIC_PASSWORD='from-file'\nLOG_RETENTION_DAYS=7\n"
        'KIBANA_URL="http://kibana:5601/"\n'
    )
    settings = load_settings(environ={"ELASTIC_PASSWORD": "from-env"}, env_file=env_file)
    assert settings.elastic_password == "from-env"
    assert settings.log_retention_days == 7
    assert settings.kibana_url == "http://kibana:5601"


def test_env_file_variable_chooses_or_disables_the_file(tmp_path):
    env_file = tmp_path / "other.env"
    env_file.write_text("ELASTIC_PASSWORD=x\n")
    assert load_settings(environ={"ELKCTL_ENV_FILE": str(env_file)}).elastic_password == "x"
    assert load_settings(environ={"ELKCTL_ENV_FILE": ""}).elastic_password is None


def test_relative_paths_in_the_env_file_are_relative_to_its_directory(tmp_path, monkeypatch):
    # cron starts elkctl in $HOME and systemd in /, not in the stack's directory
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / ".env").write_text(
        "LOG_DIR=./logs\nELASTICSEARCH_CA_CERT=certs/ca.crt\nELASTIC_PASSWORD=x\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"ELKCTL_ENV_FILE": str(stack / ".env")})
    assert settings.log_dir == stack / "logs"
    assert settings.ca_cert == stack / "certs" / "ca.crt"
    from_environment = load_settings(
        environ={"ELKCTL_ENV_FILE": str(stack / ".env"), "LOG_DIR": "other"}
    )
    assert from_environment.log_dir == Path("other")  # the caller's working directory
    absolute = tmp_path / "abs"
    (stack / ".env").write_text(f"LOG_DIR={absolute}\n")
    assert load_settings(env_file=stack / ".env", environ={}).log_dir == absolute


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"LOG_RETENTION_DAYS": "0"}, "LOG_RETENTION_DAYS"),
        ({"LOG_RETENTION_DAYS": "thirty"}, "LOG_RETENTION_DAYS"),
        ({"ELASTICSEARCH_URL": "localhost:9200"}, "ELASTICSEARCH_URL"),
        ({"ELKCTL_MAX_RETRIES": "-1"}, "ELKCTL_MAX_RETRIES"),
    ],
)
def test_bad_values_name_the_key(values, key, tmp_path):
    with pytest.raises(ElkctlError, match=key):
        load_settings(environ=values, env_file=tmp_path / "none")


def test_malformed_env_line_is_reported_with_its_number():
    with pytest.raises(ElkctlError, match="line 2"):
        parse_env_file("A=1\nnot a pair\n")


def test_client_needs_a_credential():
    with pytest.raises(ElkctlError, match="ELASTIC_PASSWORD"):
        elasticsearch_client(Settings())


def test_client_talks_to_fake_es9(es_server, elkctl_settings):
    es_server.respond_info("9.1.0")
    info = elasticsearch_client(elkctl_settings).info()
    assert info["version"]["number"] == "9.1.0"
    request, _ = es_server.log[0]
    assert request.authorization.username == "elastic"
    assert "compatible-with=9" in request.headers["Accept"]


def test_client_retries_503_then_succeeds(es_server, elkctl_env, monkeypatch):
    monkeypatch.setenv("ELKCTL_MAX_RETRIES", "2")
    es_server.expect_ordered_request("/", method="GET").respond_with_json(
        {"error": "starting"}, status=503
    )
    es_server.respond_info()
    assert elasticsearch_client(load_settings()).info()["version"]["number"] == "9.1.0"
    assert len(es_server.log) == 2


def _ping_cli() -> click.Group:
    @click.group(cls=ElkctlGroup)
    def group():
        pass

    @group.command()
    def ping():
        elasticsearch_client(load_settings()).info()

    @group.command()
    def boom():
        raise ElkctlError("something specific\nwith a second line")

    @group.command()
    def bug():
        raise ZeroDivisionError("a real bug")

    return group


def test_elkctl_error_is_one_line():
    line = one_line_failure(CliRunner().invoke(_ping_cli(), ["boom"]))
    assert line == "elkctl: something specific with a second line"


def test_unknown_exceptions_are_not_hidden():
    result = CliRunner().invoke(_ping_cli(), ["bug"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_401_prints_one_line(es_server, elkctl_env):
    es_server.respond_json(
        "GET",
        "/",
        {
            "error": {
                "root_cause": [{"type": "security_exception", "reason": "unable to authenticate"}],
                "type": "security_exception",
                "reason": "unable to authenticate user [elastic] for REST request [/]",
            },
            "status": 401,
        },
        status=401,
    )
    line = one_line_failure(CliRunner().invoke(_ping_cli(), ["ping"]))
    assert "rejected the credentials (401)" in line
    assert "ELASTIC_PASSWORD" in line


def test_connection_refused_prints_one_line(elkctl_env, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("ELASTICSEARCH_URL", url)
    line = one_line_failure(CliRunner().invoke(_ping_cli(), ["ping"]))
    assert f"cannot reach Elasticsearch at {url}" in line


def test_es8_server_is_a_version_mismatch(es_server, elkctl_env):
    es_server.respond_json("GET", "/", ES8_REJECTS_CLIENT_9, status=400)
    line = one_line_failure(CliRunner().invoke(_ping_cli(), ["ping"]))
    assert "version mismatch" in line


def test_server_without_product_header_is_named(kibana_server, elkctl_env, monkeypatch):
    kibana_server.expect_request("/").respond_with_json({"name": "not es"})
    monkeypatch.setenv("ELASTICSEARCH_URL", kibana_server.url_for("/").rstrip("/"))
    line = one_line_failure(CliRunner().invoke(_ping_cli(), ["ping"]))
    assert "is not Elasticsearch" in line


def test_kibana_import_sends_multipart_ndjson_with_xsrf(kibana_server, elkctl_settings):
    seen = {}

    def handler(request):
        upload = request.files["file"]
        seen["file"] = (upload.filename, upload.read())
        seen["xsrf"] = request.headers.get("kbn-xsrf")
        seen["overwrite"] = request.args.get("overwrite")
        return Response(
            json.dumps({"success": True, "successCount": 1}), 200, content_type="application/json"
        )

    kibana_server.expect_request("/api/saved_objects/_import", method="POST").respond_with_handler(
        handler
    )
    summary = KibanaClient(elkctl_settings).import_saved_objects(b'{"id": "a"}\n')
    assert summary["success"] is True
    assert seen["file"][0].endswith(".ndjson")
    assert seen["file"][1] == b'{"id": "a"}\n'
    assert seen["xsrf"] == "true"
    assert seen["overwrite"] == "true"


def test_kibana_401_is_an_elkctl_error(kibana_server, elkctl_settings):
    kibana_server.expect_request("/api/status").respond_with_json(
        {"statusCode": 401, "error": "Unauthorized"}, status=401
    )
    with pytest.raises(KibanaError, match="401"):
        KibanaClient(elkctl_settings).status()


def test_kibana_unreachable_is_an_elkctl_error(elkctl_env):
    settings = Settings(kibana_url=f"http://127.0.0.1:{free_port()}", elastic_password="x")
    with pytest.raises(EndpointUnreachable, match="cannot reach Kibana"):
        KibanaClient(settings).status()


def test_ca_cert_must_exist(tmp_path: Path):
    settings = Settings(elastic_password="x", ca_cert=tmp_path / "ca.crt")
    with pytest.raises(ElkctlError, match="ELASTICSEARCH_CA_CERT"):
        elasticsearch_client(settings)


def test_kibana_over_https_checks_the_ca_cert_too(tmp_path):
    missing = Settings(
        kibana_url="https://127.0.0.1:1", elastic_password="x", ca_cert=tmp_path / "ca"
    )
    with pytest.raises(ElkctlError, match="ELASTICSEARCH_CA_CERT"):
        KibanaClient(missing).status()
    garbage = tmp_path / "ca.crt"
    garbage.write_text("not a certificate")
    with pytest.raises(ElkctlError, match="ELASTICSEARCH_CA_CERT"):
        KibanaClient(
            Settings(kibana_url="https://127.0.0.1:1", elastic_password="x", ca_cert=garbage)
        ).status()
