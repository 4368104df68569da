"""`.env` generation (scripts/init_env.py): random, distinct, long secrets; never overwrites."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from tests.stack_support import ROOT, load_script

init_env = load_script("scripts/init_env.py")
EXAMPLE = ROOT / ".env.example"
KIBANA_KEYS = [key for key in init_env.SECRETS if key.endswith("ENCRYPTION_KEY")]


@pytest.fixture
def generated(tmp_path):
    env = tmp_path / ".env"
    init_env.ensure_env(env, EXAMPLE)
    return env


def test_example_holds_every_secret_empty():
    values = init_env.parse_assignments(EXAMPLE.read_text())
    assert set(init_env.SECRETS) <= set(values)
    assert all(values[key] == "" for key in init_env.SECRETS)


def test_generated_secrets_are_set_long_and_distinct(generated):
    values = init_env.parse_assignments(generated.read_text())
    secrets = [values[key] for key in init_env.SECRETS]
    assert all(len(value) >= 32 for value in secrets)
    assert len(set(secrets)) == len(secrets)
    assert all(len(values[key]) >= 32 for key in KIBANA_KEYS)


def test_generated_file_keeps_the_other_settings(generated):
    example = init_env.parse_assignments(EXAMPLE.read_text())
    values = init_env.parse_assignments(generated.read_text())
    assert {k: v for k, v in values.items() if k not in init_env.SECRETS} == {
        k: v for k, v in example.items() if k not in init_env.SECRETS
    }


def test_generated_file_is_private(generated):
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600


def test_two_generations_differ(tmp_path):
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    init_env.ensure_env(first, EXAMPLE)
    init_env.ensure_env(second, EXAMPLE)
    a, b = (init_env.parse_assignments(p.read_text()) for p in (first, second))
    assert all(a[key] != b[key] for key in init_env.SECRETS)


def test_existing_env_is_never_rewritten(generated):
    before = generated.read_bytes()
    message = init_env.ensure_env(generated, EXAMPLE)
    assert "unchanged" in message
    assert generated.read_bytes() == before


def test_existing_env_with_an_empty_secret_fails_naming_it(tmp_path):
    env = tmp_path / ".env"
    env.write_text(EXAMPLE.read_text())
    with pytest.raises(init_env.EnvFileError, match="ELASTIC_PASSWORD"):
        init_env.ensure_env(env, EXAMPLE)
    assert env.read_text() == EXAMPLE.read_text()


def test_example_with_a_secret_value_is_refused():
    with pytest.raises(init_env.EnvFileError, match="ELASTIC_PASSWORD"):
        init_env.render_env(EXAMPLE.read_text().replace("ELASTIC_PASSWORD=", "ELASTIC_PASSWORD=x"))


def test_cli_is_stdlib_only_and_idempotent(tmp_path):
    env = tmp_path / ".env"
    command = [sys.executable, "-I", "-S", str(ROOT / "scripts/init_env.py"), "--env", str(env),
               "--example", str(EXAMPLE)]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    content = env.read_text()
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "created" in first.stdout and "unchanged" in second.stdout
    assert env.read_text() == content


def test_cli_reports_a_missing_example_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/init_env.py"), "--env", str(tmp_path / ".env"),
         "--example", str(tmp_path / "nope")],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not found" in result.stderr


def test_an_existing_env_written_with_export_lines_is_accepted(generated):
    exported = "".join(f"export {line}" if "=" in line and not line.startswith("#") else line
                       for line in generated.read_text().splitlines(keepends=True))
    generated.write_text(exported)
    assert "unchanged" in init_env.ensure_env(generated, EXAMPLE)
    assert init_env.parse_assignments(exported) == init_env.parse_assignments(
        exported.replace("export ", ""))


def test_export_lines_in_the_example_get_their_secrets_and_keep_export():
    example = EXAMPLE.read_text().replace("ELASTIC_PASSWORD=", "export ELASTIC_PASSWORD=")
    rendered = init_env.render_env(example)
    line = next(line for line in rendered.splitlines() if "ELASTIC_PASSWORD=" in line)
    assert line.startswith("export ELASTIC_PASSWORD=") and len(line.partition("=")[2]) >= 32


def test_an_export_line_with_an_empty_secret_is_still_caught(tmp_path):
    env = tmp_path / ".env"
    env.write_text(EXAMPLE.read_text().replace("ELASTIC_PASSWORD=", "export ELASTIC_PASSWORD=''"))
    with pytest.raises(init_env.EnvFileError, match="leaves ELASTIC_PASSWORD"):
        init_env.ensure_env(env, EXAMPLE)


def test_cli_reports_a_malformed_env_line_in_one_line(tmp_path):
    env = tmp_path / ".env"
    env.write_text("ELASTIC_PASSWORD=x\nnot a pair\n")
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "scripts/init_env.py"), "--env", str(env),
         "--example", str(EXAMPLE)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stderr == f"init_env: {env} line 2: expected KEY=VALUE, got 'not a pair'\n"


@pytest.mark.parametrize(("line", "expected"), [
    ("LOG_DIR=/var/log/apps", "/var/log/apps"),
    ('export LOG_DIR="/srv/my logs"  # where apps write', "/srv/my logs"),
    ("# LOG_DIR=/commented/out", ""),
])
def test_the_makefile_reads_settings_with_the_same_parser(tmp_path, line, expected):
    env = tmp_path / ".env"
    env.write_text(f"KIBANA_PORT=5601\n{line}\n")
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "scripts/init_env.py"), "--env", str(env),
         "--get", "LOG_DIR"],
        capture_output=True, text=True, check=True,
    )
    assert result.stdout == expected + "\n"


def test_the_makefile_asks_init_env_for_its_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "init_env.py --get LOG_DIR" in makefile and "init_env.py --get KIBANA_PORT" in makefile
    assert "sed -n" not in makefile
