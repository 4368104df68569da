"""Instructions per request of the ASGI middleware, counted by valgrind: a figure the
machine's load does not move (the requests/s of `bench_asgi.py` swing ±20% here).

`python bench/asgi_instructions.py` (about a minute; needs valgrind, from Debian's
packages). Each variant (the trivial ASGI app of `bench_asgi.py` through httpx, with
and without the middleware) runs twice under `valgrind --tool=cachegrind` with 200 and
600 requests; the difference cancels start-up. Instructions are not time: cache misses,
which an app with more code in between suffers more, are not in them, so the
requests/s overhead is higher than the instruction overhead.
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


def instructions(variant: str, requests: int) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", DRIVER.format(bench=str(Path(__file__).parent)),
         str(requests), variant],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts every run
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if match is None:
        raise SystemExit(f"asgi_instructions: no instruction count in valgrind's output:\n"
                         f"{result.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def per_request(variant: str) -> float:
    return (instructions(variant, MANY) - instructions(variant, FEW)) / (MANY - FEW)


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("asgi_instructions: valgrind is not installed (apt-get install valgrind)")
    bare, wrapped = per_request("without"), per_request("with")
    added = wrapped - bare
    print("| requests through httpx | instructions per request |")
    print("| --- | ---: |")
    print(f"| without the middleware | {bare:,.0f} |")
    print(f"| with the middleware | {wrapped:,.0f} |")
    print(f"| added | {added:,.0f} (+{added / bare:.1%}; as a requests/s overhead "
          f"{1 - bare / wrapped:.1%}) |")


if __name__ == "__main__":
    main()
