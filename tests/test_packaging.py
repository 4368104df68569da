"""An app that only installs and imports python_logging needs none of the ops tools."""

import subprocess
import sys
from importlib.metadata import requires

OPS_ONLY = ("elasticsearch", "elastic_transport", "click", "rich", "loguru")


def test_core_install_requires_only_what_logging_needs():
    core = sorted(
        requirement.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for requirement in requires("python-logging-elk") or []
        if "extra ==" not in requirement
    )
    assert core == ["orjson", "pyyaml"]


def test_importing_and_setting_up_loads_no_ops_module(tmp_path):
    code = (
        "import sys, python_logging\n"
        f"python_logging.setup_logging({{'file': {{'dir': {str(tmp_path)!r}}},"
        " 'console': {'enabled': False}})\n"
        "import logging; logging.getLogger('x').info('hello')\n"
        f"print(sorted(m for m in {OPS_ONLY!r} if m in sys.modules))\n"
    )
    # -X importtime would be noisy; loguru is optional and only bridged when importable,
    # so hide it to prove setup works without it.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "loguru.py").write_text("raise ImportError('not installed in this app')\n")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(blocker), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "app.log").read_text().count("\n") == 1
