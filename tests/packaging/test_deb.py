"""The .deb: control fields, file layout, icons, and the installed app's smoke test."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from packaging_support import APP_ID, load_packaging_module, project_version, run_smoke, smoke_env

pytestmark = pytest.mark.slow

build_deb = load_packaging_module("packaging/linux/build_deb.py", "tradedesk_build_deb")
icons = load_packaging_module("packaging/icons.py", "tradedesk_packaging_icons")


def control(deb: Path) -> dict[str, str]:
    text = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True).stdout
    fields, key = {}, None
    for line in text.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def depends(fields: dict[str, str]) -> dict[str, str]:
    """Depends as {package: version constraint}; alternatives are split into separate keys."""
    out = {}
    for item in fields["Depends"].split(","):
        for alt in item.split("|"):
            name, _, constraint = alt.strip().partition(" ")
            out[name] = constraint
    return out


def test_control_file(deb: Path):
    fields = control(deb)
    assert fields["Package"] == "tradedesk"
    assert fields["Version"] == build_deb.debian_version(project_version())
    assert fields["Architecture"] == build_deb.debian_arch()
    assert int(fields["Installed-Size"]) > 100_000  # KiB
    assert len(fields["Description"].splitlines()[0]) < 80
    deps = depends(fields)
    floor = re.fullmatch(r"\(>= 2\.(\d+)\)", deps["libc6"])
    assert floor and int(floor.group(1)) >= 34, deps["libc6"]  # PySide6 wheels are manylinux_2_34
    for lib in ("libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libxcb-cursor0",
                "libegl1", "libgl1", "libfontconfig1", "libdbus-1-3"):
        assert lib in deps, lib
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"\*\s+postinst", info) and re.search(r"\*\s+postrm", info), info  # executable


def test_layout_and_icons(deb_root: Path, qapp):
    from PySide6.QtGui import QImage

    assert os.readlink(deb_root / "usr/bin/tradedesk") == "/opt/tradedesk/tradedesk"
    assert os.access(deb_root / "opt/tradedesk/tradedesk", os.X_OK)
    assert (deb_root / f"usr/share/applications/{APP_ID}.desktop").is_file()
    assert (deb_root / "usr/share/doc/tradedesk/copyright").is_file()
    hicolor = deb_root / "usr/share/icons/hicolor"
    for size in icons.HICOLOR_SIZES:
        image = QImage(str(hicolor / f"{size}x{size}/apps/{APP_ID}.png"))
        assert not image.isNull() and (image.width(), image.height()) == (size, size), size
    assert (hicolor / f"scalable/apps/{APP_ID}.svg").is_file()
    import xml.etree.ElementTree as ET

    meta = ET.parse(deb_root / f"usr/share/metainfo/{APP_ID}.metainfo.xml").getroot()
    assert meta.find("releases/release").get("version") == project_version()


def test_maintainer_scripts_are_valid_sh(deb: Path, tmp_path):
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "DEBIAN")], check=True)
    for name in ("postinst", "postrm"):
        subprocess.run(["sh", "-n", str(tmp_path / "DEBIAN" / name)], check=True)


def test_installed_app_passes_the_smoke_test(deb_root: Path, tmp_path):
    report = run_smoke([str(deb_root / "opt/tradedesk/tradedesk")], smoke_env(tmp_path / "home"))
    print(f"\ninstalled (.deb) smoke test: {json.dumps(report)}")


def _system_package(path: str) -> str | None:
    """The Debian package owning a library path (tries the /usr-merged aliases too)."""
    real = os.path.realpath(path)
    candidates = {path, real}
    for p in list(candidates):
        candidates.add(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for candidate in candidates:
        proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":")[0].strip()
    return None


def test_depends_cover_the_libraries_taken_from_the_system(deb: Path, deb_root: Path):
    """Every shared library the installed files load from outside the bundle belongs to a
    package named in Depends (directly, or libglvnd0 through libgl1/libegl1)."""
    if not shutil.which("ldd"):
        pytest.skip("ldd not available")
    opt = deb_root / "opt/tradedesk"
    elves = [p for p in opt.rglob("*") if p.is_file() and not p.is_symlink() and p.read_bytes()[:4] == b"\x7fELF"]
    env = {**os.environ, "LD_LIBRARY_PATH": f"{opt / '_internal'}:{opt / '_internal/PySide6/Qt/lib'}"}
    outside, missing = set(), set()
    for elf in elves:
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            if "=> not found" in line:
                missing.add(f"{elf.relative_to(opt)}: {line.split()[0]}")
            elif "=>" in line and not line.split("=>")[1].strip().startswith(str(opt)):
                target = line.split("=>")[1].split("(")[0].strip()
                if target:
                    outside.add(target)
    assert not missing, sorted(missing)
    declared = set(depends(control(deb))) | {"libglvnd0"}
    owners = {lib: _system_package(lib) for lib in sorted(outside)}
    undeclared = {lib: pkg for lib, pkg in owners.items() if pkg is None or pkg.split(":")[0] not in declared}
    assert not undeclared, undeclared
