"""Shared by the benchmarks: machine facts and writing a section of bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        if names:
            cpu = names[0]
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 1024**3:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} vCPU ({cpu}){memory}, "
        f"Python {platform.python_version()}"
    )


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write_section(name: str, markdown: str) -> None:
    """Replace the text between `<!-- section: name -->` and its closing marker."""
    text = RESULTS.read_text(encoding="utf-8")
    pattern = re.compile(
        rf"(<!-- section: {re.escape(name)} -->\n).*?(<!-- /section: {re.escape(name)} -->)",
        re.DOTALL,
    )
    if not pattern.search(text):
        raise SystemExit(f"bench/RESULTS.md has no section '{name}'")
    replaced = pattern.sub(lambda m: m.group(1) + markdown.rstrip() + "\n" + m.group(2), text)
    RESULTS.write_text(replaced, encoding="utf-8")


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a fresh interpreter (clean logging state) and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed:\n{result.stderr}")
    return result.stdout
