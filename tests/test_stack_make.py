"""Makefile stack targets: order of `make up`, confirmation before `make reset`, e2e wiring."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.stack_support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, "MAKEFLAGS": ""},
    )


def test_up_runs_preflight_then_env_then_compose_wait():
    plan = make("-n", "-o", "install", "up").stdout.splitlines()
    doctor = next(i for i, line in enumerate(plan) if "elkctl doctor" in line)
    env = next(i for i, line in enumerate(plan) if "scripts/init_env.py" in line or
               line.endswith(" env"))
    up = next(i for i, line in enumerate(plan) if "up -d --build --wait" in line)
    assert doctor < env < up
    assert "docker compose -f docker-compose.elk.yml up -d --build --wait" in plan[up]
    assert any("Kibana:" in line for line in plan[up:])


def docker_daemon_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(docker_daemon_answers(), reason="needs a host without a Docker daemon")
def test_up_without_docker_fails_early_with_the_doctor_message():
    result = make("-o", "install", "up")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Fix Docker:" in output and "check(s) failed" in output
    assert "up -d --build --wait" not in output


def test_reset_deletes_nothing_without_confirmation():
    result = make("reset", stdin="n\n")
    assert result.returncode != 0
    assert "aborted" in result.stdout
    assert "down --volumes" not in result.stdout


def test_reset_plan_removes_the_volumes():
    plan = make("-n", "reset", "CONFIRM=yes").stdout
    assert "--profile demo down --volumes" in plan


def test_e2e_runs_the_docker_only_script_which_always_tears_down():
    assert "tests/e2e/run_e2e.sh" in make("-n", "-o", "install", "e2e").stdout
    script = ROOT / "tests" / "e2e" / "run_e2e.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "trap cleanup EXIT" in text and "down --volumes" in text
    assert "elkctl verify" in text and "check_stack.py" in text
