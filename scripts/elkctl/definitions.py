"""Load the readable definition files under `elasticsearch/` and `kibana/`.

Where they are: $ELKCTL_DEFINITIONS (a directory holding `elasticsearch/` and `kibana/`), else
the current directory, else the repository this package was installed from (editable
installs). The Docker image that runs `elkctl setup` copies both folders next to its working
directory (or sets ELKCTL_DEFINITIONS).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elkctl.connection import ElkctlError

DEFINITIONS_VARIABLE = "ELKCTL_DEFINITIONS"
REPO_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")
# The data streams that elasticsearch/index_templates/logs-python.json covers: where the
# application logs are read (status, verify, errors).
LOG_STREAMS = "logs-*-*"

# Folder under elasticsearch/ -> kind, in the order they must be applied (a template refers to
# its policy and components, a user to its role).
ES_KINDS = (
    ("ilm_policies", "ilm_policy"),
    ("component_templates", "component_template"),
    ("index_templates", "index_template"),
    ("roles", "role"),
    ("users", "user"),
)


@dataclass(frozen=True)
class Definition:
    kind: str
    name: str
    body: dict[str, Any]
    source: Path


def definitions_root(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    chosen = environ.get(DEFINITIONS_VARIABLE)
    candidates = [Path(chosen)] if chosen else [Path.cwd(), REPO_ROOT]
    for candidate in candidates:
        if (candidate / "elasticsearch").is_dir() and (candidate / "kibana").is_dir():
            return candidate
    where = ", ".join(str(path) for path in candidates)
    raise ElkctlError(
        f"no elasticsearch/ and kibana/ definition folders in {where}; "
        f"run elkctl from the repository or set {DEFINITIONS_VARIABLE}"
    )


def substitute(value: Any, variables: Mapping[str, str], source: Path) -> Any:
    """Replace `${NAME}` in every string of a JSON document."""
    if isinstance(value, dict):
        return {key: substitute(item, variables, source) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables, source) for item in value]
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                raise ElkctlError(f"{source}: unknown placeholder ${{{name}}}")
            return variables[name]

        return PLACEHOLDER.sub(replace, value)
    return value


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ElkctlError(f"cannot read {path}: {exc.strerror}") from exc


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except ValueError as exc:
        raise ElkctlError(f"{path} is not valid JSON: {exc}") from exc


def load_es_definitions(root: Path, variables: Mapping[str, str]) -> list[Definition]:
    """Every `elasticsearch/<folder>/<name>.json`, in apply order."""
    definitions = []
    for folder, kind in ES_KINDS:
        for path in sorted((root / "elasticsearch" / folder).glob("*.json")):
            body = read_json(path)
            if not isinstance(body, dict):
                raise ElkctlError(f"{path} must hold a JSON object")
            definitions.append(Definition(kind, path.stem, substitute(body, variables, path), path))
    return definitions
