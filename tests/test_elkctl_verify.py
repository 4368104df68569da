import json
import logging

import pytest
from click.testing import CliRunner

from elkctl.cli import cli
from elkctl.connection import ElkctlError
from elkctl.verify_cmd import new_marker, write_marker_line
from tests.cli_assertions import one_line_failure
from tests.fake_stack import FakeElasticsearch


def test_marker_line_goes_through_python_logging_into_the_active_file(tmp_path):
    marker = new_marker()
    path = write_marker_line(tmp_path / "logs", "shop", "staging", marker)
    assert path == tmp_path / "logs" / "shop.log"
    (line,) = path.read_text().splitlines()
    doc = json.loads(line)
    assert list(doc)[:3] == ["@timestamp", "log.level", "message"]
    assert marker in doc["message"]
    assert doc["service"] == {"name": "shop", "environment": "staging"}
    assert doc["labels"] == {"elkctl_verify": marker}
    assert doc["ecs.version"]


def test_handlers_are_removed_after_the_line(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    path = write_marker_line(tmp_path, "svc", None, new_marker())
    assert root.handlers == before
    logging.getLogger("elastic_transport").warning("client noise while polling")
    assert len(path.read_text().splitlines()) == 1


def test_markers_are_unique():
    assert new_marker() != new_marker()


def test_log_dir_from_the_environment_must_agree_with_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(ElkctlError, match="overrides --log-dir"):
        write_marker_line(tmp_path / "wanted", "svc", None, new_marker())
    assert not (tmp_path / "elsewhere").exists()  # nothing written anywhere


def test_a_higher_log_level_still_lets_the_line_through(tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    marker = new_marker()
    path = write_marker_line(tmp_path, "svc", None, marker)
    assert json.loads(path.read_text())["log.level"] == "error"


def test_verify_reports_latency_once_the_line_is_searchable(es_server, elkctl_env, tmp_path):
    es = FakeElasticsearch().install(es_server)
    es.ingest_from = tmp_path  # the fake "ships" whatever lands in the directory
    result = CliRunner().invoke(cli, ["verify", "--log-dir", str(tmp_path), "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "Searchable after" in result.output
    assert ".ds-logs-" in result.output
    assert (tmp_path / "elkctl-verify.log").exists()


def test_verify_uses_log_dir_from_the_environment(es_server, elkctl_env, tmp_path, monkeypatch):
    es = FakeElasticsearch().install(es_server)
    es.ingest_from = tmp_path
    monkeypatch.setenv("LOG_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["verify", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert str(tmp_path) in result.output


def test_verify_times_out_in_one_line(es_server, elkctl_env, tmp_path):
    FakeElasticsearch().install(es_server)  # nothing ships the file
    result = CliRunner().invoke(cli, ["verify", "--log-dir", str(tmp_path), "--timeout", "0.3"])
    line = one_line_failure(result)
    assert "not ready after 0.3s" in line
    assert "not searchable yet" in line
    assert str(tmp_path) in line


def test_verify_reads_log_dir_from_the_env_file(es_server, elkctl_env, tmp_path, monkeypatch):
    es = FakeElasticsearch().install(es_server)
    shipped = tmp_path / "shipped"
    es.ingest_from = shipped
    env_file = tmp_path / ".env"
    env_file.write_text(f"LOG_DIR={shipped}\n")
    monkeypatch.setenv("ELKCTL_ENV_FILE", str(env_file))
    result = CliRunner().invoke(cli, ["verify", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert (shipped / "elkctl-verify.log").exists()


def test_unwritable_log_dir_is_one_line(es_server, elkctl_env, tmp_path):
    FakeElasticsearch().install(es_server)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(
        cli, ["verify", "--log-dir", str(blocker / "sub"), "--timeout", "1"]
    )
    assert one_line_failure(result).startswith("elkctl: cannot write to ")
