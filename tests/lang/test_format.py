"""``adk fmt``: canonical, idempotent, keeps every comment and never changes meaning."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.errors import DeckError
from adk.lang.formatter import format_text
from adk.lang.parser import find_comments

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
LANGUAGE_DOC = ROOT / "docs" / "language.md"


def meaning(text: str, path: str) -> object:
    """What a deck means: its header, layers, variables and rules (spans aside), or, for a
    snippet that does not validate on its own, its error messages."""
    try:
        deck = load_text(text, path)
    except DeckError as exc:
        return sorted(_without_positions(d.message) for d in exc.diagnostics)
    return (
        deck.name,
        deck.title,
        deck.version,
        deck.units,
        deck.layers,
        deck.variables,
        deck.rules,
    )


def _without_positions(message: str) -> str:
    return re.sub(r":\d+:\d+", "", message)


def comments(text: str) -> Counter:
    return Counter(comment.text for comment in find_comments(text))


def assert_round_trip(text: str, path: str = "deck.adk") -> str:
    formatted = format_text(text, path)
    assert format_text(formatted, path) == formatted, "formatting is not idempotent"
    assert comments(formatted) == comments(text), "a comment was lost or changed"
    assert meaning(formatted, path) == meaning(text, path), "formatting changed the meaning"
    return formatted


AWKWARD = {
    "spacing": """deck   demo"Demo deck"version"2.1"
units   µm
layer RDL1=10/0"RDL one"
layer   VIA1 =11/0
layer CORE=(RDL1 not grow(VIA1,1um))or RDL1
let ls=2um+500nm
let a=1mm*1mm
let d=400/mm2
let f=20%
rule R.1"width"warning:width(RDL1)>=ls
rule R.2:density( RDL1 ,window 1mm,step 500um ){density>=f;density<=80%}
rule R.3 : area(CORE){area>=a}
rule R.4 : keepout(RDL1,VIA1,zone CORE)
""",
    "comments everywhere": """# file header

# second paragraph of the header
deck demo # after the header
layer A = 1/0 # drawn
layer LONGER_NAME = 2/0 "described"   # aligned
# before a derived layer
layer X = A # inside an expression
   or LONGER_NAME # continued
let s = # before the value
    2 um
rule R "d" # before the colon
    : area( # inside the call
        A # after an argument
    ) { # after the brace
    # on its own line
    area >= 1 um2; # after a constraint
    area # between tokens
        <= 2 um2
    # before the closing brace 1
    # before the closing brace 2
} # after the closing brace
rule S "issue # 12" : width(A) >= s # after a string with a hash
# trailing comment

# last comment, after a blank line
""",
    "blank lines": """

layer A = 1/0


layer B = 2/0
layer C = 3/0
let x = 2



rule R : separation(A, B) >= x


""",
    "multi-line statements": """layer A = 1/0
layer B = 2/0
layer X = A
    and B
layer Y = 3/0 "after a multi-line layer"
rule R
  "multi-line rule"
  warning
  : enclosure(
      A,
      B
  )
  >= 1 um
rule S : bridge(A, dies B) { dies == 2 overlap >= 150 um; gap <= 100 um space >= 500 um }
rule T : count(A, within B) {
}
""",
    "parentheses and signs": """let a = -(2 um + -1 um) * (3 - 1)
let b = ((a))
let c = 1 / (1 um * 1 um)
layer A = 1/0
layer B = 2/0
layer X = (A or B) and (A xor B) not (A inside B) outside B
layer Y = A not_inside   shrink(B,1 um) or (A not_outside B) not_interacting X
rule Y.N : none(Y)
rule Y.C "shared"   warning   category Y.N : ongrid(Y, grid 5 nm)
""",
    "empty": "",
    "only comments": "# nothing\n   # but comments   \n",
}


@pytest.mark.parametrize("name", AWKWARD)
def test_round_trip_of_awkward_decks(name: str):
    assert_round_trip(AWKWARD[name])


def test_canonical_form():
    assert (
        format_text(AWKWARD["spacing"])
        == """deck demo "Demo deck" version "2.1"
units um
layer RDL1 = 10/0 "RDL one"
layer VIA1 = 11/0
layer CORE = (RDL1 not grow(VIA1, 1 um)) or RDL1
let ls = 2 um + 500 nm
let a = 1 mm * 1 mm
let d = 400 /mm2
let f = 20 %
rule R.1 "width" warning : width(RDL1) >= ls
rule R.2 : density(RDL1, window 1 mm, step 500 um) {
    density >= f
    density <= 80 %
}
rule R.3 : area(CORE) {
    area >= a
}
rule R.4 : keepout(RDL1, VIA1, zone CORE)
"""
    )


def test_comments_stay_where_they_belong():
    assert (
        format_text(AWKWARD["comments everywhere"])
        == """# file header

