"""Helpers of the packaging tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_VENV = ROOT / "build" / "venv-packaging"
SESSIONS = ROOT / "build" / "packaging-tests"
APP_ID = "io.github.tradedesk.Tradedesk"
BUILD_TIMEOUT_S = 900


def load_packaging_module(relative: str, name: str):
    """Import a script of packaging/ (not a package) under a unique module name."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def tool_or_install(command: str, apt_package: str) -> str | None:
    """Path of ``command``; installs ``apt_package`` with apt-get first when it is missing and
    this is a Debian-like machine where we are root (as on CI). None if still missing."""
    found = shutil.which(command)
    if found or not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", apt_package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    return shutil.which(command)


def missing_tool(what: str) -> None:
    """Fail on CI (the tests must run there), skip on a developer machine without the tool."""
    message = f"{what} is not available and could not be installed"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def smoke_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "TRADEDESK_"))}
    env.update(QT_QPA_PLATFORM="offscreen", TRADEDESK_HOME=str(home), **extra)
    return env


def run_smoke(command: list[str], env: dict[str, str], timeout: float = 120) -> dict:
    """Run ``command --smoke-test``; the parsed JSON line plus ``process_wall_s``."""
    started = time.perf_counter()
    proc = subprocess.run([*command, "--smoke-test"], capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"smoke test exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    report = json.loads(lines[-1])
    assert report["ok"] is True, report
    # Nothing the app imports may be missing from a bundle, even where it degrades gracefully.
    logs = "".join(p.read_text(errors="replace") for p in Path(env["TRADEDESK_HOME"]).glob("logs/*.log*"))
    for text in (proc.stderr, logs):
        assert "No module named" not in text and "ModuleNotFoundError" not in text, text[-3000:]
    report["process_wall_s"] = round(wall, 3)
    return report
