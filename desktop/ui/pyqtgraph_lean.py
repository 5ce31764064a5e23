"""pyqtgraph, imported without building every class of QtCore, QtGui and QtWidgets.

PySide6 (6.x) creates a module's Python classes only when they are first asked for.
pyqtgraph keeps its own "mirror" modules ``pyqtgraph.Qt.QtCore``/``QtGui``/
``QtWidgets`` and fills them, when it is imported, with every name of PySide6's
modules (``pyqtgraph/Qt/__init__.py``, ``_copy_attrs``: ``for o in dir(src):
setattr(dst, o, getattr(src, o))``), which builds all of them, their enums included:
about 14 MiB of a process that uses a few hundred of them, 5.7 MiB of the app's idle
memory (tests/benchmarks/bench_memory.py, issue 15).

Here the mirrors are made first, each answering a name it does not have yet from the
PySide6 module (PEP 562 module ``__getattr__``) and keeping it; while pyqtgraph is
imported, the three PySide6 modules list only the names already built, so its copy
builds nothing new. Every name still resolves, to the very same PySide6 object, on
first use. If pyqtgraph was imported already (a test, a plugin), it is used as it is.

Import pyqtgraph in the app as ``from desktop.ui.pyqtgraph_lean import pg``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

MIRRORED = ("QtCore", "QtGui", "QtWidgets")
"""The PySide6 modules pyqtgraph mirrors in ``pyqtgraph.Qt``."""


def _mirror(name: str, source: ModuleType, package_dir: str | None) -> ModuleType:
    """An empty ``pyqtgraph.Qt.<name>`` that takes each name from ``source`` on first use."""
    mirror = ModuleType(f"pyqtgraph.Qt.{name}")
    if package_dir is not None:
        mirror.__path__ = [f"{package_dir}/{name}"]  # it is a package in pyqtgraph, keep it one

    def __getattr__(attr: str):  # noqa: N807 - the PEP 562 hook
        value = getattr(source, attr)  # AttributeError for a name PySide6 does not have, as before
        setattr(mirror, attr, value)
        return value

    mirror.__getattr__ = __getattr__  # type: ignore[attr-defined]
    return mirror


def import_pyqtgraph() -> ModuleType:
    """Import pyqtgraph with lazily filled Qt mirrors (see the module docstring) and
    return it; the already imported module when there is one."""
    done = sys.modules.get("pyqtgraph")
    if done is not None:
        return done
    sources = {name: importlib.import_module(f"PySide6.{name}") for name in MIRRORED}
    spec = importlib.util.find_spec("pyqtgraph")
    if spec is None:
        raise ImportError("pyqtgraph is not installed")
    locations = list(spec.submodule_search_locations or [])
    package_dir = f"{locations[0]}/Qt" if locations else None
    listings = {}
    for name, source in sources.items():
        sys.modules[f"pyqtgraph.Qt.{name}"] = _mirror(name, source, package_dir)
        listings[name] = source.__dict__.get("__dir__")
        built = sorted(source.__dict__)
        source.__dir__ = lambda built=built: built  # type: ignore[attr-defined]
    try:
        import pyqtgraph
    except BaseException:
        for name in MIRRORED:
            sys.modules.pop(f"pyqtgraph.Qt.{name}", None)
        raise
    finally:
        for name, source in sources.items():
            if listings[name] is None:
                del source.__dir__
            else:
                source.__dir__ = listings[name]  # type: ignore[attr-defined]
    return pyqtgraph


pg = import_pyqtgraph()
"""The pyqtgraph module."""
