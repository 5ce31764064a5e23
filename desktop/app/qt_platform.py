"""Before the first window: can Qt open one on this machine?

On Linux, Qt draws on X11 through its ``xcb`` platform plugin, which links to about
twenty system libraries (libxcb-cursor, -icccm, -keysyms, libxkbcommon-x11, ...). A
fresh or minimal install often lacks some of them, and Qt then aborts with a message
that names the wrong one ("xcb-cursor0 or libxcb-cursor0 is needed"). This module
reads the libraries the plugin really needs (the ``DT_NEEDED`` entries of
``libqxcb.so`` and ``libQt6XcbQpa.so.6``, from the ELF files of the installed PySide6,
without importing Qt), looks each one up the way the dynamic loader does, and, when
some are missing, says which packages to install (apt and dnf lines).

The check runs only when Qt would use xcb: ``QT_QPA_PLATFORM`` unset or ``xcb`` and
``DISPLAY`` set. Offscreen, Wayland, minimal, VNC... runs are never checked, and a
check that cannot read the plugin stays silent (Qt reports its own error then).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import struct
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_NO_DISPLAY = 3
"""Exit code of ``tradedesk`` when Qt cannot open a window here (missing X libraries, no display)."""

# soname -> (Debian/Ubuntu package, Fedora/RHEL package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libz.so.1": ("zlib1g", "zlib"),
}

_MISSING = re.compile(r"(\S+?\.so[.\d]*): cannot open shared object file")


@dataclass(frozen=True)
class DisplayProblem:
    """Why Qt cannot open a window here. ``missing``: the libraries (sonames, in the
    plugin's order) that are not installed; empty when the problem is no display."""

    missing: tuple[str, ...] = ()

    def packages(self, which: int) -> list[str]:
        """Packages providing :attr:`missing`: ``which`` 0 = apt, 1 = dnf (unknown
        sonames are left out; :meth:`message` names them)."""
        return list(dict.fromkeys(PACKAGES[lib][which] for lib in self.missing if lib in PACKAGES))

    def message(self) -> str:
        """What to tell the user, in words, with the commands that fix it."""
        if not self.missing:
            return ("Tradedesk cannot open its window: there is no display (DISPLAY and WAYLAND_DISPLAY are "
                    "not set).\nStart it from a desktop session, or without a screen with "
                    "QT_QPA_PLATFORM=offscreen (tests, CI).")
        lines = ["Tradedesk cannot open its window: Qt's X11 platform plugin (xcb) needs system libraries "
                 "that are not installed:", "  " + ", ".join(self.missing),
                 "Install them, then start Tradedesk again:"]
        apt, dnf = self.packages(0), self.packages(1)
        if apt:
            lines.append(f"  Debian, Ubuntu:  sudo apt install {' '.join(apt)}")
        if dnf:
            lines.append(f"  Fedora, RHEL:    sudo dnf install {' '.join(dnf)}")
        unknown = [lib for lib in self.missing if lib not in PACKAGES]
        if unknown:
            lines.append(f"  (the package providing {', '.join(unknown)} depends on your distribution)")
        lines.append("Running without a screen (tests, CI)? Set QT_QPA_PLATFORM=offscreen.")
        return "\n".join(lines)


def uses_xcb(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when Qt will open its windows through xcb: on Linux, ``QT_QPA_PLATFORM``
    unset (and no Wayland session) or naming xcb first."""
    if not platform.startswith("linux"):
        return False
    spec = environ.get("QT_QPA_PLATFORM", "").strip()
    first = spec.split(";")[0].split(":")[0].strip().lower()
    if first:
        return first == "xcb"
    return not environ.get("WAYLAND_DISPLAY")  # Qt may choose Wayland there: never block it


def xcb_plugin_files() -> list[Path]:
    """The xcb plugin and its Qt support library in the installed PySide6 (or the
    bundle's copy), found without importing Qt; [] when they are not there."""
    spec = importlib.util.find_spec("PySide6")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in map(Path, roots):
        plugin = root / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return [plugin] + [p for p in (root / "Qt" / "lib").glob("libQt6XcbQpa.so*") if p.is_file()][:1]
    return []


def needed_libraries(path: Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of the ELF shared object at ``path`` (from its
    SHT_DYNAMIC section and the string table it links to); [] when the file is not a
    readable ELF object. Raises nothing."""
    try:
        data = path.read_bytes()
        if data[:4] != b"\x7fELF":
            return []
        wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
        if wide:
            shoff, = struct.unpack_from(end + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
            section, entry = end + "IIQQQQIIQQ", end + "qQ"
        else:
            shoff, = struct.unpack_from(end + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
            section, entry = end + "IIIIIIIIII", end + "iI"
        headers = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]
        names: list[str] = []
        for header in headers:
            if header[1] != 6:  # SHT_DYNAMIC
                continue
            offset, size, link = header[4], header[5], header[6]
            strtab = data[headers[link][4]:headers[link][4] + headers[link][5]]
            step = struct.calcsize(entry)
            for at in range(offset, offset + size, step):
                tag, value = struct.unpack_from(entry, data, at)
                if tag == 0:  # DT_NULL
                    break
                if tag == 1:  # DT_NEEDED
                    names.append(strtab[value:strtab.index(b"\0", value)].decode("ascii", "replace"))
        return names
    except (OSError, struct.error, IndexError, ValueError):
        return []


def library_present(soname: str, local_dirs: Sequence[Path] = ()) -> str | None:
    """Look ``soname`` up as the dynamic loader would: None when it is in one of
    ``local_dirs`` (Qt's own libraries, the bundle) or loads from the system search
    path; else the name of the library that could not be found (``soname`` or one it
    needs in turn)."""
    if any((d / soname).exists() for d in local_dirs):
        return None
    try:
        ctypes.CDLL(soname)
    except OSError as exc:
        found = _MISSING.search(str(exc))
        return found.group(1) if found else soname
    return None


def display_problem(environ: Mapping[str, str] | None = None, *,
                    lookup: Callable[[str, Sequence[Path]], str | None] | None = None,
                    files: Iterable[Path] | None = None) -> DisplayProblem | None:
    """Why Qt could not open a window here, or None (it can, or this is not an xcb
    run). ``lookup`` defaults to :func:`library_present`, ``files`` to
    :func:`xcb_plugin_files`."""
    environ = os.environ if environ is None else environ
    if not uses_xcb(environ):
        return None
    if not environ.get("DISPLAY"):
        return DisplayProblem()
    lookup = lookup or library_present
    plugin_files = list(xcb_plugin_files() if files is None else files)
    local = list(dict.fromkeys(p.parent for p in plugin_files))
    local += [p.parents[2] / "lib" for p in plugin_files[:1]]  # the plugin's RUNPATH: $ORIGIN/../../lib
    if getattr(sys, "frozen", False):
        local.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)))
    missing: list[str] = []
    for path in plugin_files:
        for soname in needed_libraries(path):
            gone = lookup(soname, local)
            if gone and gone not in missing:
                missing.append(gone)
    return DisplayProblem(tuple(missing)) if missing else None
