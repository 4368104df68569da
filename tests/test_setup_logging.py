"""setup_logging end to end: real files, idempotency, loguru routing, redaction wiring."""

import json
import logging

import pytest

import python_logging
from python_logging import ConfigError, request_context, setup_logging


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def configure(tmp_path, monkeypatch):
    for variable in ("SERVICE_NAME", "SERVICE_VERSION", "ENVIRONMENT", "LOG_LEVEL", "LOG_DIR"):
        monkeypatch.delenv(variable, raising=False)

    def configure(**overrides):
        config = {
            "service": {"name": "checkout-api", "version": "1.4.2", "environment": "test"},
            "console": {"enabled": False},
            "file": {"dir": str(tmp_path), "compress": False},
        }
        config.update(overrides)
        return setup_logging(config)

    yield configure
    setup_logging({"file": {"enabled": False}, "console": {"enabled": False}})


def test_two_lines_of_setup_give_ecs_lines_in_the_service_file(configure, tmp_path):
    cfg = configure()
    assert cfg.service.name == "checkout-api"
    with request_context("req-7"):
        logging.getLogger("shop").info("order %s placed", 5, extra={"order_id": 5})
    logging.shutdown()
    (line,) = read_lines(tmp_path / "checkout-api.log")
    assert line["message"] == "order 5 placed"
    assert line["http"]["request"]["id"] == "req-7"
    assert line["service"] == {"name": "checkout-api", "version": "1.4.2", "environment": "test"}
    assert line["order_id"] == 5


def test_calling_again_reconfigures_without_duplicating_handlers(configure, tmp_path):
    configure()
    before = len(logging.getLogger().handlers)
    configure(level="WARNING")
    configure(level="WARNING")
    assert len(logging.getLogger().handlers) == before
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    assert [line["message"] for line in read_lines(tmp_path / "checkout-api.log")] == ["shown"]


def test_calling_again_routes_loguru_once(configure, tmp_path):
    loguru = pytest.importorskip("loguru")
    configure()
    configure()
    loguru.logger.info("once")
    assert [line["message"] for line in read_lines(tmp_path / "checkout-api.log")] == ["once"]


def test_handlers_the_application_added_are_left_alone(configure):
    own = logging.NullHandler()
    logging.getLogger().addHandler(own)
    try:
        configure()
        configure()
        assert own in logging.getLogger().handlers
    finally:
        logging.getLogger().removeHandler(own)


def test_bad_config_fails_before_changing_anything(configure):
    configure()
    handlers = list(logging.getLogger().handlers)
    with pytest.raises(ConfigError, match=r"file\.max_bytes"):
        configure(file={"max_bytes": "lots"})
    assert logging.getLogger().handlers == handlers


def test_secrets_are_redacted_in_lines(configure, tmp_path):
    configure()
    logging.getLogger("auth").info(
        "login with password=hunter2", extra={"password": "hunter2", "user": {"name": "ann"}}
    )
    text = (tmp_path / "checkout-api.log").read_text()
    assert "hunter2" not in text
    assert read_lines(tmp_path / "checkout-api.log")[0]["user"] == {"name": "ann"}


def test_public_redact_uses_the_configured_mask(configure):
    configure(redaction={"mask": "***"})
    assert python_logging.redact({"api_key": "abc", "note": "fine"}) == {
        "api_key": "***",
        "note": "fine",
    }


def test_json_console_prints_the_same_line(configure, capsys):
    configure(console={"enabled": True, "format": "json"}, file={"enabled": False})
    logging.getLogger("c").warning("to the console")
    line = json.loads(capsys.readouterr().err.strip())
    assert line["message"] == "to the console" and line["log.level"] == "warning"


def test_pretty_console_is_readable_text(configure, capsys):
    configure(console={"enabled": True, "format": "pretty"}, file={"enabled": False})
    with request_context("req-9"):
        logging.getLogger("shop").warning("slow order", extra={"order_id": 5})
    err = capsys.readouterr().err
    assert "WARNING" in err and "shop" in err and "slow order" in err
    assert "order_id=5" in err and "req-9" in err
    assert not err.lstrip().startswith("{")


