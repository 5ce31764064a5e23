"""pyqtgraph imported through desktop.ui.pyqtgraph_lean (issue 15, idle memory): its
Qt mirrors resolve every name to PySide6's own object on first use, and importing it
builds none of PySide6's classes that nothing asked for. Run in a fresh interpreter:
the test session itself has pyqtgraph imported the ordinary way already."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
import PySide6.QtWidgets as widgets, PySide6.QtCore as core
unused = "QUndoView"
before = unused in widgets.__dict__
from desktop.ui.pyqtgraph_lean import pg, import_pyqtgraph
import pyqtgraph.Qt as mirrors
after_import = unused in widgets.__dict__
same = mirrors.QtWidgets.QUndoView is widgets.QUndoView and mirrors.QtCore.QPointF is core.QPointF
try:
    mirrors.QtWidgets.NoSuchClass
    missing = "resolved"
except AttributeError:
    missing = "AttributeError"
plot = pg.PlotWidget()
plot.plot([1, 2, 3], [3, 1, 2])
plot.resize(200, 150)
image = plot.grab().toImage()
print(json.dumps({"before": before, "after_import": after_import, "same": same, "missing": missing,
                  "again": import_pyqtgraph() is pg, "dir_restored": len(dir(widgets)) > 200,
                  "painted": image.width() == 200}))
"""


def test_lean_pyqtgraph_builds_no_unused_class_and_resolves_every_name():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"}
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"before": False, "after_import": False, "same": True, "missing": "AttributeError",
                      "again": True, "dir_restored": True, "painted": True}


def test_the_app_imports_pyqtgraph_only_through_the_lean_module():
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "desktop"
    direct = re.compile(r"^\s*(import pyqtgraph|from pyqtgraph[\w.]* import)", re.MULTILINE)
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 if p.name != "pyqtgraph_lean.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
