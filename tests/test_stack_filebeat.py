"""filebeat/filebeat.yml: filestream over python_logging's real file names, ndjson, to Logstash."""

from __future__ import annotations

import fnmatch
import gzip
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import pytest

from python_logging import naming
from tests.stack_support import COMPOSE_FILE, ROOT, load_yaml

CONFIG = load_yaml(ROOT / "filebeat" / "filebeat.yml")
INPUTS = CONFIG["filebeat.inputs"]
INPUT = INPUTS[0]
MOUNT = "/var/log/apps"


def shipped(directory: Path) -> set[str]:
    """The names in `directory` Filebeat would read: a path glob matches, no exclude does."""
    globs = [PurePosixPath(path) for path in INPUT["paths"]]
    assert all(str(glob.parent) == MOUNT for glob in globs)
    excludes = [re.compile(pattern) for pattern in INPUT["exclude_files"]]
    return {
        entry.name
        for entry in directory.iterdir()
        if any(fnmatch.fnmatchcase(entry.name, glob.name) for glob in globs)
        and not any(rx.search(f"{MOUNT}/{entry.name}") for rx in excludes)
    }


@pytest.fixture
def log_dir(tmp_path):
    """A log directory as python_logging leaves it after a few rotations."""
    rotated_at = datetime(2026, 11, 23, 6, 45, 12, 123456, tzinfo=timezone.utc)
    line = json.dumps({"@timestamp": rotated_at.isoformat(), "message": "x"}) + "\n"
    files = {
        "active": naming.active_name("checkout"),
        "rotated": naming.rotated_name("checkout", rotated_at),
        "rotated_clash": naming.rotated_name("checkout", rotated_at, seq=1),
        "rotated_other": naming.rotated_name("billing-api", rotated_at + timedelta(hours=1)),
        "active_other": naming.active_name("billing-api"),
    }
    for name in files.values():
        (tmp_path / name).write_text(line)
    compressed = naming.rotated_name("checkout", rotated_at - timedelta(days=1))
    compressed += naming.COMPRESSED_SUFFIX
    (tmp_path / compressed).write_bytes(gzip.compress(line.encode()))
    files["compressed"] = compressed
    (tmp_path / "README.txt").write_text("not a log\n")
    return tmp_path, files


def test_one_filestream_input_with_a_stable_unique_id():
    assert [i["type"] for i in INPUTS] == ["filestream"]
    ids = [i["id"] for i in INPUTS]
    assert len(set(ids)) == len(ids)
    # The registry is keyed by this id; changing it re-ingests every file.
    assert INPUT["id"] == "python-logging-files"


def test_active_and_rotated_files_are_shipped_and_compressed_ones_are_not(log_dir):
    directory, files = log_dir
    expected = {files[key] for key in files if key != "compressed"}
    assert shipped(directory) == expected


def test_every_shipped_name_is_a_python_logging_file(log_dir):
    directory, _ = log_dir
    for name in shipped(directory):
        assert naming.is_rotated(name) or name.endswith(naming.ACTIVE_SUFFIX)


def test_gz_exclusion_holds_even_for_a_broader_glob(log_dir):
    directory, files = log_dir
    excludes = [re.compile(pattern) for pattern in INPUT["exclude_files"]]
    for name in (entry.name for entry in directory.iterdir()):
        excluded = any(rx.search(f"{MOUNT}/{name}") for rx in excludes)
        assert excluded == name.endswith(".gz"), name
    assert naming.is_rotated(files["compressed"])


def test_ndjson_parser_merges_lines_at_the_root():
    parsers = INPUT["parsers"]
    assert len(parsers) == 1
    assert parsers[0]["ndjson"] == {
        "target": "",
        "overwrite_keys": True,
        "expand_keys": True,
        "add_error_key": True,
    }


def test_file_identity_survives_rotation_and_small_files_are_read():
    # Identity by content, not path or inode: a rotation (rename) keeps file and offset.
    assert "file_identity.fingerprint" in INPUT
    assert "file_identity.native" not in INPUT and "file_identity.path" not in INPUT
    fingerprint = INPUT["prospector.scanner.fingerprint"]
    assert fingerprint["enabled"] is True
    assert 64 <= fingerprint["length"] < 1024
    # The smallest line python_logging can write (the contract's always-present fields,
    # one-letter values) is longer than the fingerprint, so a file is read from line one.
    smallest_line = json.dumps(
        {
            "@timestamp": "2026-11-23T06:45:44.123Z",
            "log.level": "info",
            "message": "",
            "ecs.version": "8.11.0",
            "log": {"logger": "r"},
            "service": {"name": "a"},
            "event": {"dataset": "a"},
        },
        separators=(",", ":"),
    )
    assert len(smallest_line) + 1 > fingerprint["length"]


def test_output_goes_to_the_logstash_beats_input_only():
    assert CONFIG["output.logstash"]["hosts"] == ["logstash:5044"]
    assert not [key for key in CONFIG if key.startswith("output.") and key != "output.logstash"]
    pipeline = (ROOT / "logstash" / "pipeline" / "main.conf").read_text()
    assert re.search(r"beats\s*\{[^}]*port\s*=>\s*5044", pipeline)


def test_http_endpoint_serves_the_healthcheck_port():
    assert CONFIG["http.enabled"] is True
    assert CONFIG["http.port"] == 5066
    assert CONFIG["http.host"] == "0.0.0.0"  # reachable from the published port


def test_config_is_baked_with_strict_permissions():
    dockerfile = (ROOT / "filebeat" / "Dockerfile").read_text()
    copy = re.search(r"COPY --chown=0:\d+ --chmod=(0[0-7]{3}) filebeat\.yml ", dockerfile)
    assert copy, "copy filebeat.yml owned by root with an explicit mode"
    assert int(copy.group(1), 8) & 0o022 == 0  # not group/world writable
    assert "strict.perms=false" not in dockerfile + COMPOSE_FILE.read_text()
