"""adk klayout install|uninstall into temporary folders, without the KLayout application."""

from __future__ import annotations

import json

import pytest

from adk.cli import main
from adk.errors import AdkError
from adk.klayout.install import MANIFEST, Probe, check_probe, install, uninstall


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
    ):
        assert (grain / path).is_file(), path
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
