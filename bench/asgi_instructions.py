"""Instructions per request of the ASGI middleware, counted by valgrind: a figure the
machine's load does not move (the requests/s of `bench_asgi.py` swing ±20% here).

`python bench/asgi_instructions.py` (about a minute; needs valgrind, from Debian's
packages). Each variant (the trivial ASGI app of `bench_asgi.py` through httpx, with
and without the middleware) runs twice under `valgrind --tool=cachegrind` with 200 and
600 requests; the difference cancels start-up. Instructions are not time: cache misses,
which an app with more code in between suffers more, are not in them, so the
requests/s overhead is higher than the instruction overhead. cachegrind's cache
simulation (this machine's cache sizes) adds the L1 and last-level misses, weighed as
KCachegrind's cycle estimate does: still a model, but one that sees cold caches.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

DRIVER = """
import asyncio, logging, sys, tempfile
from pathlib import Path
sys.path.insert(0, {bench!r})
import bench_asgi as b
from python_logging.asgi import RequestIDMiddleware
b.configure_logging(Path(tempfile.mkdtemp()))
logging.getLogger("httpx").setLevel(logging.WARNING)
app = RequestIDMiddleware(b.trivial_app) if sys.argv[2] == "with" else b.trivial_app
asyncio.run(b.via_httpx(app, int(sys.argv[1])))
"""
FEW, MANY = 200, 600


# valgrind's counters and their weights in KCachegrind's cycle estimate (CEst): an L1 miss
# costs about 10 instructions' time, a last-level miss about 100.
COUNTERS = {"I refs": 1, "I1 misses": 10, "D1 misses": 10, "LL misses": 100}


def counters(variant: str, requests: int) -> dict[str, int]:
    """valgrind's totals for one run of the driver, with its cache simulation."""
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", DRIVER.format(bench=str(Path(__file__).parent)),
         str(requests), variant],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts every run
    )
    totals = {}
    for name in COUNTERS:
        label = r"\s+".join(map(re.escape, name.split()))  # valgrind pads: "I   refs:"
        match = re.search(rf"{label}:\s+([\d,]+)", result.stderr)
        if match is None:
            raise SystemExit(f"asgi_instructions: no '{name}' in valgrind's output:\n"
                             f"{result.stderr[-2000:]}")
        totals[name] = int(match.group(1).replace(",", ""))
    return totals


def per_request(variant: str) -> dict[str, float]:
    """Each counter per request: two runs' difference, so start-up cancels out."""
    few, many = counters(variant, FEW), counters(variant, MANY)
    return {name: (many[name] - few[name]) / (MANY - FEW) for name in COUNTERS}


def estimated_cycles(counts: dict[str, float]) -> float:
    return sum(counts[name] * weight for name, weight in COUNTERS.items())


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("asgi_instructions: valgrind is not installed (apt-get install valgrind)")
    bare, wrapped = per_request("without"), per_request("with")
    print("| requests through httpx, per request | without | with the middleware | added "
          "| as a requests/s overhead |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [(name, bare[name], wrapped[name]) for name in COUNTERS]
    rows.append(("estimated cycles (Ir + 10 × L1 misses + 100 × LL misses)",
                 estimated_cycles(bare), estimated_cycles(wrapped)))
    for name, alone, with_mw in rows:
        added = with_mw - alone
        overhead = f"{1 - alone / with_mw:.1%}" if name in ("I refs", rows[-1][0]) else ""
        print(f"| {name} | {alone:,.0f} | {with_mw:,.0f} | {added:+,.0f} | {overhead} |")


if __name__ == "__main__":
    main()
