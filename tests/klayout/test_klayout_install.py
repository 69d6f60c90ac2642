"""adk klayout install|uninstall into temporary folders, without the KLayout application;
the grain made from an installed (non-editable) copy of adk."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from email.message import Message
from pathlib import Path

import pytest

from adk.cli import main
from adk.errors import AdkError
from adk.kit.decks import shipped_decks
from adk.klayout.grain import FRONT_PAGE, grain_info, grain_xml
from adk.klayout.install import MANIFEST, Probe, check_probe, install, uninstall

ROOT = Path(__file__).resolve().parents[2]
# the elements lay::SaltGrain reads from grain.xml (KLayout's laySaltGrain.cc)
GRAIN_ELEMENTS = {
    "name", "token", "hidden", "version", "api-version", "title", "doc", "doc-url", "url",
    "license", "author", "author-contact", "authored-time", "installed-time", "icon",
    "screenshot", "depends",
}  # fmt: skip


def snapshot(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_install_writes_a_grain_and_uninstall_removes_exactly_it(tmp_path):
    home = tmp_path / "home"
    (home / "salt" / "other").mkdir(parents=True)
    (home / "klayoutrc").write_text("<config/>", encoding="utf-8")
    before = snapshot(home)
    installed = install(home, None)
    grain = home / "salt" / "adk"
    assert installed.grain == grain and installed.warnings
    for path in (
        "grain.xml",
        "macros/adk_menu.lym",
        "python/adk/klayout/menu.py",
        "python/adk/grammar/adk.lark",
        "python/rules/focos_bridge.adk",
        "python/lark/__init__.py",
        "python/yaml/__init__.py",
        "python/rtree/__init__.py",
        "docs/index.html",
        "docs/rules/focos_bridge.html",
    ):
        assert (grain / path).is_file(), path
    assert not (grain / "python" / "adk" / "rules").exists()  # the decks are in python/rules
    assert not list(grain.rglob("__pycache__"))
    manifest = json.loads((grain / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {
        str(p.relative_to(home)) for p in grain.rglob("*") if p.is_file() and p.name != MANIFEST
    }
    assert "salt" not in manifest["folders"] and "salt/adk" in manifest["folders"]
    (grain / "python" / "adk" / "__pycache__").mkdir()  # as KLayout's Python leaves it
    (grain / "python" / "adk" / "__pycache__" / "x.pyc").write_bytes(b"")
    uninstall(home)
    assert snapshot(home) == before


def test_install_again_replaces_the_grain_and_a_foreign_grain_is_kept(tmp_path):
    install(tmp_path, None)
    (tmp_path / "salt" / "adk" / "macros" / "adk_menu.lym").unlink()
    install(tmp_path, None)
    assert (tmp_path / "salt" / "adk" / "macros" / "adk_menu.lym").is_file()
    uninstall(tmp_path)
    assert snapshot(tmp_path) == []
    (tmp_path / "salt" / "adk").mkdir(parents=True)
    with pytest.raises(AdkError, match="not installed by adk"):
        install(tmp_path, None)
    with pytest.raises(AdkError, match="adk is not installed there"):
        uninstall(tmp_path)


def test_klayout_python_without_numpy_or_too_old_is_refused():
    check_probe(Probe("KLayout 0.28.5", "3.11.2", {"numpy": "1.24.2", "scipy": "1.10.1"}))
    with pytest.raises(AdkError, match=r"lacks scipy>=1\.10: .*apt-get install python3-scipy"):
        check_probe(Probe("KLayout 0.28.5", "3.11.2", {"numpy": "1.24.2", "scipy": None}))
    with pytest.raises(AdkError, match=r"lacks numpy>=1\.24"):
        check_probe(Probe("KLayout 0.28.5", "3.11.2", {"numpy": "1.21.5", "scipy": "1.10.1"}))
    with pytest.raises(AdkError, match=r"embeds Python 3\.8\.10; adk needs Python 3\.10"):
        check_probe(Probe("KLayout 0.27.8", "3.8.10", {"numpy": "1.24.2", "scipy": "1.10.1"}))


def test_commands(tmp_path, capsys):
    assert main(["klayout", "install", "--dir", str(tmp_path), "--klayout", "no-such-klayout"]) == 2
    assert "no-such-klayout: no such KLayout executable" in capsys.readouterr().err
    assert main(["klayout", "uninstall", "--dir", str(tmp_path)]) == 2
    install(tmp_path, None)
    assert main(["klayout", "uninstall", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("removed ")
    assert snapshot(tmp_path) == []


def test_grain_xml_has_what_klayouts_package_manager_reads(tmp_path):
    install(tmp_path, None)
    grain = tmp_path / "salt" / "adk"
    root = ET.parse(grain / "grain.xml").getroot()
    assert root.tag == "salt-grain"
    assert {child.tag for child in root} <= GRAIN_ELEMENTS
    text = {child.tag: (child.text or "") for child in root}
    assert text["name"] == "adk" and text["hidden"] == "false"
    assert re.fullmatch(r"\d+(\.\d+)*", text["version"])  # SaltGrain::valid_version
    assert text["api-version"] == "0.28; python 3.10"  # KLayout's API, then "feature version"
    assert text["title"].startswith("ADK") and "\n" not in text["doc"]
    assert "numpy and scipy" in text["doc"]
    assert text["license"] == "Apache-2.0" and text["author"]
    assert not root.findall("depends")  # it needs no other package
    # relative: KLayout opens the file in the grain
    front = (grain / text["doc-url"]).read_text(encoding="utf-8")
    for name in shipped_decks():
        assert f'<a href="rules/{name}.html">{name}</a>' in front
        assert "<table>" in (grain / "docs" / "rules" / f"{name}.html").read_text(encoding="utf-8")


def copy_source_tree(target: Path) -> None:
    """What a wheel is built from: the project file, the readme and the shipped folders (a
    copy, so that the build leaves nothing in the clone)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    for name in ("adk", "grammar", "rules", "klayout_macros"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))


