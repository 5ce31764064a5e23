"""Fixtures of the packaging tests: one bundle (and one .deb) per test session.

The bundle is built by the documented command, ``python packaging/build.py``, from a
dedicated virtual environment, ``build/venv-packaging`` (created on first use and kept: the
command installs ``-e .[packaging]`` into it only when something is missing, so later runs
are offline). Each session builds into its own folder under ``build/packaging-tests/`` and
removes it at the end, so sessions running side by side do not disturb each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from packaging_support import BUILD_TIMEOUT_S, BUILD_VENV, ROOT, SESSIONS


@pytest.fixture(scope="session")
def packaging_session_dir():
    SESSIONS.mkdir(parents=True, exist_ok=True)
    for old in SESSIONS.glob("session-*"):  # left behind by a killed session
        if time.time() - old.stat().st_mtime > 6 * 3600:
            shutil.rmtree(old, ignore_errors=True)
    path = SESSIONS / f"session-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def bundle_build(packaging_session_dir) -> dict:
    """Build the bundle with ``python packaging/build.py``; its build-report.json as a dict."""
    dist, work = packaging_session_dir / "dist", packaging_session_dir / "work"
    command = [sys.executable, str(ROOT / "packaging" / "build.py"),
               "--venv", str(BUILD_VENV), "--dist", str(dist), "--work", str(work)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, f"build failed\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    report = json.loads((dist / "build-report.json").read_text())
    report["icons"] = str(work.parent / "icons")
    print(f"\nbundle build: {json.dumps(report)}")
    return report


@pytest.fixture(scope="session")
def bundle(bundle_build) -> Path:
    return Path(bundle_build["bundle"])


@pytest.fixture(scope="session")
def deb(bundle_build, packaging_session_dir) -> Path:
    """The .deb, built from the session's bundle by packaging/linux/build_deb.py (zstd: fast)."""
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb not available: .deb packages are built on Debian or Ubuntu")
    out = packaging_session_dir / "deb"
    command = [sys.executable, str(ROOT / "packaging" / "linux" / "build_deb.py"),
               "--bundle", bundle_build["bundle"], "--icons", bundle_build["icons"],
               "--out", str(out), "--compression", "zstd"]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, f"deb build failed\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    (path,) = out.glob("*.deb")
    print(f"\ndeb: {path.name} {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    return path


@pytest.fixture(scope="session")
def deb_root(deb, packaging_session_dir) -> Path:
    """The .deb unpacked with ``dpkg-deb -x`` into a scratch root."""
    root = packaging_session_dir / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root
