"""``adk klayout install|uninstall``: adk as a KLayout package (a Salt grain).

The grain is ``KLAYOUT_HOME/salt/adk/``: ``grain.xml`` (:mod:`adk.klayout.grain`), the menu
macro in ``macros/``, its documentation in ``docs/`` (a front page and each shipped deck's
rule manual, made from the decks, so that any copy of adk has them), and in ``python/``,
which KLayout puts on its Python's ``sys.path``, a copy of the adk package (with its
grammar), the shipped decks and the dependencies that work in any CPython 3 of this platform
(lark and PyYAML are pure Python, rtree loads its library through ctypes). numpy and scipy
are compiled for one Python version, so KLayout's own Python must have them: the install
runs the application once to check. A manifest in the grain lists every file and folder the
install made, and uninstall removes exactly those.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from adk.errors import AdkError
from adk.klayout.grain import GRAIN, grain_info, grain_pages, grain_xml
from adk.resources import data_folder
from adk.version import __version__

MANIFEST = "adk-install-manifest.json"
VENDORED = ("lark", "pyyaml", "rtree")
FROM_KLAYOUT_PYTHON = ("numpy", "scipy")
PROBE_SECONDS = 120
# the package's data folders, which the grain holds elsewhere (the decks in python/rules) or
# adds from where they are (the grammar, also in a clone)
DATA_FOLDERS = ("grammar", "rules", "klayout_macros")

_PROBE = """\
import json, sys
import pya
modules = {}
for name in NAMES:
    try:
        modules[name] = __import__(name).__version__
    except Exception:
        modules[name] = None
with open(out, "w") as handle:
    json.dump({"klayout": pya.Application.instance().version(), "python": sys.version.split()[0],
               "modules": modules}, handle)
"""


@dataclass
class Probe:
    """What the KLayout application's embedded Python offers."""

    klayout: str
    python: str
    modules: dict[str, str | None]


@dataclass
class Installed:
    grain: Path
    files: list[str]
    probe: Probe | None
    warnings: list[str] = field(default_factory=list)


def default_home() -> Path:
    """KLayout's home folder: ``$KLAYOUT_HOME``, else ``~/.klayout``."""
    return Path(os.environ.get("KLAYOUT_HOME") or "~/.klayout").expanduser()


def grain_files() -> dict[str, Path]:
    """Every file the grain copies: its path in the grain -> source. Taken from the adk that
    runs, a clone or an installed copy alike."""
    import adk

    package = Path(adk.__file__).resolve().parent
    files = {f"macros/{p.name}": p for p in sorted(data_folder("klayout_macros").glob("*.lym"))}
    # beside the package, as in the clone, where adk.kit.decks finds them
    files.update({f"python/rules/{p.name}": p for p in sorted(data_folder("rules").glob("*.adk"))})
    files.update(_tree(package, "python/adk", skip=DATA_FOLDERS))
    files.update(_tree(data_folder("grammar"), "python/adk/grammar"))
    if not any(name.startswith("macros/") for name in files):
        raise AdkError(f"{data_folder('klayout_macros')}: no KLayout macros in the adk package")
    for name in VENDORED:
        files.update(_distribution_files(name))
    return files


def generated_files() -> dict[str, str]:
    """The files the grain writes: grain.xml and its documentation, path in the grain -> text."""
    from adk.kit.decks import shipped_decks

    info = grain_info(".".join(map(str, requirement("python"))))
    return {"grain.xml": grain_xml(info), **grain_pages(shipped_decks())}


