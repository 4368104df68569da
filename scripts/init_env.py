#!/usr/bin/env python3
"""Create `.env` from `.env.example` with fresh random secrets; never touch an existing one.

Run by `make up` before Docker Compose, with nothing but the Python standard library, so a
host without the project's virtualenv can still start the stack. Idempotent: when `.env`
exists it is left byte-for-byte unchanged; it is only checked for secrets left empty
(compose would refuse to start with them), which fails with the key to fix.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# The .env syntax lives in elkctl's stdlib-only `envfile` module, next to this script.
# Put scripts/ on the path explicitly: `python3 -I` (isolated) does not add the script's
# directory, and on a bare host elkctl is not installed.
SCRIPTS_DIR = str(Path(__file__).resolve().parent)
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)

from elkctl.envfile import EnvSyntaxError, parse_env, parse_lines  # noqa: E402


def _password() -> str:
    # URL-safe alphabet: no `$`, quotes or spaces that compose interpolation or a shell
    # would mangle; 24 random bytes give 32 characters (192 bits).
    return secrets.token_urlsafe(24)


def _encryption_key() -> str:
    # Kibana requires at least 32 characters; 64 hex characters carry 256 bits.
    return secrets.token_hex(32)


# Every secret docker-compose.elk.yml requires (`${VAR:?...}`) and how to generate it.
SECRETS: Mapping[str, Callable[[], str]] = {
    "ELASTIC_PASSWORD": _password,
    "KIBANA_SYSTEM_PASSWORD": _password,
    "LOGSTASH_WRITER_PASSWORD": _password,
    "KIBANA_SECURITY_ENCRYPTION_KEY": _encryption_key,
    "KIBANA_SAVED_OBJECTS_ENCRYPTION_KEY": _encryption_key,
    "KIBANA_REPORTING_ENCRYPTION_KEY": _encryption_key,
}


class EnvFileError(Exception):
    """A problem with .env or .env.example, explained in one line."""


def parse_assignments(text: str, source: str = ".env") -> dict[str, str]:
    """KEY -> value of a compose-style env file (syntax: `elkctl.envfile`)."""
    try:
        return parse_env(text)
    except EnvSyntaxError as exc:
        raise EnvFileError(f"{source} {exc}") from None


def render_env(example: str, generators: Mapping[str, Callable[[], str]] = SECRETS) -> str:
    """The example text with every secret line filled in; all other lines kept as they are."""
    missing = sorted(set(generators) - set(parse_assignments(example, ".env.example")))
    if missing:
        raise EnvFileError(f".env.example lacks the secret(s) {', '.join(missing)}")
    lines = []
    for line, assignment in parse_lines(example):
        if assignment and assignment[0] in generators:
            key, value = assignment
            if value:
                raise EnvFileError(f".env.example sets {key}; secrets there must stay empty")
            ending = "\n" if line.endswith("\n") else ""
            # keeps an `export ` in front of the key; the value part was empty
            line = f"{line.partition('=')[0].strip()}={generators[key]()}{ending}"
        lines.append(line)
    return "".join(lines)


def empty_secrets(env_text: str, source: str = ".env") -> list[str]:
    """The secrets an existing .env leaves unset or empty."""
    values = parse_assignments(env_text, source)
    return [key for key in SECRETS if not values.get(key)]


def write_new(path: Path, text: str) -> None:
    """Create `path` readable by its owner only; fail rather than replace an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def ensure_env(env_path: Path, example_path: Path) -> str:
    """Create .env if absent; return a one-line account of what happened."""
    if env_path.exists():
        unset = empty_secrets(env_path.read_text(encoding="utf-8"), str(env_path))
        if unset:
            raise EnvFileError(
                f"{env_path} leaves {', '.join(unset)} empty: set them, or move {env_path} "
                "away and run `make up` again to generate all secrets"
            )
        return f"{env_path} exists; left unchanged"
    if not example_path.is_file():
        raise EnvFileError(f"{example_path} not found; run from the repository root")
    try:
        write_new(env_path, render_env(example_path.read_text(encoding="utf-8")))
    except FileExistsError as exc:  # created concurrently: still never overwrite it
        raise EnvFileError(f"{env_path} appeared while generating it; run again") from exc
    return f"created {env_path} with new random secrets (mode 600)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", type=Path, default=Path(".env"))
    parser.add_argument("--example", type=Path, default=Path(".env.example"))
    parser.add_argument(
        "--get", metavar="KEY",
        help="print KEY's value from --env (empty when unset) instead; for the Makefile",
    )
    args = parser.parse_args(argv)
    try:
        if args.get:
            print(parse_assignments(args.env.read_text(), str(args.env)).get(args.get, ""))
        else:
            print(ensure_env(args.env, args.example))
    except (EnvFileError, OSError) as exc:
        print(f"init_env: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
