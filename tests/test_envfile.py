"""The one `.env` parser (elkctl.envfile) and its two users: init_env.py and elkctl."""

from __future__ import annotations

import pytest

from elkctl.connection import ElkctlError, load_settings, parse_env_file
from elkctl.envfile import EnvSyntaxError, parse_env
from tests.stack_support import load_script

init_env = load_script("scripts/init_env.py")

SAMPLE = """\
# a comment line

export ELASTIC_PASSWORD=from-export
export\tKIBANA_URL = http://kibana:5601
  SPACED = value with spaces \t
DOUBLE="quoted # not a comment"
SINGLE='single' # a comment after the quote
UNQUOTED=plain # a comment
HASHED=a#b
EMPTY=
EMPTY_QUOTES=""
EQUALS=a=b
CRLF=windows\r
"""


def test_the_compose_rules():
    assert parse_env(SAMPLE) == {
        "ELASTIC_PASSWORD": "from-export",
        "KIBANA_URL": "http://kibana:5601",
        "SPACED": "value with spaces",
        "DOUBLE": "quoted # not a comment",
        "SINGLE": "single",
        "UNQUOTED": "plain",
        "HASHED": "a#b",
        "EMPTY": "",
        "EMPTY_QUOTES": "",
        "EQUALS": "a=b",
        "CRLF": "windows",
    }


def test_a_later_line_wins():
    assert parse_env("A=1\nexport A=2\n") == {"A": "2"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A=1\nnot a pair\n", "line 2: expected KEY=VALUE, got 'not a pair'"),
        ("=value\n", "line 1: expected KEY=VALUE"),
        ("export\n", "line 1: expected KEY=VALUE"),
        ("TWO WORDS=x\n", "line 1: expected KEY=VALUE"),
        ('A="open\n', "line 1: A: the value's opening \" is never closed"),
        ("A='x'y\n", "line 1: A: unexpected 'y' after the closing '"),
    ],
)
def test_malformed_lines_are_errors_naming_the_line(text, problem):
    with pytest.raises(EnvSyntaxError) as raised:
        parse_env(text)
    assert str(raised.value).startswith(problem)


def test_both_readers_read_the_same_values():
    assert init_env.parse_assignments(SAMPLE) == parse_env_file(SAMPLE) == parse_env(SAMPLE)


def test_both_readers_report_a_malformed_line_as_their_own_one_line_error():
    with pytest.raises(init_env.EnvFileError, match=r"^\.env line 2: expected KEY=VALUE"):
        init_env.parse_assignments("A=1\nnot a pair\n")
    with pytest.raises(ElkctlError, match=r"^\.env line 2: expected KEY=VALUE"):
        parse_env_file("A=1\nnot a pair\n")


def test_elkctl_reads_export_lines(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("export ELASTIC_PASSWORD='secret'\nexport LOG_RETENTION_DAYS=7\n")
    settings = load_settings(environ={}, env_file=env_file)
    assert settings.elastic_password == "secret"
    assert settings.log_retention_days == 7


def test_elkctl_names_the_file_of_a_malformed_line(tmp_path):
    env_file = tmp_path / "stack.env"
    env_file.write_text("export ELASTIC_PASSWORD=x\nexport\n")
    with pytest.raises(ElkctlError, match=rf"^{env_file} line 2: expected KEY=VALUE"):
        load_settings(environ={}, env_file=env_file)