# second paragraph of the header
deck demo  # after the header
layer A           = 1/0  # drawn
layer LONGER_NAME = 2/0 "described"  # aligned
# before a derived layer
# inside an expression
layer X           = A or LONGER_NAME  # continued
let s = 2 um  # before the value
# before the colon
# inside the call
# after an argument
rule R "d" : area(A) {  # after the brace
    # on its own line
    area >= 1 um2  # after a constraint
    area <= 2 um2  # between tokens
    # before the closing brace 1
    # before the closing brace 2
}  # after the closing brace
rule S "issue # 12" : width(A) >= s  # after a string with a hash
# trailing comment

# last comment, after a blank line
"""
    )


def test_blank_lines_are_kept_single():
    assert (
        format_text(AWKWARD["blank lines"])
        == "layer A = 1/0\n\nlayer B = 2/0\nlayer C = 3/0\nlet x = 2\n\n"
        "rule R : separation(A, B) >= x\n"
    )


def test_layer_runs_are_aligned():
    text = (
        'layer A = 1/0 "a"\nlayer LONG = 10/20 "long"\nlayer D = A or LONG "derived"\n\n'
        'layer Z = 3/0 "another run"\n'
    )
    assert (
        format_text(text) == 'layer A    = 1/0   "a"\nlayer LONG = 10/20 "long"\n'
        'layer D    = A or LONG "derived"\n\nlayer Z = 3/0 "another run"\n'
    )


def test_formatting_needs_valid_syntax_only():
    assert (
        format_text("rule R : width(UNDEFINED) >= 1 um2") == "rule R : width(UNDEFINED) >= 1 um2\n"
    )
    with pytest.raises(DeckError) as caught:
        format_text("layer A = \n", "broken.adk")
    assert caught.value.diagnostics[0].file == "broken.adk"


# ---------------------------------------------------------------- command line
def test_cli_fmt_check(tmp_path: Path, capsys: pytest.CaptureFixture):
    formatted = tmp_path / "formatted.adk"
    formatted.write_text(format_text(AWKWARD["spacing"]), encoding="utf-8")
    messy = tmp_path / "messy.adk"
    messy.write_text(AWKWARD["spacing"], encoding="utf-8")
    assert main(["fmt", "--check", str(formatted)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["fmt", "--check", str(formatted), str(messy)]) == 1
    assert capsys.readouterr().out == f"{messy}: would be reformatted\n"
    assert messy.read_text(encoding="utf-8") == AWKWARD["spacing"]


def test_cli_fmt_rewrites(tmp_path: Path, capsys: pytest.CaptureFixture):
    messy = tmp_path / "messy.adk"
    messy.write_text(AWKWARD["comments everywhere"], encoding="utf-8")
    assert main(["fmt", str(messy)]) == 0
    assert capsys.readouterr().out == f"{messy}: formatted\n"
    assert messy.read_text(encoding="utf-8") == format_text(AWKWARD["comments everywhere"])
    assert [p.name for p in tmp_path.iterdir()] == ["messy.adk"]
    assert main(["fmt", str(messy)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_fmt_on_broken_and_missing_decks(tmp_path: Path, capsys: pytest.CaptureFixture):
    broken = tmp_path / "broken.adk"
    broken.write_text("layer A = 1/0 $\n", encoding="utf-8")
    assert main(["fmt", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"{broken}:1:15: error: unexpected character '$'")
    assert broken.read_text(encoding="utf-8") == "layer A = 1/0 $\n"
    assert main(["fmt", str(tmp_path / "none.adk")]) == 2
    assert "none.adk: error: cannot read deck" in capsys.readouterr().err


def test_cli_fmt_formats_the_other_decks_after_an_unreadable_one(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    messy = tmp_path / "messy.adk"
    messy.write_text(AWKWARD["comments everywhere"], encoding="utf-8")
    missing = tmp_path / "none.adk"
    assert main(["fmt", str(missing), str(messy)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"{missing}: error: cannot read deck: No such file or directory\n"
    assert captured.out == f"{messy}: formatted\n"
    assert messy.read_text(encoding="utf-8") == format_text(AWKWARD["comments everywhere"])


# ---------------------------------------------------------------- shipped decks and docs
def _rule_files() -> list[Path]:
    return sorted(RULES.glob("*.adk")) if RULES.is_dir() else []


def _doc_blocks() -> list[str]:
    if not LANGUAGE_DOC.is_file():
        return []
    text = LANGUAGE_DOC.read_text(encoding="utf-8")
    return re.findall(r"^```adk\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


@pytest.mark.skipif(not RULES.is_dir(), reason="rules/ is not written yet")
@pytest.mark.parametrize("path", _rule_files(), ids=lambda p: p.name)
def test_round_trip_of_rule_decks(path: Path):
    assert_round_trip(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.skipif(not LANGUAGE_DOC.is_file(), reason="docs/language.md is not written yet")
@pytest.mark.parametrize("block", _doc_blocks())
def test_round_trip_of_documentation_examples(block: str):
    assert_round_trip(block, str(LANGUAGE_DOC))
