"""The README's quick start runs as written and produces the line it shows."""

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def quickstart_blocks() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: quickstart -->", 1)[1].split("<!-- /section: quickstart")[0]
    return {lang: code for lang, code in re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)}


def test_quickstart_snippet_writes_the_documented_line(tmp_path):
    blocks = quickstart_blocks()
    (tmp_path / "logging.yml").write_text(blocks["yaml"])
    (tmp_path / "app.py").write_text(blocks["python"])
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "order 42 placed" in result.stderr  # the pretty console
    (line,) = (tmp_path / "logs" / "checkout-api.log").read_text().splitlines()
    written = json.loads(line)
    documented = json.loads(blocks["json"])
    assert list(written)[:3] == list(documented)[:3]
    assert set(written) == set(documented)
    assert written["message"] == documented["message"]
    assert written["service"] == documented["service"]
    assert written["order_id"] == 42 and written["http"]["request"]["id"]