def test_the_grain_made_from_an_installed_copy_has_the_rule_manuals(tmp_path):
    """A wheel of the source tree, unpacked as pip installs it, makes a complete grain: the
    manuals are made from the decks, which the wheel ships, not taken from docs/rules/."""
    source = tmp_path / "source"
    copy_source_tree(source)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode and re.search(
        r"No matching distribution|Could not find a version", built.stderr
    ):
        pytest.skip("pip cannot fetch the build requirements (setuptools) here")
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("adk-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "adk/rules/focos_bridge.adk" in names and "adk/klayout_macros/adk_menu.lym" in names

    script = """
import json, sys
from pathlib import Path
import adk
from adk.klayout import plugin
from adk.klayout.install import install
title, manual = plugin.rule_manual("focos_bridge")
install(Path(sys.argv[1]), None)
print(json.dumps({"adk": adk.__file__, "title": title, "manual": manual}))
"""
    home = tmp_path / "home"
    ran = subprocess.run(
        [sys.executable, "-c", script, str(home)],
        env=dict(os.environ, PYTHONPATH=str(site)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    found = json.loads(ran.stdout)
    assert Path(found["adk"]).is_relative_to(site)  # the installed copy, not the clone
    assert found["title"] == "FOCoS-Bridge assembly rules (focos_bridge 1.0)"
    assert found["manual"].startswith("# FOCoS-Bridge assembly rules\n")
    assert "| PKG.D2D.GAP |" in found["manual"]
    grain = home / "salt" / "adk"
    page = (grain / "docs" / "rules" / "focos_bridge.html").read_text(encoding="utf-8")
    assert "<td>PKG.D2D.GAP</td>" in page
    assert (grain / "python" / "rules" / "focos_bridge.adk").is_file()
    assert not (grain / "python" / "adk" / "rules").exists()


def test_grain_takes_author_and_links_from_the_package_metadata(monkeypatch):
    meta = Message()
    meta["Author-email"] = '"Jane Roe" <jane@example.org>'
    meta["License-Expression"] = "Apache-2.0"
    meta["Project-URL"] = "Homepage, https://example.org/adk"
    meta["Project-URL"] = "Documentation, https://example.org/adk/docs?a=1&b=2"
    monkeypatch.setattr("adk.klayout.grain._metadata", lambda: meta)
    info = grain_info("3.10", datetime(2024, 5, 6, 7, 8, 9, 123))
    assert (info.author, info.author_contact) == ("Jane Roe", "jane@example.org")
    assert info.url == "https://example.org/adk"
    assert info.doc_url == "https://example.org/adk/docs?a=1&b=2"
    assert info.installed_time == "2024-05-06T07:08:09"
    root = ET.fromstring(grain_xml(info))
    assert root.findtext("doc-url") == info.doc_url  # escaped in the file, read back as it was
    monkeypatch.setattr("adk.klayout.grain._metadata", Message)  # none declared: its own page
    bare = grain_info("")
    assert (bare.doc_url, bare.url, bare.api_version) == (FRONT_PAGE, "", "0.28")
