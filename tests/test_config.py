"""Configuration: sources, precedence and errors that name the key."""

import re
from pathlib import Path

import pytest

from python_logging.config import _VALIDATORS, ENVIRONMENT_KEYS, ConfigError, load_config

NO_ENV: dict[str, str] = {}


def test_defaults():
    cfg = load_config(None, environ=NO_ENV)
    assert cfg.service.name == "app"
    assert cfg.level == "INFO"
    assert cfg.file.dir == Path("logs")
    assert cfg.file.max_bytes == 100_000_000
    assert cfg.redaction.enabled is True
    assert cfg.request_id.max_length == 128


def test_yaml_file_mapping_overrides_and_environment(tmp_path):
    path = tmp_path / "logging.yml"
    path.write_text(
        "service: {name: checkout-api, version: '1.4.2', environment: production}\n"
        "level: info\n"
        "file: {dir: /var/log/app, max_bytes: 10MB, when: midnight, backup_count: 5}\n"
        "redaction: {keys: [pin], patterns: ['ORD-\\d+'], mask: '***'}\n"
    )
    cfg = load_config(path, overrides={"console": {"format": "json"}}, environ=NO_ENV)
    assert cfg.service.name == "checkout-api" and cfg.service.version == "1.4.2"
    assert cfg.level == "INFO"
    assert cfg.file.max_bytes == 10_000_000 and cfg.file.when == "midnight"
    assert cfg.redaction.keys == ("pin",) and cfg.redaction.mask == "***"
    assert cfg.console.format == "json"

    env = {"SERVICE_NAME": "billing", "LOG_LEVEL": "debug", "LOG_DIR": "/tmp/x"}
    env["ENVIRONMENT"] = "qa"
    cfg = load_config(path, environ=env)
    assert cfg.service.name == "billing" and cfg.service.environment == "qa"
    assert cfg.level == "DEBUG" and cfg.file.dir == Path("/tmp/x")
    assert cfg.service.version == "1.4.2"  # untouched keys keep the file's value


@pytest.mark.parametrize(
    ("config", "key", "hint"),
    [
        ({"file": {"max_bytes": "lots"}}, "file.max_bytes", "100MB"),
        ({"file": {"max_byte": 5}}, "file.max_byte", "max_bytes"),
        ({"colour": True}, "colour", "console"),
        ({"level": "LOUD"}, "level", "WARNING"),
        ({"file": {"when": "weekly"}}, "file.when", "midnight"),
        ({"file": {"backup_count": 0}}, "file.backup_count", ">= 1"),
        ({"file": {"retention_days": -1}}, "file.retention_days", "> 0"),
        ({"console": {"format": "xml"}}, "console.format", "pretty"),
        ({"redaction": {"patterns": ["("]}}, "redaction.patterns", "regular expression"),
        ({"redaction": {"enabled": "maybe"}}, "redaction.enabled", "true or false"),
        ({"service": {"name": "bad name/"}}, "service.name", "letters"),
        ({"service": "api"}, "service", "mapping"),
        ({"request_id": {"max_length": 0}}, "request_id.max_length", "from 1 to 1024"),
        ({"request_id": {"max_length": 10**9}}, "request_id.max_length", "from 1 to 1024"),
        ({"file": {"max_bytes": 1.5}}, "file.max_bytes", "100MB"),
        ({"service": {"version": []}}, "service.version", "string"),
        ({"service": {"environment": ""}}, "service.environment", "string"),
        ({"console": {"enabled": "maybe"}}, "console.enabled", "true or false"),
        ({"console": {"level": "LOUD"}}, "console.level", "WARNING"),
        ({"file": {"enabled": 2}}, "file.enabled", "true or false"),
        ({"file": {"dir": []}}, "file.dir", "string"),
        ({"file": {"compress": "x"}}, "file.compress", "true or false"),
        ({"file": {"access_flush_ms": -1}}, "file.access_flush_ms", "from 0 to 10000"),
        ({"file": {"access_flush_ms": 0.5}}, "file.access_flush_ms", "whole number"),
        ({"redaction": {"keys": "pin"}}, "redaction.keys", "list"),
        ({"redaction": {"keys": ["--"]}}, "redaction.keys", "letters or digits"),
        ({"redaction": {"mask": ""}}, "redaction.mask", "string"),
        ({"sampling": {"loggers": [1]}}, "sampling.loggers", "mapping"),
        ({"sampling": {"paths": {"/x": 2}}}, "sampling.paths./x", "0 to 1"),
    ],
)
def test_bad_values_fail_naming_the_key_and_what_is_accepted(config, key, hint):
    with pytest.raises(ConfigError) as error:
        load_config(config, environ=NO_ENV)
    assert error.value.key == key
    assert f"'{key}'" in str(error.value) and hint in str(error.value)


def test_every_documented_key_has_a_bad_value_case():
    cases = test_bad_values_fail_naming_the_key_and_what_is_accepted.pytestmark[0].args[1]
    covered = {key.rsplit("./", 1)[0] for _config, key, _hint in cases}
    assert set(_VALIDATORS) <= covered


@pytest.mark.parametrize(("variable", "path"), ENVIRONMENT_KEYS.items())
def test_each_environment_variable_overrides_its_key(variable, path):
    value = "DEBUG" if path == ("level",) else "from-env"
    mapping = {"service": {"name": "file", "version": "1", "environment": "prod"},
               "level": "ERROR", "file": {"dir": "file-dir"}}
    cfg = load_config(mapping, overrides={"level": "WARNING"}, environ={variable: value})
    effective = cfg
    for part in path:
        effective = getattr(effective, part)
    assert str(effective) == value


def test_bad_environment_value_names_the_key():
    with pytest.raises(ConfigError, match="'level'"):
        load_config(None, environ={"LOG_LEVEL": "chatty"})


def test_unreadable_or_invalid_yaml_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yml", environ=NO_ENV)
    bad = tmp_path / "bad.yml"
    bad.write_text("level: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, environ=NO_ENV)
    listing = tmp_path / "list.yml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(listing, environ=NO_ENV)


def readme_config_rows():
    """{key: environment variable or ''} of the README's configuration table."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: config -->")[1].split("<!-- /section: config -->")[0]
    rows = re.findall(r"^\| `([a-z_.]+)` \|.*\| *`?([A-Z_]*)`? *\|$", section, re.MULTILINE)
    return dict(rows)


def test_readme_configuration_table_matches_the_code():
    rows = readme_config_rows()
    assert sorted(rows) == sorted(_VALIDATORS)
    documented_env = {variable: key for key, variable in rows.items() if variable}
    assert documented_env == {
        variable: ".".join(path) for variable, path in ENVIRONMENT_KEYS.items()
    }
