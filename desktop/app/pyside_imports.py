"""Keep PySide6's import hook from holding the source of every imported module.

PySide6 (6.4 and later, PYSIDE-2029) watches every import after its own and asks of
each module whether it uses PySide, for its ``__feature__`` switching: its
``shibokensupport.feature._mod_uses_pyside`` calls ``inspect.getsource(module)`` and
looks for the text "PySide6". ``inspect`` reads through :mod:`linecache`, which keeps
every line it read, so the whole source of all ~640 modules the app imports stays in
memory: 268,000 lines, about 24 MiB of the idle process (measured with
tests/benchmarks/bench_memory.py), and time spent at start-up splitting them.

:func:`install` asks the same question by reading the module's file as bytes (the
answer is the same for a source file; modules without one, such as a packaged app's,
go to PySide6's own check as before), then drops what linecache already holds.
"""

from __future__ import annotations

import linecache
import logging
import sys
from types import ModuleType

log = logging.getLogger(__name__)
FEATURE_MODULE = "shibokensupport.feature"


def install() -> bool:
    """Replace PySide6's per-import source check (see the module docstring) and clear
    :mod:`linecache`. Call after PySide6 is imported. Returns False, changing
    nothing, when this PySide6 has no such check (another version)."""
    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "reads_bytes", False):
        return True  # already installed

    def uses_pyside(module: ModuleType) -> bool:
        """Whether ``module``'s source file mentions PySide6 (read as bytes, not kept)."""
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return original(module)

    uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside
    linecache.clearcache()
    return True
