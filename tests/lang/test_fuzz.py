"""Random and mutated deck text: the language reports DeckError and never anything else."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from adk import checks
from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.errors import DeckError
from adk.lang.formatter import format_text
from adk.lang.parser import find_comments

VALID = """# a deck touching every construct
deck fuzz "Fuzz deck" version "1"
units um
layer A = 1/0 "a"
layer B = 2/0
layer C = A and (B or A) not grow(B, 1 um) xor shrink(A, 500 nm)
layer D = A inside B outside C interacting A
let ls = 2 um
let ws = ls * 1.5 + 2 - 1 um
let area = 1 mm * 1 mm / 4
let dens = 400 /mm2
let fill = 20 %
rule W.1 "width" warning : width(A) >= ws
rule S.1 : space(C) > 2  # trailing
rule SEP : separation(A, B) >= 20 um
rule ENC "enc" info : enclosure(A, B) >= 1 um
rule OVL : overlap(A, B) >= 1 um
rule EXT : extension(A, B) >= 1 um
rule AR : area(A) { area >= 100 um2; area <= area }
rule DEN : density(A, window 1 mm, step 500 um, within B) {
    # fill limits
    density >= fill
    density <= 80 %
}
rule P : pitch(A) >= 40 um
rule BS : bump_size(A, shape octagon, tolerance 0.5 um) == 25 um
rule BD : bump_density(A, within B) >= dens
rule K1 : keepout(A, B, zone C)
rule K2 : keepout(A, edge B) >= 50 um
rule BR : bridge(A, dies B) { dies == 2  overlap >= 150 um  gap <= 100 um  space >= 500 um }
rule AL : align(A, to B) <= 1 um
rule AB : align(A, both B) <= 1 um
rule DI : distance(A, B) <= 2 mm
rule CO : count(A, within B) == 1
"""

TOKENS = [
    "deck",
    "units",
    "include",
    "layer",
    "let",
    "rule",
    "version",
    "and",
    "or",
    "xor",
    "not",
    "inside",
    "outside",
    "interacting",
    "not_inside",
    "not_outside",
    "not_interacting",
    "grow",
    "shrink",
    "error",
    "warning",
    "info",
    "width",
    "density",
    "keepout",
    "zone",
    "edge",
    "window",
    "within",
    "none",
    "ongrid",
    "grid",
    "A",
    "B",
    "ls",
    "=",
    ":",
    "(",
    ")",
    "{",
    "}",
    ",",
    ";",
    ">=",
    "<=",
    "==",
    ">",
    "<",
    "+",
    "-",
    "*",
    "/",
    "%",
    "um",
    "nm",
    "mm",
    "um2",
    "/mm2",
    "µm",
    "1",
    "0",
    "-1",
    "1/0",
    "70000/0",
    "1e999",
    "0.5",
    '"text"',
    '"',
    "#",
    "# comment",
    "\n",
    " ",
    "\t",
    "R.1",
    "(" * 150,
    "1e308 mm",
    # enormous and odd numbers
    "1e6 um",
    "1000001 um",
    "1e12 um2",
    "1e13 um2",
    "1e999999999",
    "1e-999999999 nm",
    "9" * 400,
    "0." + "0" * 400 + "1",
    "-0",
    "-0 um",
    "1e15 * 10",
    "65536/65536",
    # includes: outside the deck's folder, of devices, of themselves, of folders
    '\ninclude "../../etc/passwd"\n',
    '\ninclude "/etc/hostname"\n',
    '\ninclude "/dev/zero"\n',
    '\ninclude "fuzz.adk"\n',
    '\ninclude "."\n',
    '\ninclude ""\n',
    '\ninclude "\0"\n',
    '\ninclude "missing.adk"\n',
]
DECK_ALPHABET = 'abcdegilmnorstuwxyzABCDRW_0123456789 \n\t=:(){},;<>+-*/%#".µé\\$'


@st.composite
def mutated_deck(draw: st.DrawFn) -> str:
    """The valid deck with a few characters or tokens inserted, deleted or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(
            st.sampled_from(
                ["insert char", "insert token", "delete", "replace token", "duplicate line"]
            )
        )
        if kind == "insert char":
            text = text[:at] + draw(st.sampled_from(DECK_ALPHABET)) + text[at:]
        elif kind == "insert token":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        elif kind == "replace token":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + draw(st.integers(1, 6)) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at) + 1 or len(text)
            text = text[:end] + text[start:end] + text[end:]
    return text


any_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=DECK_ALPHABET, max_size=300),
    st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
)


def test_the_deck_to_mutate_is_valid_and_calls_many_kinds():
    kinds = {rule.check.kind for rule in load_text(VALID, "fuzz.adk").rules}
    assert len(kinds) >= 16 and kinds <= set(checks.kind_names())


def only_deck_errors(text: str) -> None:
    for call in (load_text, format_text):
        try:
            call(text, "fuzz.adk")
        except DeckError as exc:
            assert exc.diagnostics, "a DeckError without diagnostics"
            exc.render()


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_random_text_raises_only_deck_errors(text: str):
    only_deck_errors(text)


@settings(max_examples=200, deadline=None)
@given(mutated_deck())
def test_mutated_decks_raise_only_deck_errors(text: str):
    only_deck_errors(text)


@settings(max_examples=150, deadline=None)
@given(mutated_deck())
def test_formatting_mutated_decks_keeps_comments_and_meaning(text: str):
    try:
        formatted = format_text(text, "fuzz.adk")
    except DeckError:
        return
    assert format_text(formatted, "fuzz.adk") == formatted
    assert sorted(c.text for c in find_comments(formatted)) == sorted(
        c.text for c in find_comments(text)
    )
    assert _meaning(formatted) == _meaning(text)


def _meaning(text: str) -> object:
    try:
        deck = load_text(text, "fuzz.adk")
    except DeckError as exc:
        return len(exc.diagnostics)
    return deck.name, deck.title, deck.version, deck.units, deck.layers, deck.variables, deck.rules


@settings(max_examples=60, deadline=None)
@given(st.one_of(mutated_deck(), any_text))
def test_cli_lint_never_raises(text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzz.adk")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["lint", path]) in (0, 2)
