"""The PyInstaller bundle built by ``python packaging/build.py`` starts, paints and knows its version."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from packaging_support import project_version, run_smoke, smoke_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the bundle is only built and run by the tests on Linux"),
]

MAX_BUNDLE_MB = 300  # 229 MB when this was written; a jump means something unwanted got in


def test_bundle_passes_the_smoke_test_offscreen(bundle: Path, tmp_path):
    report = run_smoke([str(bundle / "tradedesk")], smoke_env(tmp_path / "home"))
    assert report["bars"] > 0 and report["broker"] == "paper"
    print(f"\nbundle smoke test: {json.dumps(report)}")


def test_bundle_runs_on_the_xcb_platform_under_xvfb(bundle: Path, tmp_path):
    """The X11 platform plugin and the libraries it needs load from the bundle."""
    if not shutil.which("xvfb-run"):
        pytest.skip("xvfb-run not installed (apt-get install xvfb); the offscreen smoke test still ran")
    env = smoke_env(tmp_path / "home")
    del env["QT_QPA_PLATFORM"]
    report = run_smoke(["xvfb-run", "-a", str(bundle / "tradedesk")], env)
    assert report["ok"]


def test_version_comes_from_pyproject(bundle: Path, tmp_path):
    """``--version`` (and so the About dialog: both read desktop.__version__) shows pyproject's version."""
    proc = subprocess.run([str(bundle / "tradedesk"), "--version"], capture_output=True, text=True,
                          env=smoke_env(tmp_path / "home"), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Tradedesk {project_version()}"
    internal = bundle / "_internal"
    assert (internal / f"tradedesk-{project_version()}.dist-info" / "METADATA").is_file()
    assert not list(internal.glob("tradedesk*.egg-info")), "metadata must come from the installed dist-info"


def test_bundle_holds_resources_and_leaves_out_unused_parts(bundle: Path, bundle_build):
    internal = bundle / "_internal"
    for name in ("stocks.csv.gz", "NOTICE", "icon.svg"):
        assert (internal / "resources" / name).is_file(), name
    qt = internal / "PySide6" / "Qt"
    # pyqtgraph imports QtOpenGL and QtOpenGLWidgets; QtSvg loads icon.svg; QtNetwork: single instance.
    for module in ("QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets", "QtSvg", "QtNetwork"):
        assert list((internal / "PySide6").glob(f"{module}.*")), module
    assert (qt / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert (qt / "lib" / "libQt6DBus.so.6").is_file()  # Gui, Widgets and XcbQpa link to it
    files = [p.relative_to(internal).as_posix() for p in internal.rglob("*")]
    unwanted = [f for f in files if any(bad in f for bad in (
        "libQt6Test", "PySide6/QtTest.", "tkinter", "platformthemes",
        "libqwayland", "libstdc++", "libgcc_s", "pytest", "hypothesis",
    ))]
    assert not unwanted, unwanted
    size_mb = bundle_build["bundle_bytes"] / 1e6
    assert size_mb < MAX_BUNDLE_MB, f"bundle is {size_mb:.0f} MB"
