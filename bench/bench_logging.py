"""Throughput of python_logging against the JSON logging libraries it replaces.

Every contender does the same work in a fresh interpreter: N calls of
`logger.info("order %s placed", n, extra={3 fields})` written to a file, one process;
the median of 3 runs is reported. Set BENCH_CALLS to shorten a trial run.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine, run_python, stamp, write_section

CALLS = int(os.environ.get("BENCH_CALLS", "200000"))
RUNS = 3
LOOP = """
import time, sys
n_calls = int(sys.argv[2])
start = time.perf_counter()
for n in range(n_calls):
    CALL
elapsed = time.perf_counter() - start
FLUSH
print(n_calls / elapsed)
"""
STDLIB_CALL = (
    'log.info("order %s placed", n, extra={"order_id": n, "customer": "c-42", "amount": 9.5})'
)
LOGURU_CALL = 'log.bind(order_id=n, customer="c-42", amount=9.5).info("order {} placed", n)'
STDLIB_FILE = """
import logging, sys
handler = logging.FileHandler(sys.argv[1] + "/out.log")
handler.setFormatter(FORMATTER)
root = logging.getLogger(); root.addHandler(handler); root.setLevel(logging.INFO)
log = logging.getLogger("shop.orders")
"""

CONTENDERS: dict[str, tuple[str, str, str]] = {
    # name: (setup, call, flush)
    "python_logging (stdlib API, redaction on, request ID set)": (
        """
import logging, sys
from python_logging import setup_logging, request_context
setup_logging({"service": {"name": "bench"}, "console": {"enabled": False},
               "file": {"dir": sys.argv[1], "max_bytes": None, "compress": False}})
log = logging.getLogger("shop.orders")
request_context("req-123").__enter__()
""",
        STDLIB_CALL,
        "logging.shutdown()",
    ),
    "python_logging (loguru API)": (
        """
import sys
from loguru import logger as log
from python_logging import setup_logging, request_context
setup_logging({"service": {"name": "bench"}, "console": {"enabled": False},
               "file": {"dir": sys.argv[1], "max_bytes": None, "compress": False}})
request_context("req-123").__enter__()
""",
        LOGURU_CALL,
        "import logging; logging.shutdown()",
    ),
    "stdlib plain-text formatter (baseline)": (
        STDLIB_FILE.replace(
            "FORMATTER", 'logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")'
        ),
        STDLIB_CALL,
        "",
    ),
    "python-json-logger JsonFormatter": (
        "from pythonjsonlogger.json import JsonFormatter\n"
        + STDLIB_FILE.replace("FORMATTER", "JsonFormatter()"),
        STDLIB_CALL,
        "",
    ),
    "ecs-logging StdlibFormatter": (
        "import ecs_logging\n" + STDLIB_FILE.replace("FORMATTER", "ecs_logging.StdlibFormatter()"),
        STDLIB_CALL,
        "",
    ),
    "loguru serialize=True": (
        """
import sys
from loguru import logger as log
log.remove()
log.add(sys.argv[1] + "/out.log", serialize=True, level="INFO")
""",
        LOGURU_CALL,
        "log.remove()",
    ),
    "structlog + orjson": (
        """
import sys, orjson, structlog
out = open(sys.argv[1] + "/out.log", "wb")
structlog.configure(
    processors=[structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(serializer=orjson.dumps)],
    logger_factory=structlog.BytesLoggerFactory(out),
    cache_logger_on_first_use=True)
log = structlog.get_logger("shop.orders")
""",
        'log.info("order placed", n=n, order_id=n, customer="c-42", amount=9.5)',
        "out.close()",
    ),
}


def measure(setup: str, call: str, flush: str) -> float:
    code = setup + LOOP.replace("CALL", call).replace("FLUSH", flush)
    rates = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as directory:
            rates.append(float(run_python(code, directory, str(CALLS)).strip()))
    return statistics.median(rates)


def chart(results: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)[::-1]
    values = [results[name] / 1000 for name in names]
    colours = ["#1f77b4" if name.startswith("python_logging") else "#999999" for name in names]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.barh(names, values, color=colours)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.0f}k", va="center")
    ax.set_xlabel("thousand log calls per second (higher is better)")
    ax.set_title(f"{CALLS:,} calls, message + 3 extra fields, to a file; median of {RUNS}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    results = {}
    for name, (setup, call, flush) in CONTENDERS.items():
        results[name] = measure(setup, call, flush)
        print(f"{results[name]:>10,.0f} calls/s  {name}", flush=True)
    ours = results["python_logging (stdlib API, redaction on, request ID set)"]
    loguru_path = results["python_logging (loguru API)"]
    json_logger = results["python-json-logger JsonFormatter"]
    ecs = results["ecs-logging StdlibFormatter"]
    baseline = results["stdlib plain-text formatter (baseline)"]
    serialize = results["loguru serialize=True"]
    targets = [
        ("stdlib path / python-json-logger", ours / json_logger, 1.5),
        ("stdlib path / ecs-logging", ours / ecs, 4.0),
        ("stdlib path / plain-text baseline", ours / baseline, 0.9),
        ("loguru path / loguru serialize=True", loguru_path / serialize, 2.0),
    ]
    chart(results, Path(__file__).with_name("logging_throughput.png"))
    rows = "\n".join(f"| {name} | {rate:,.0f} |" for name, rate in results.items())
    checks = "\n".join(
        f"| {name} | {ratio:.2f}x | {target}x | {'met' if ratio >= target else '**missed**'} |"
        for name, ratio, target in targets
    )
    write_section(
        "logging",
        f"""## Logging throughput (`bench/bench_logging.py`)

Measured {stamp()} on {machine()}. {CALLS:,} calls of
`logger.info("order %s placed", n, extra={{3 fields}})` to a file, one process, each
contender in a fresh interpreter, median of {RUNS} runs.

| contender | calls/s |
| --- | ---: |
{rows}

| target | measured | goal | |
| --- | ---: | ---: | --- |
{checks}

![throughput chart](logging_throughput.png)
""",
    )


if __name__ == "__main__":
    main()
