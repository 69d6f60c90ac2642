"""The public API: the example of docs/api.md runs as written, and the deck language loads
without KLayout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import adk
from adk.examples.writer import write_example

ROOT = Path(__file__).resolve().parents[1]


def api_example() -> str:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_the_documented_example_runs_and_writes_the_markers(tmp_path, monkeypatch, capsys):
    write_example("focos_bridge", str(tmp_path / "package.gds"), dirty=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(api_example(), "docs/api.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "BR.PL fail 1" in printed
    assert (tmp_path / "package.lyrdb").is_file()


def test_check_takes_a_deck_by_name_and_a_layout_read_already(tmp_path):
    path = str(tmp_path / "clean.oas")
    write_example("focos_bridge", path)
    result = adk.check(adk.read_layout(path), "focos_bridge", rules=["BR.PL"])
    assert [(o.rule.id, o.status) for o in result.outcomes] == [("BR.PL", "pass")]
    assert not result.violations()


def test_the_language_parses_and_validates_without_klayout_or_numpy():
    script = (
        "import sys\n"
        "import adk.lang\n"
        "from adk.lang.signature import MIN, CheckSpec, Prop\n"
        "from adk.lang.units import Dim\n"
        "width = CheckSpec('width', 'w', ('layer',), (Prop('width', Dim.LENGTH, MIN),))\n"
        "kinds = {'width': width}\n"
        "deck = adk.lang.load_text('layer M = 1/0\\nrule M.W : width(M) >= 2 um\\n', kinds)\n"
        "assert [r.id for r in deck.rules] == ['M.W']\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('klayout', 'numpy'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"