def _tree(folder: Path, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    """The files under ``folder`` but bytecode and the top-level folders in ``skip``."""
    return {
        f"{prefix}/{path.relative_to(folder).as_posix()}": path
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and path.relative_to(folder).parts[0] not in skip
    }


def _distribution_files(name: str) -> dict[str, Path]:
    """The installed files of a distribution (its packages, bundled libraries, metadata)."""
    try:
        distribution = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise AdkError(f"{name} is not installed in this Python ({sys.executable})") from None
    files = {}
    for entry in distribution.files or ():
        if entry.parts[0] == ".." or "__pycache__" in entry.parts or entry.suffix == ".pyc":
            continue  # scripts outside site-packages; bytecode the target Python makes itself
        files[f"python/{entry.as_posix()}"] = Path(entry.locate())
    return files


# ---------------------------------------------------------------- the application's Python
def find_klayout(executable: str | None = None) -> str | None:
    """The KLayout application: ``executable`` if given, else ``klayout`` on PATH."""
    found = shutil.which(executable or "klayout")
    if executable and found is None:
        raise AdkError(f"{executable}: no such KLayout executable")
    return found


def probe(executable: str) -> Probe:
    """Run the application once in batch mode, with an empty home, and ask its Python."""
    with tempfile.TemporaryDirectory(prefix="adk-probe-") as folder:
        script, out = Path(folder, "probe.py"), Path(folder, "probe.json")
        script.write_text(f"NAMES = {FROM_KLAYOUT_PYTHON!r}\n{_PROBE}", encoding="utf-8")
        env = dict(os.environ, KLAYOUT_HOME=str(Path(folder, "home")))
        try:
            done = subprocess.run(
                [executable, "-b", "-r", str(script), "-rd", f"out={out}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=PROBE_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AdkError(f"{executable}: cannot run KLayout: {exc}") from None
        if not out.is_file():
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise AdkError(
                f"{executable}: KLayout's Python did not answer"
                + (f": {reason[-1]}" if reason else "")
            )
        answer = json.loads(out.read_text(encoding="utf-8"))
    return Probe(answer["klayout"], answer["python"], answer["modules"])


def requirement(name: str) -> tuple[int, ...]:
    """The lowest version of ``name`` adk declares (``python`` for Requires-Python)."""
    if name == "python":
        declared = metadata.metadata("adk")["Requires-Python"] or ""
    else:
        declared = next(
            (
                r
                for r in metadata.requires("adk") or ()
                if re.match(rf"{re.escape(name)}\b", r, re.I)
            ),
            "",
        )
    match = re.search(r">=\s*([0-9.]+)", declared)
    return version_tuple(match.group(1)) if match else ()


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def check_probe(found: Probe) -> None:
    """Fail when KLayout's Python is too old or lacks numpy or scipy (at adk's versions)."""
    if version_tuple(found.python) < requirement("python"):
        raise AdkError(
            f"KLayout {found.klayout} embeds Python {found.python}; adk needs "
            f"Python {'.'.join(map(str, requirement('python')))} or newer"
        )
    lacking = [
        f"{name}>={'.'.join(map(str, requirement(name)))}"
        for name in FROM_KLAYOUT_PYTHON
        if _too_old(found.modules.get(name), requirement(name))
    ]
    if lacking:
        raise AdkError(
            f"KLayout's Python {found.python} lacks {', '.join(lacking)}: install "
            "them for that Python (Debian: apt-get install "
            + " ".join(f"python3-{n.split('>')[0]}" for n in lacking)
            + ")"
        )


def _too_old(version: str | None, required: tuple[int, ...]) -> bool:
    """Whether a module's version (None: the module is missing) is below ``required``."""
    return version is None or version_tuple(version) < required


# ---------------------------------------------------------------- install and uninstall
def install(home: Path, klayout: str | None) -> Installed:
    """Install the grain into ``home`` (replacing an earlier install of it). ``klayout``: the
    application whose Python to check first, or None to skip the check."""
    found = probe(klayout) if klayout else None
    if found:
        check_probe(found)
    files, generated = grain_files(), generated_files()
    grain = home / "salt" / GRAIN
    if grain.exists():
        if not (grain / MANIFEST).is_file():
            raise AdkError(f"{grain}: exists and was not installed by adk; remove it first")
        uninstall(home)
    created = [
        str(folder.relative_to(home))
        for folder in _missing_folders(home, grain, [*files, *generated])
    ]
    for relative, source in files.items():
        (grain / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, grain / relative)
    for relative, text in generated.items():
        (grain / relative).parent.mkdir(parents=True, exist_ok=True)
        (grain / relative).write_text(text, encoding="utf-8")
    written = [*files, *generated]
    manifest = {
        "adk": __version__,
        "folders": created,
        "files": [str((grain / f).relative_to(home)) for f in written],
    }
    (grain / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    warnings = (
        []
        if found
        else [
            "KLayout was not found (or not checked): its Python must "
            "have " + " and ".join(FROM_KLAYOUT_PYTHON)
        ]
    )
    return Installed(grain, written, found, warnings)


def _missing_folders(home: Path, grain: Path, files: list[str]) -> list[Path]:
    """The folders the install will create: not there yet, parents first."""
    wanted = {home, home / "salt", grain} | {(grain / f).parent for f in files}
    expanded: set[Path] = set()
    for folder in wanted:
        expanded.update(p for p in [folder, *folder.parents] if p == home or home in p.parents)
    return sorted((f for f in expanded if not f.exists()), key=lambda f: len(f.parts))


def uninstall(home: Path) -> list[str]:
    """Remove what the install listed in its manifest; return the paths removed."""
    manifest_path = home / "salt" / GRAIN / MANIFEST
    if not manifest_path.is_file():
        raise AdkError(f"{home}: adk is not installed there (no {manifest_path})")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    removed = []
    for relative in manifest["files"]:
        path = home / relative
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(relative)
    manifest_path.unlink()
    for relative in sorted(manifest["folders"], key=lambda f: -len(Path(f).parts)):
        folder = home / relative
        # bytecode that KLayout's Python wrote beside the installed modules goes with them
        shutil.rmtree(folder / "__pycache__", ignore_errors=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            removed.append(relative)
    return removed
