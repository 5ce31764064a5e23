"""PySide6's import hook asks of every module whether it uses PySide6; with
:func:`desktop.app.pyside_imports.install` it gets the same answers without keeping
each module's source in linecache. Run in a fresh interpreter (the hook sees only
imports after PySide6's own)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def test_the_hook_answers_as_before_and_keeps_no_source(tmp_path):
    (tmp_path / "uses_qt_mod.py").write_text("from PySide6.QtCore import QObject\nX = QObject\n")
    (tmp_path / "plain_mod.py").write_text("VALUE = 1\n" * 2000)
    script = textwrap.dedent(f"""
        import json, linecache, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import PySide6.QtCore
        import shibokensupport.feature as feature
        from desktop.app import pyside_imports
        installed = pyside_imports.install()
        import uses_qt_mod, plain_mod
        print(json.dumps({{"installed": installed, "again": pyside_imports.install(),
                          "uses": feature.pyside_feature_dict.get("uses_qt_mod"),
                          "plain": feature.pyside_feature_dict.get("plain_mod"),
                          "cached": sorted(k for k in linecache.cache if k.endswith("_mod.py"))}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"installed": True, "again": True, "uses": 0, "plain": -1, "cached": []}


def test_without_the_fix_pyside_keeps_the_source(tmp_path):
    """What the fix is for (if PySide6 stops doing this, the fix can go)."""
    (tmp_path / "plain_mod2.py").write_text("VALUE = 1\n")
    script = textwrap.dedent(f"""
        import linecache, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import PySide6.QtCore
        import plain_mod2
        print(any(k.endswith("plain_mod2.py") for k in linecache.cache))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"
