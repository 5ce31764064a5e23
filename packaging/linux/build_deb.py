"""Wrap the PyInstaller bundle into a Debian package with dpkg-deb (no other tools).

    python packaging/linux/build_deb.py [--bundle dist/tradedesk] [--icons build/icons] [--out dist]

(``python packaging/build.py --deb`` builds the bundle and then calls this.) Layout:

    /opt/tradedesk/                       the bundle (tradedesk + _internal/)
    /usr/bin/tradedesk                    -> /opt/tradedesk/tradedesk
    /usr/share/applications/<APP_ID>.desktop
    /usr/share/icons/hicolor/<N>x<N>/apps/<APP_ID>.png, .../scalable/apps/<APP_ID>.svg
    /usr/share/metainfo/<APP_ID>.metainfo.xml   (with a <releases> entry for this version)
    /usr/share/doc/tradedesk/copyright

The control file's glibc floor, ``libc6 (>= X)``, is the newest ``GLIBC_X`` symbol version any
ELF file in the bundle asks for (it follows the machine the bundle was built on).
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
APP_ID = "io.github.tradedesk.Tradedesk"
PACKAGE = "tradedesk"
INSTALL_DIR = f"/opt/{PACKAGE}"
MAINTAINER = "Tradedesk contributors <maintainers@tradedesk.invalid>"
# Libraries the bundle takes from the system (PyInstaller leaves out the GL stack and glibc;
# the spec leaves out the C++ runtime and libexpat), plus the X11/xcb libraries Qt's xcb
# platform plugin needs. PyInstaller also copies most xcb libraries into the bundle; declaring
# them keeps the package right if a future PyInstaller stops doing so.
DEPENDS = [
    "libstdc++6 (>= 12)", "libgcc-s1", "libexpat1",
    "libgl1", "libegl1", "libopengl0", "libglx0", "libdrm2",
    "libfontconfig1", "libfreetype6", "libdbus-1-3", "libglib2.0-0",
    "libx11-6", "libx11-xcb1", "libxcb1", "libxkbcommon0", "libxkbcommon-x11-0",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
    "libxcb-render-util0", "libxcb-shape0", "libxcb-shm0", "libxcb-sync1", "libxcb-xfixes0",
    "libxcb-xkb1",
]
RECOMMENDS = ["hicolor-icon-theme", "fonts-dejavu-core | fonts-liberation2"]
GLIBC_REF = re.compile(rb"GLIBC_(2\.[0-9]+)\x00")
SHARED_LIBRARY = re.compile(r"\.so(\.[0-9.]+)?$")


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def debian_version(version: str) -> str:
    """PEP 440 to Debian ordering: pre-releases and dev releases sort before the release."""
    version = version.replace("+", "+local.")
    version = re.sub(r"\.?(dev|a|b|rc)(\d*)", r"~\1\2", version)
    return version


def debian_arch() -> str:
    if shutil.which("dpkg"):
        return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(platform.machine(), platform.machine())


def glibc_floor(bundle: Path) -> str:
    """The newest GLIBC_2.x symbol version referenced by any ELF file under ``bundle``."""
    newest = (2, 17)
    for dirpath, _dirs, files in os.walk(bundle):
        for name in files:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            with path.open("rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
                data = fh.read()
            for ref in GLIBC_REF.findall(data):
                newest = max(newest, tuple(int(p) for p in ref.decode().split(".")))
    return ".".join(map(str, newest))


def installed_size_kib(root: Path) -> int:
    total = 0
    for dirpath, dirs, files in os.walk(root):
        if Path(dirpath) == root / "DEBIAN":
            dirs[:] = []
            continue
        total += 1 + len(dirs)  # a block per directory entry, roughly as dpkg-gencontrol does
        for name in files:
            path = Path(dirpath, name)
            total += 1 if path.is_symlink() else (path.stat().st_size + 1023) // 1024
    return total


def metainfo_with_release(text: str, version: str, date: str) -> str:
    """``text`` (metainfo XML) with a <releases> entry for ``version``, unless it has one."""
    import xml.etree.ElementTree as ET

    if ET.fromstring(text.encode("utf-8")).find("releases") is not None:
        return text
    release = f'  <releases>\n    <release version="{version}" date="{date}"/>\n  </releases>\n'
    return text.replace("</component>", release + "</component>")


def _normalise_modes(root: Path) -> None:
    """Directories 0755, programs 0755, other files (shared libraries too) 0644, whatever the
    umask was."""
    for dirpath, dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in files:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            program = path.stat().st_mode & 0o111 and not SHARED_LIBRARY.search(name)
            os.chmod(path, 0o755 if program else 0o644)


def stage(bundle: Path, icons: Path, root: Path, *, version: str, arch: str) -> None:
    """Lay out the package tree under ``root`` (removed first if present)."""
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"no bundle at {bundle} (run python packaging/build.py first)")
    if not (icons / "hicolor").is_dir():
        raise SystemExit(f"no icons at {icons} (run python packaging/icons.py --out {icons})")
    if root.exists():
        shutil.rmtree(root)
    opt = root / INSTALL_DIR.lstrip("/")
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    os.symlink(f"{INSTALL_DIR}/{PACKAGE}", root / "usr/bin" / PACKAGE)
    share = root / "usr/share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(HERE / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    shutil.copytree(icons / "hicolor", share / "icons" / "hicolor")
    (share / "metainfo").mkdir(parents=True)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date() if epoch else dt.date.today()
    meta = (HERE / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(
        metainfo_with_release(meta, version, day.isoformat()), encoding="utf-8"
    )
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    notice = (ROOT / "resources" / "NOTICE").read_text(encoding="utf-8")
    doc.joinpath("copyright").write_text(
        "Tradedesk: MIT licence, Tradedesk contributors.\n\n"
        "Bundled components keep their own licences (Qt/PySide6: LGPLv3; Python: PSF; numpy,\n"
        "pyqtgraph, pydantic, httpx, websockets, qasync: BSD/MIT-style); see the\n"
        f"*.dist-info folders under {INSTALL_DIR}/_internal.\n\n"
        f"Market data ({INSTALL_DIR}/_internal/resources/stocks.csv.gz):\n\n{notice}",
        encoding="utf-8",
    )

    control = root / "DEBIAN"
    control.mkdir()
    summary = "trading desktop: every brokerage account, live charts and orders"
    fields = {
        "Package": PACKAGE,
        "Version": debian_version(version),
        "Architecture": arch,
        "Maintainer": MAINTAINER,
        "Installed-Size": "0",
        "Depends": ", ".join([f"libc6 (>= {glibc_floor(opt)})", *DEPENDS]),
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "misc",
        "Priority": "optional",
        "Description": f"{summary}\n"
        " Tradedesk is a trading desktop: every brokerage account in one window, live\n"
        " candle charts, order entry and blotters. It starts on an embedded paper broker\n"
        " that replays real daily prices, so it needs no account to try.\n"
        " .\n"
        " This package holds a self-contained build (Python, Qt and the libraries it\n"
        f" uses) in {INSTALL_DIR}.",
    }
    for name in ("postinst", "postrm"):
        shutil.copyfile(HERE / "debian" / name, control / name)
    _normalise_modes(root)
    for name in ("postinst", "postrm"):
        os.chmod(control / name, 0o755)
    fields["Installed-Size"] = str(installed_size_kib(root))
    (control / "control").write_text("".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8")
    os.chmod(control / "control", 0o644)


def build(bundle: Path, icons: Path, out: Path, *, version: str | None = None,
          compression: str = "xz", arch: str | None = None) -> Path:
    """Stage and build the package; returns the .deb path."""
    if not shutil.which("dpkg-deb"):
        raise SystemExit("dpkg-deb not found: build the .deb on Debian or Ubuntu (apt-get install dpkg)")
    version = version or project()["version"]
    arch = arch or debian_arch()
    out.mkdir(parents=True, exist_ok=True)
    root = out / f".deb-root-{PACKAGE}"
    stage(bundle.resolve(), icons.resolve(), root, version=version, arch=arch)
    deb = out / f"{PACKAGE}_{debian_version(version)}_{arch}.deb"
    try:
        subprocess.run(["dpkg-deb", "--build", "--root-owner-group", f"-Z{compression}", str(root), str(deb)],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Tradedesk .deb from the PyInstaller bundle.")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / PACKAGE)
    parser.add_argument("--icons", type=Path, default=ROOT / "build" / "icons")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--compression", choices=("xz", "zstd", "gzip", "none"), default="xz")
    args = parser.parse_args(argv)
    deb = build(args.bundle, args.icons, args.out, compression=args.compression)
    print(f"deb: {deb} ({deb.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
