"""Build the Tradedesk bundle (and, on Linux, the .deb) with one command.

    python packaging/build.py [--deb] [--venv .venv] [--dist dist] [--work build/pyinstaller]

Steps, each reported with its time:

1. the virtual environment (default: the project's ``.venv``): created if missing; ``pip
   install -e .[packaging]`` runs only when a requirement of pyproject.toml (dependencies and
   the packaging extra) is missing or unsatisfied there, or the installed tradedesk version
   differs from pyproject.toml. Otherwise nothing is downloaded: the build is offline;
2. icons rendered from resources/icon.svg into ``<work>/../icons`` (packaging/icons.py);
3. PyInstaller with packaging/tradedesk.spec: one-folder, windowed bundle in
   ``<dist>/tradedesk`` (plus ``<dist>/Tradedesk.app`` on macOS);
4. with ``--deb`` (Linux): ``<dist>/tradedesk_<version>_<arch>.deb`` (packaging/linux/build_deb.py).

Prints the bundle size and build time, and writes them as JSON to ``<dist>/build-report.json``.
Runs with any Python 3.11+; the Qt and PyInstaller work happens in the venv's interpreter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "tradedesk.spec"


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def dir_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``, counting each file once and not following symlinks."""
    total = count = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            file = Path(dirpath, name)
            if not file.is_symlink():
                total += file.stat().st_size
                count += 1
    return total, count


def _run(cmd: list, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


# Run by the venv's interpreter: which of pyproject's requirements (dependencies and the
# packaging extra) are missing or unsatisfied there, and which tradedesk version is installed.
_PROBE = r"""
import importlib.metadata as md, json, sys, tomllib
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
wanted = project["dependencies"] + project["optional-dependencies"]["packaging"]
problems = []
for text in wanted:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate():
        continue
    try:
        have = md.version(req.name)
    except md.PackageNotFoundError:
        problems.append(f"{req.name} is missing")
        continue
    if not req.specifier.contains(have, prereleases=True):
        problems.append(f"{req.name} {have} does not satisfy {text}")
try:
    tradedesk = md.version("tradedesk")
except md.PackageNotFoundError:
    tradedesk = None
print(json.dumps({"problems": problems, "tradedesk": tradedesk}))
"""


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` (POSIX), so that two builds never pip-install into one venv."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv(venv: Path, *, reinstall: bool = False) -> Path:
    """The venv's python, with tradedesk (editable) and the packaging extra installed.

    pip runs only when something is missing or out of date (or with ``reinstall``), so a
    prepared venv builds offline.
    """
    with _locked(venv.parent / f".{venv.name}.lock"):
        return _ensure_venv(venv, reinstall=reinstall)


def _ensure_venv(venv: Path, *, reinstall: bool) -> Path:
    python = venv_python(venv)
    if not python.exists():
        _run([sys.executable, "-m", "venv", venv])
    probe = subprocess.run([str(python), "-c", _PROBE, str(ROOT / "pyproject.toml")],
                           check=True, capture_output=True, text=True, cwd=venv)
    found = json.loads(probe.stdout)
    reasons = list(found["problems"])
    if found["tradedesk"] != project_version():
        reasons.append(f"tradedesk {found['tradedesk']} is installed, pyproject.toml says {project_version()}")
    if reinstall:
        reasons.append("--reinstall")
    if reasons:
        print(f"installing -e .[packaging] into {venv}: {'; '.join(reasons)}", flush=True)
        _run([python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[packaging]"], cwd=ROOT)
    return python


def build_bundle(python: Path, dist: Path, work: Path, icons: Path) -> Path:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEDESK_ICONS_DIR": str(icons)}
    _run([python, ROOT / "packaging" / "icons.py", "--out", icons], env=env)
    _run([python, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
          "--distpath", dist, "--workpath", work, SPEC], env=env, cwd=ROOT)
    return dist / "tradedesk"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Tradedesk bundle (and .deb) with PyInstaller.")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="virtual environment to build from (default: .venv)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller work folder")
    parser.add_argument("--deb", action="store_true", help="also build the .deb (Linux, needs dpkg-deb)")
    parser.add_argument("--compression", choices=("xz", "zstd", "gzip", "none"), default="xz",
                        help=".deb compression (default: xz, smallest; zstd is 30x faster, 30%% larger)")
    parser.add_argument("--reinstall", action="store_true", help="pip install -e .[packaging] even if it looks up to date")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    icons = work.parent / "icons"
    report: dict = {"version": project_version(), "platform": sys.platform}

    started = time.perf_counter()
    python = ensure_venv(args.venv.resolve(), reinstall=args.reinstall)
    report["venv_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    bundle = build_bundle(python, dist, work, icons)
    report["bundle_build_s"] = round(time.perf_counter() - started, 1)
    size, files = dir_size(bundle)
    report.update(bundle=str(bundle), bundle_bytes=size, bundle_files=files)
    print(f"bundle: {bundle} ({size / 1e6:.1f} MB in {files} files), built in {report['bundle_build_s']} s", flush=True)

    if args.deb:
        sys.path.insert(0, str(ROOT / "packaging" / "linux"))
        import build_deb

        started = time.perf_counter()
        deb = build_deb.build(bundle, icons, dist, version=project_version(), compression=args.compression)
        report["deb_build_s"] = round(time.perf_counter() - started, 1)
        report.update(deb=str(deb), deb_bytes=deb.stat().st_size)
        print(f"deb: {deb} ({deb.stat().st_size / 1e6:.1f} MB), built in {report['deb_build_s']} s", flush=True)

    (dist / "build-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
