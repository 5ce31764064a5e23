"""Setup on a fresh machine: without the X libraries Qt's xcb plugin needs, ``tradedesk``
says which packages to install (apt and dnf) and exits non-zero before Qt aborts;
offscreen and Wayland runs are never checked; the README names the packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.app import qt_platform
from desktop.app.qt_platform import EXIT_NO_DISPLAY, display_problem, needed_libraries, xcb_plugin_files

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin is Linux's")


def missing(*names):
    """A lookup that reports ``names`` as not installed and finds everything else."""
    return lambda soname, _dirs: soname if soname in names else None


@linux_only
def test_the_plugins_real_dependencies_are_read_from_its_elf_file():
    files = xcb_plugin_files()
    assert [f.name for f in files] == ["libqxcb.so", "libQt6XcbQpa.so.6"]
    needed = needed_libraries(files[0])
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0", "libQt6XcbQpa.so.6"} <= set(needed)
    assert needed_libraries(Path(__file__)) == []  # not an ELF file: nothing, no error


@linux_only
def test_a_library_really_missing_is_found_by_the_loaders_lookup(tmp_path):
    """A copy of the plugin whose icccm dependency names a library no system has: the
    real lookup (the dynamic loader's search) reports exactly that one."""
    plugin = xcb_plugin_files()[0]
    platforms = tmp_path / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (tmp_path / "Qt" / "lib").symlink_to(plugin.parents[2] / "lib")  # the plugin's own Qt libraries
    data = plugin.read_bytes()
    assert data.count(b"libxcb-icccm.so.4\0") == 1
    (platforms / plugin.name).write_bytes(data.replace(b"libxcb-icccm.so.4\0", b"libxcb-icccX.so.4\0"))
    baseline = display_problem({"DISPLAY": ":0"}, files=[plugin])  # None where this machine has them all
    already = baseline.missing if baseline is not None else ()
    problem = display_problem({"DISPLAY": ":0"}, files=[platforms / plugin.name])
    assert problem is not None and set(problem.missing) == {"libxcb-icccX.so.4", *already} - {"libxcb-icccm.so.4"}
    assert "depends on your distribution" in problem.message()


def test_the_message_names_the_apt_and_dnf_packages():
    problem = display_problem({"DISPLAY": ":0"}, lookup=missing("libxcb-icccm.so.4", "libxcb-keysyms.so.1",
                                                                  "libxcb-cursor.so.0"),
                              files=xcb_plugin_files() if sys.platform.startswith("linux") else [])
    if not sys.platform.startswith("linux"):
        assert problem is None
        return
    text = problem.message()
    assert "libxcb-icccm.so.4" in text and "libxcb-keysyms.so.1" in text
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in text
    assert "sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms" in text


@pytest.mark.parametrize("environ", [
    {"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"},
    {"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"},
    {"QT_QPA_PLATFORM": "minimal"},
    {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},  # Qt may pick Wayland: never block it
])
def test_offscreen_and_wayland_runs_are_never_checked(environ):
    assert display_problem(environ, lookup=missing(*qt_platform.PACKAGES)) is None


@linux_only
def test_xcb_runs_are_checked_and_no_display_is_said_in_words():
    everything = missing(*qt_platform.PACKAGES)
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, lookup=everything) is not None
    assert display_problem({"DISPLAY": ":1"}, lookup=everything) is not None
    nothing = display_problem({}, lookup=everything)
    assert nothing is not None and nothing.missing == () and "no display" in nothing.message()
    assert display_problem({"DISPLAY": ":0"}, lookup=everything, files=[]) is None  # no plugin found: Qt says


@linux_only
def test_tradedesk_prints_the_packages_and_exits_non_zero_instead_of_aborting(tmp_path):
    """The real entry point, in a subprocess, with the lookup told that two libraries
    are missing; DISPLAY points at no X server, so had the check let Qt start, Qt
    would have aborted (SIGABRT) instead."""
    script = ("import sys, desktop.app.qt_platform as q\n"
              "real = q.library_present\n"
              "q.library_present = lambda name, dirs=(): name if name in ('libxcb-icccm.so.4', 'libxcb-keysyms.so.1') "
              "else real(name, dirs)\n"
              "from desktop.app.cli import main\n"
              "sys.exit(main([]))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":97", TRADEDESK_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_NO_DISPLAY, (done.returncode, done.stderr[-1500:])
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in done.stderr
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in done.stderr
    assert "platform plugin" in done.stderr and "could not" not in done.stderr.lower()  # not Qt's own abort text


def test_the_readme_quick_start_names_the_x_libraries():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "xcb-util-wm", "xcb-util-keysyms"):
        assert package in quick, package