def test_loguru_lines_land_in_the_same_file_with_the_same_fields(configure, tmp_path):
    loguru = pytest.importorskip("loguru")
    configure()
    with request_context("req-8"):
        logging.getLogger("std").info("from stdlib")
        loguru.logger.bind(order_id=1).info("from loguru {}", "formatted")
        try:
            raise KeyError("missing")
        except KeyError:
            loguru.logger.exception("failed with token=ghp_" + "a" * 36)
    lines = read_lines(tmp_path / "checkout-api.log")
    assert [line["message"] for line in lines][:2] == ["from stdlib", "from loguru formatted"]
    bound = lines[1]
    assert bound["order_id"] == 1
    assert bound["http"]["request"]["id"] == "req-8"
    assert bound["service"]["name"] == "checkout-api"
    assert bound["log.level"] == "info"
    assert list(bound)[:3] == ["@timestamp", "log.level", "message"]
    failure = lines[2]
    assert failure["error"]["type"] == "KeyError"
    assert failure["error"]["grouping_key"].startswith("v1:")
    assert "ghp_" + "a" * 36 not in (tmp_path / "checkout-api.log").read_text()


@pytest.mark.parametrize("diagnose", [False, True])
def test_loguru_diagnose_is_off(configure, tmp_path, monkeypatch, diagnose):
    """What loguru hands our sink holds no local variable values; `diagnose=True` (the
    check's control case) would print them, as loguru does by default."""
    loguru = pytest.importorskip("loguru")
    from python_logging import loguru_bridge

    received = []
    real_call = loguru_bridge.LoguruSink.__call__

    def spy(sink, message):
        received.append(str(message))
        real_call(sink, message)

    monkeypatch.setattr(loguru_bridge.LoguruSink, "__call__", spy)
    if diagnose:
        real_add = loguru.logger.add
        monkeypatch.setattr(
            loguru.logger, "add", lambda *a, **k: real_add(*a, **{**k, "diagnose": True})
        )
    configure()
    secret_local = "s3cr3t-local-value"
    try:
        len(secret_local) / 0  # diagnose would print the value of secret_local here
    except ZeroDivisionError:
        loguru.logger.exception("boom")
    [formatted] = received
    assert "ZeroDivisionError" in formatted
    assert ("s3cr3t-local-value" in formatted) is diagnose
    assert "s3cr3t-local-value" not in (tmp_path / "checkout-api.log").read_text()


def test_a_redaction_key_without_letters_fails_naming_the_key(configure):
    with pytest.raises(ConfigError, match=r"redaction\.keys"):
        configure(redaction={"keys": ["--"]})


def test_a_log_directory_that_cannot_be_created_fails_at_setup(configure, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(ConfigError, match=r"'file\.dir'.*cannot create"):
        configure(file={"dir": str(blocker / "logs")})


def test_file_and_console_map_each_record_once(configure, monkeypatch, capsys):
    from python_logging import ecs, pipeline

    calls = []
    original = ecs.build_doc

    def counting(identity, fragment, head, message, *rest):
        calls.append(message)
        return original(identity, fragment, head, message, *rest)

    # Both paths (with and without a LogEvent) build the document here.
    monkeypatch.setattr(ecs, "build_doc", counting)
    monkeypatch.setattr(pipeline, "build_doc", counting)
    configure(console={"enabled": True, "format": "pretty"})
    logging.getLogger("shop").info("placed once")
    assert calls == ["placed once"]
    assert "placed once" in capsys.readouterr().err

    loguru = pytest.importorskip("loguru")
    loguru.logger.info("loguru once")
    assert calls == ["placed once", "loguru once"]


def test_a_pipeline_that_shares_nothing_keeps_no_record_alive():
    import gc
    import weakref

    from python_logging.ecs import ServiceIdentity
    from python_logging.pipeline import Pipeline

    logger = logging.getLogger("shop")
    for share, expected_alive in ((False, False), (True, True)):
        pipeline = Pipeline(ServiceIdentity("svc", None, "test"), share_documents=share)
        record = logger.makeRecord("shop", logging.INFO, __file__, 1, "gone", (), None)
        alive = weakref.ref(record)
        pipeline.render_record(record)
        del record
        gc.collect()
        assert (alive() is not None) == expected_alive
