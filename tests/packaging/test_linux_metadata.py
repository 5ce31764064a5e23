"""Desktop entry, AppStream metainfo and icons (rendered from resources/icon.svg): fast checks,
no bundle needed."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from packaging_support import APP_ID, ROOT, load_packaging_module, missing_tool, project_version, tool_or_install

LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"

icons = load_packaging_module("packaging/icons.py", "tradedesk_packaging_icons")
build_deb = load_packaging_module("packaging/linux/build_deb.py", "tradedesk_build_deb")


def desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_file_passes_desktop_file_validate():
    validate = tool_or_install("desktop-file-validate", "desktop-file-utils")
    if not validate:
        missing_tool("desktop-file-validate (Debian package desktop-file-utils)")
    proc = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and "error" not in proc.stdout, proc.stdout + proc.stderr


def test_desktop_entry_launches_the_installed_command_with_the_app_icon():
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "Tradedesk"
    assert entry["Exec"].split()[0] == "tradedesk"  # /usr/bin/tradedesk from the .deb
    assert entry["Icon"] == APP_ID  # the name of the hicolor icons the .deb installs
    assert entry["StartupWMClass"] == "Tradedesk"  # Qt's WM_CLASS class: the application name
    assert "Finance" in entry["Categories"].split(";")


def _metainfo(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_metainfo_is_well_formed_and_references_the_desktop_id():
    root = _metainfo(METAINFO.read_text(encoding="utf-8"))
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    launchable = root.find("launchable")
    assert launchable.get("type") == "desktop-id" and launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == desktop_entry()["Exec"].split()[0]
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("name") and root.findtext("summary") and root.find("description/p") is not None
    assert root.find("releases") is None, "the release version is added from pyproject.toml by build_deb.py"


def test_metainfo_with_release_validates_with_appstreamcli(tmp_path):
    text = build_deb.metainfo_with_release(METAINFO.read_text(encoding="utf-8"), project_version(), "2024-01-02")
    release = _metainfo(text).find("releases/release")
    assert release.get("version") == project_version() and release.get("date") == "2024-01-02"
    appstreamcli = shutil.which("appstreamcli")
    if not appstreamcli:
        pytest.skip("appstreamcli not installed (Debian package appstream); structure checked above")
    path = tmp_path / METAINFO.name
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([appstreamcli, "validate", "--no-net", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("pep440", "debian"),
    [("0.1.0", "0.1.0"), ("1.2.0rc1", "1.2.0~rc1"), ("1.2.0.dev3", "1.2.0~dev3"), ("2.0.0b2", "2.0.0~b2")],
)
def test_debian_version(pep440, debian):
    assert build_deb.debian_version(pep440) == debian


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, qapp) -> Path:
    out = tmp_path_factory.mktemp("icons")
    icons.write_all(ROOT / "resources" / "icon.svg", out)
    return out


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_hicolor_icons_in_every_size(rendered: Path):
    from PySide6.QtGui import QImage

    assert icons.HICOLOR_SIZES == (16, 24, 32, 48, 64, 128, 256, 512)
    for size in icons.HICOLOR_SIZES:
        path = rendered / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size), path
        assert image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0, "corners are transparent (rounded square)"
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
    assert (rendered / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        ROOT / "resources" / "icon.svg"
    ).read_bytes()


def test_windows_ico_holds_every_size(rendered: Path):
    data = (rendered / "tradedesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(icons.ICO_SIZES))
    sizes = []
    for i in range(count):
        w, h, _colors, _res, planes, bpp, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i : 22 + 16 * i])
        size = w or 256
        assert (w, planes, bpp) == (h, 1, 32)
        assert _png_size(data[offset : offset + length]) == (size, size)
        sizes.append(size)
    assert tuple(sizes) == icons.ICO_SIZES


def test_macos_icns_holds_every_size(rendered: Path):
    data = (rendered / "tradedesk.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    pos, found = 8, {}
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found[kind] = _png_size(data[pos + 8 : pos + length])
        pos += length
    assert pos == len(data)
    assert found == {kind: (size, size) for kind, size in icons.ICNS_TYPES}
