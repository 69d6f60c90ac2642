"""Every kind of deck error: its exact message, line and column, and how it is shown."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adk.api import load_deck
from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.errors import DeckError, Diagnostic
from adk.lang.parser import MAX_DEPTH, MAX_ERRORS
from adk.layout.layermap import apply_layer_map, load_layer_map

HEAD = "layer A = 1/0\nlayer B = 2/0\n"
EXPECT_VALUE = "'(', '-', 'grow', 'shrink', a name or a number"
STATEMENT = "a statement (deck, units, include, layer, let, rule)"


def errors(text: str, path: str = "t.adk") -> list[tuple[int, int, str]]:
    """(line, column, message) of every diagnostic of a deck that must fail."""
    with pytest.raises(DeckError) as caught:
        load_text(text, path)
    return [(d.line, d.column, d.message) for d in caught.value.diagnostics]


def error(text: str) -> tuple[int, int, str]:
    """The one diagnostic of ``HEAD + text``, with lines counted from ``text``."""
    found = errors(HEAD + text)
    assert len(found) == 1, found
    line, column, message = found[0]
    return line - 2, column, message


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- syntax
@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "rule R width(A) >= 1",
            (
                1,
                8,
                "unexpected name 'width'; expected ':', 'category', 'error', 'info', 'warning' "
                'or a "string"',
            ),
        ),
        (
            'rule R "d" error warning : width(A) >= 1',
            (1, 18, "unexpected 'warning'; expected ':' or 'category'"),
        ),
        ("let x = 2 ** 3", (1, 12, f"unexpected '*'; expected {EXPECT_VALUE}")),
        ("layer X = A and and B", (1, 17, f"unexpected 'and'; expected {EXPECT_VALUE}")),
        ('let x = "a"', (1, 9, f'unexpected string "a"; expected {EXPECT_VALUE}')),
        ("layer 1X = 1/0", (1, 7, "unexpected number 1; expected a name")),
        ('deck "x"', (1, 6, 'unexpected string "x"; expected a name')),
        ("include x.adk", (1, 9, "unexpected name 'x.adk'; expected a \"string\"")),
        ("units 5", (1, 7, "unexpected number 5; expected a unit")),
        ("rule R : width(A) { width >= 1 ; ; }", (1, 34, "unexpected ';'; expected '}' or a name")),
        ("rule R : width(A) {{ width >= 1 }", (1, 20, "unexpected '{'; expected '}' or a name")),
        ("rule R : width(A) >= 1 }", (1, 24, f"unexpected '}}'; expected {STATEMENT}")),
        ("rule R : width(A) >= 1 um,", (1, 26, f"unexpected ','; expected {STATEMENT}")),
        ('layer C = 1/0 "x" "y"', (1, 19, f'unexpected string "y"; expected {STATEMENT}')),
        # after a whole statement, only what could really follow is listed (no ')' or '}')
        (
            "rule R : width(A) >= 2 um 3",
            (1, 27, f"unexpected number 3; expected {STATEMENT} or an operator"),
        ),
        (
            "rule R : width(A) : 1",
            (
                1,
                19,
                f"unexpected ':'; expected '{{', a comparison (>=, >, <=, <, ==) or {STATEMENT}",
            ),
        ),
    ],
)
def test_syntax_error_says_what_was_expected(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # reported just after the last token, not at the next statement
        ("let x =\nlayer C = 3/0", (1, 8, f"incomplete statement; expected {EXPECT_VALUE}")),
        (
            "rule R : width(A) >=   # why\n\nlayer C = 3/0",
            (1, 21, f"incomplete statement; expected {EXPECT_VALUE}"),
        ),
        ("rule R : width(A) >= (1 um\nlet y = 1", (1, 27, "incomplete statement; expected ')'")),
        # at the end of the file too, trailing blank lines and comments aside
        ("let x = 3 +\n\n# done\n", (1, 12, f"incomplete statement; expected {EXPECT_VALUE}")),
        ("deck", (1, 5, "incomplete statement; expected a name")),
        ("layer", (1, 6, "incomplete statement; expected a name")),
    ],
)
def test_incomplete_statement_is_reported_after_its_last_token(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule R : width(A) >= 1 um $", (1, 27, "unexpected character '$'")),
        ("let x = 3 µ", (1, 11, "unexpected character 'µ'")),
        ("\tlet x = !", (1, 10, "unexpected character '!'")),
        ('deck d "no end', (1, 8, "unterminated string")),
    ],
)
def test_unexpected_character(text: str, expected: tuple):
    assert error(text) == expected


def test_every_syntax_error_in_a_file_is_reported():
    text = HEAD + "layer X = A and\nlet y = 2\nrule S : width(A) >= 1 1\nlet z = $\nlayer"
    assert errors(text) == [
        (3, 16, f"incomplete statement; expected {EXPECT_VALUE}"),
        (5, 24, f"unexpected number 1; expected {STATEMENT}, a unit or an operator"),
        (6, 9, "unexpected character '$'"),
        (7, 6, "incomplete statement; expected a name"),
    ]


def test_statements_after_a_syntax_error_are_still_validated():
    assert errors(HEAD + "let x = (\nrule R : width(C) >= 1") == [
        (3, 10, f"incomplete statement; expected {EXPECT_VALUE}"),
        (4, 16, "unknown layer 'C'"),
    ]


def test_too_deep_nesting_is_an_error_not_a_crash():
    deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    assert errors(f"let x = {deep}\nlet y = z") == [
        (1, 1, f"expression nested too deeply (more than {MAX_DEPTH} levels)"),
        (2, 9, "unknown variable 'z'"),
    ]
    long_sum = " + ".join(["1 um"] * (MAX_DEPTH + 1))
    assert error(f"let x = {long_sum}")[2].startswith("expression nested too deeply")


def test_reasonable_nesting_is_fine():
    depth = MAX_DEPTH // 4
    assert load_text("let x = " + "(" * depth + "1 um" + ")" * depth).variables["x"].value == 1


def test_too_many_syntax_errors_stop_the_file():
    found = errors("let x = $\n" * (MAX_ERRORS + 20))
    assert len(found) == MAX_ERRORS + 1
    assert found[-1] == (
        MAX_ERRORS,
        9,
        "too many syntax errors; the rest of the file is not checked",
    )


# ---------------------------------------------------------------- names
@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule R : widht(A) >= 1", (1, 10, "unknown check 'widht' (did you mean 'width'?)")),
        (
            "rule R : bumpsize(A) == 1",
            (1, 10, "unknown check 'bumpsize' (did you mean 'bump_size'?)"),
        ),
        ("rule R : drc(A) >= 1", (1, 10, "unknown check 'drc'")),
        ("rule R : width(C) >= 1", (1, 16, "unknown layer 'C'")),
        ("rule R : width(AA) >= 1", (1, 16, "unknown layer 'AA' (did you mean 'A'?)")),
        ("rule R : width(a) >= 1", (1, 16, "unknown layer 'a' (did you mean 'A'?)")),
        ("layer X = A or Bb", (1, 16, "unknown layer 'Bb' (did you mean 'B'?)")),
        ("let x = y", (1, 9, "unknown variable 'y'")),
        (
            "let ls = 2 um\nrule R : width(A) >= lss",
            (2, 22, "unknown variable 'lss' (did you mean 'ls'?)"),
        ),
        (
            "rule R : density(A, windw 1 mm) >= 1 %",
            (1, 21, "unknown parameter 'windw' for density (did you mean 'window'?)"),
        ),
        (
            "rule R : density(A, size 1 mm) >= 1 %",
            (
                1,
                21,
                "unknown parameter 'size' for density "
                "(density takes: window, step, within, markers)",
            ),
        ),
        (
            "rule R : width(A, window 2) >= 1",
            (1, 19, "unknown parameter 'window' for width (width takes: markers)"),
        ),
        (
            "rule R : bridge(A, dies B) { dise == 2 }",
            (1, 30, "unknown property 'dise' for bridge (did you mean 'dies'?)"),
        ),
        (
            "rule R : width(A) { spacing >= 1 }",
            (1, 21, "unknown property 'spacing' for width (width measures width)"),
        ),
    ],
)
def test_unknown_names(text: str, expected: tuple):
    assert error(text) == expected


def test_a_name_is_defined_once():
    assert error("layer A = 3/0") == (1, 7, "'A' is already defined at t.adk:1:7")
    assert error("let B = 2") == (1, 5, "'B' is already defined at t.adk:2:7")
    assert error("let x = 1\nlet x = 2") == (2, 5, "'x' is already defined at t.adk:3:5")


def test_rule_ids_are_unique():
    assert error("rule R.1 : width(A) >= 1\nrule R.1 : space(A) >= 1") == (
        2,
        6,
        "duplicate rule id 'R.1' (first defined at t.adk:3:1)",
    )


def test_a_broken_definition_is_reported_once():
    """Uses of a name whose definition failed are not reported again."""
    assert errors(HEAD + "layer X = C and A\nrule R : width(X) >= 1\nlet y = q\nlet z = y") == [
        (3, 11, "unknown layer 'C'"),
        (5, 9, "unknown variable 'q'"),
    ]


def test_layer_and_value_are_not_interchangeable():
    assert error("rule R : width(A) >= A") == (1, 22, "expected a value, got a layer")
    assert error("rule R : width(2 um) >= 1") == (1, 16, "expected a layer, got a value")
    assert error("layer X = A + 1") == (1, 11, "expected a value, got a layer")
    assert error("layer X = 2 um") == (1, 11, "expected a layer, got a value")
    assert error("let x = -A") == (1, 10, "expected a value, got a layer")
    assert error("layer X = grow(2, 1)") == (1, 16, "expected a layer, got a value")


# ---------------------------------------------------------------- units
@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule R : width(A) >= 1 um2", (1, 22, "unit mismatch: width needs a length, got an area")),
        ("rule R : area(A) >= 2 um", (1, 21, "unit mismatch: area needs an area, got a length")),
        ("let x = 2 um + 1 um2", (1, 14, "unit mismatch: cannot add an area to a length")),
        ("let x = 1 um2 - 2 um", (1, 15, "unit mismatch: cannot subtract a length from an area")),
        (
            "rule R : density(A, window 1 mm) >= 0.2",
            (1, 37, "density needs a percentage such as 20 %"),
        ),
        (
            "rule R : density(A, window 1 mm) >= 2 um",
            (1, 37, "unit mismatch: density needs a percentage, got a length"),
        ),
        ("let x = 20 % + 2", (1, 14, "unit mismatch: cannot add a plain number to a percentage")),
        ("let x = 20 % * 2 um", (1, 14, "unit mismatch: cannot multiply a percentage by a length")),
        (
            "let x = 1 um * 1 um * 1 um",
            (1, 21, "unit mismatch: an area * a length has no unit the language knows"),
        ),
        (
            "let x = 2 / 1 um",
            (1, 11, "unit mismatch: a plain number / a length has no unit the language knows"),
        ),
        (
            "layer X = grow(A, 1 um2)",
            (1, 19, "unit mismatch: grow distance needs a length, got an area"),
        ),
        (
            "rule R : density(A, window 20 %) >= 1 %",
            (1, 28, "unit mismatch: window needs a length, got a percentage"),
        ),
        (
            "rule R : bump_density(A, within B) >= 4 %",
            (1, 39, "unit mismatch: density needs a count per area, got a percentage"),
        ),
        ("let x = 1 um / 0", (1, 14, "division by zero")),
        ("let x = 1e999", (1, 9, "value out of range: plain numbers are at most 1e15")),
        (
            "let x = 1e6 um * 1e6 um * 2",
            (1, 25, "value out of range: areas are at most 1e12 um2 (1 m2)"),
        ),
        ("units mm2", (1, 7, "units must be a length unit (nm, um or mm), not 'mm2'")),
        ("units um\nunits nm", (2, 1, "units are declared more than once in this file")),
    ],
)
def test_unit_errors(text: str, expected: tuple):
    assert error(text) == expected


def test_a_plain_number_does_not_cross_into_a_file_of_other_units(tmp_path: Path):
    write(tmp_path / "nm.adk", "units nm\nlet s = 500\nlet t = 500 nm")
    top = write(
        tmp_path / "top.adk",
        'include "nm.adk"\nlayer A = 1/0\nrule R1 : width(A) >= t\nrule R2 : width(A) >= s',
    )
    with pytest.raises(DeckError) as caught:
        load_deck(str(top))
    assert [(d.line, d.column, d.message) for d in caught.value.diagnostics] == [
        (
            4,
            23,
            "'s' is a plain number defined under 'units nm' and used under 'units um'; "
            "give it a unit where it is defined",
        )
    ]


# ---------------------------------------------------------------- limits and parameters
@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule R : width(A) >= -1 um", (1, 22, "width limit must be positive")),
        ("rule R : width(A) >= 0", (1, 22, "width limit must be positive")),
        ("rule R : pitch(A) > 0 um", (1, 21, "pitch limit must be positive")),
        ("rule R : distance(A, B) >= -1 um", (1, 28, "distance limit must not be negative")),
        ("rule R : density(A, window 1 mm) >= -1 %", (1, 37, "density limit must not be negative")),
        (
            "rule R : density(A, window 1 mm) <= 120 %",
            (1, 37, "density limit must be at most 100 %"),
        ),
        ("rule R : count(A, within B) >= -1", (1, 32, "count limit must not be negative")),
        ("rule R : count(A, within B) == 1.5", (1, 32, "count must be a whole number")),
        ("layer X = grow(A, -1 um)", (1, 19, "grow distance must be positive")),
        ("layer X = shrink(A, 0)", (1, 21, "shrink distance must be positive")),
        ("rule R : density(A, window 0) >= 1 %", (1, 28, "window must be positive")),
        ("rule R : density(A, window 1 mm, step -2) >= 1 %", (1, 39, "step must be positive")),
    ],
)
def test_limits_and_distances_that_make_no_sense(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule R : space(A) <= 1", (1, 19, "space takes >= or >, not <=")),
        ("rule R : align(A, to B) >= 1", (1, 25, "offset takes <= or <, not >=")),
        ("rule R : distance(A, B) == 1", (1, 25, "distance takes >=, >, <= or <, not ==")),
        ("rule R : bridge(A, dies B) { overlap <= 1 }", (1, 38, "overlap takes >= or >, not <=")),
    ],
)
def test_wrong_operator_for_a_property(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "rule R : bump_density(A) >= 400 /mm2",
            (
                1,
                10,
                "bump_density needs the parameter 'within' (bump_density(bumps, within LAYER, "
                "[window LENGTH], [step LENGTH], [markers windows|areas]))",
            ),
        ),
        (
            "rule R : count(A) == 1",
            (1, 10, "count needs the parameter 'within' (count(layer, within LAYER))"),
        ),
        (
            "rule R : bridge(A) { dies == 2 }",
            (
                1,
                10,
                "bridge needs the parameter 'dies' (bridge(bridges, dies LAYER, [axis auto|x|y]))",
            ),
        ),
        (
            "rule R : density(A) >= 1 %",
            (
                1,
                10,
                "density needs the parameter 'window' (density(layer, "
                "window LENGTH, [step LENGTH], [within LAYER], [markers windows|areas]))",
            ),
        ),
        ("rule R : width(A)", (1, 10, "width needs a constraint such as '>= 2 um'")),
        ("rule R : width(A) { }", (1, 19, "width needs a constraint such as '>= 2 um'")),
        ("rule R : align(A, to B)", (1, 10, "align needs a constraint such as '<= 2 um'")),
        (
            "rule R : density(A, window 1 mm, window 2 mm) >= 1 %",
            (1, 34, "parameter 'window' is given twice"),
        ),
        (
            "rule R : bump_size(A, shape square) == 20",
            (1, 29, "shape must be one of octagon, circle, any"),
        ),
    ],
)
def test_missing_or_wrong_parameters(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "rule R : width(A, B) >= 1",
            (1, 10, "width takes 1 layer argument (width(layer, [markers pairs|areas])), got 2"),
        ),
        (
            "rule R : separation(A) >= 1",
            (
                1,
                10,
                "separation takes 2 layer arguments (separation(a, b, [markers pairs|areas])), "
                "got 1",
            ),
        ),
        (
            "rule R : enclosure(A, B, A) >= 1",
            (
                1,
                10,
                "enclosure takes 2 layer arguments (enclosure(inner, outer, "
                "[markers pairs|areas])), got 3",
            ),
        ),
        (
            "rule R : keepout(zone B)",
            (
                1,
                10,
                "keepout takes at least 1 layer argument "
                "(keepout(layer..., [zone LAYER], [edge LAYER], [markers pairs|areas])), got 0",
            ),
        ),
    ],
)
def test_wrong_number_of_layer_arguments(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "rule R : keepout(A)",
            (1, 10, "keepout needs exactly one of 'zone LAYER' or 'edge LAYER'"),
        ),
        (
            "rule R : keepout(A, zone B, edge B)",
            (1, 10, "keepout needs exactly one of 'zone LAYER' or 'edge LAYER'"),
        ),
        (
            "rule R : keepout(A, edge B)",
            (1, 10, "keepout from an edge needs a distance such as '>= 50 um'"),
        ),
    ],
)
def test_keepout_needs_exactly_one_of_zone_or_edge(text: str, expected: tuple):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("layer X = 65536/0", (1, 11, "layer number 65536 is out of range (0..65535)")),
        ("layer X = 1/65536", (1, 11, "datatype number 65536 is out of range (0..65535)")),
        (
            "layer X = 1/" + "9" * 5000,
            (1, 11, f"datatype number {'9' * 5000} is out of range (0..65535)"),
        ),
    ],
)
def test_layer_numbers_out_of_range(text: str, expected: tuple):
    assert error(text) == expected


def test_header_given_twice():
    assert error("deck a\ndeck b") == (2, 1, "the deck header is given more than once")


# ---------------------------------------------------------------- includes
def deck_errors(path: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(DeckError) as caught:
        load_deck(str(path))
    return [(Path(d.file).name, d.line, d.column, d.message) for d in caught.value.diagnostics]


def test_missing_include_file(tmp_path: Path):
    top = write(tmp_path / "top.adk", 'layer A = 1/0\ninclude "gone.adk"')
    assert deck_errors(top) == [
        ("top.adk", 2, 9, f"include file not found: gone.adk (looked for {tmp_path}/gone.adk)")
    ]


def test_missing_deck_file(tmp_path: Path):
    assert deck_errors(tmp_path / "none.adk") == [("none.adk", 1, 1, "no such deck file")]


def test_unreadable_include_is_reported_at_the_include(tmp_path: Path):
    (tmp_path / "dir.adk").mkdir()
    top = write(tmp_path / "top.adk", 'include "dir.adk"')
    assert deck_errors(top) == [
        ("top.adk", 1, 9, "cannot read include file dir.adk: Is a directory")
    ]


def test_include_cycle_shows_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.adk", 'include "lib/b.adk"')
    write(tmp_path / "lib" / "b.adk", 'include "c.adk"')
    write(tmp_path / "lib" / "c.adk", 'layer C = 1/0\ninclude "../a.adk"')
    assert deck_errors(tmp_path / "a.adk") == [
        ("c.adk", 2, 9, "include cycle: a.adk -> lib/b.adk -> lib/c.adk -> a.adk")
    ]


def test_a_file_including_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    top = write(tmp_path / "self.adk", 'include "self.adk"')
    assert deck_errors(top) == [("self.adk", 1, 9, "include cycle: self.adk -> self.adk")]


def test_errors_in_included_files_carry_their_path(tmp_path: Path):
    write(tmp_path / "lib" / "inc.adk", "layer Q = 1/0\nrule R : width(Z) >= 1\nlet = 2")
    top = write(tmp_path / "top.adk", 'include "lib/inc.adk"\nrule S : space(Q) >= y')
    with pytest.raises(DeckError) as caught:
        load_deck(str(top))
    diagnostics = caught.value.diagnostics
    assert [(d.file, d.line, d.column, d.message) for d in diagnostics] == [
        (os.path.join(str(tmp_path), "lib", "inc.adk"), 2, 16, "unknown layer 'Z'"),
        (os.path.join(str(tmp_path), "lib", "inc.adk"), 3, 5, "unexpected '='; expected a name"),
        (str(top), 2, 22, "unknown variable 'y'"),
    ]
    assert "    rule R : width(Z) >= 1\n                   ^" in caught.value.render()


# ---------------------------------------------------------------- rendering
def test_rendered_diagnostic():
    with pytest.raises(DeckError) as caught:
        load_text(HEAD + "rule R : width(A) >= 1\nrule S : widht(B) >= 1 um\n", "deck.adk")
    assert caught.value.render() == (
        "deck.adk:4:10: error: unknown check 'widht' (did you mean 'width'?)\n"
        "    rule S : widht(B) >= 1 um\n"
        "             ^~~~~\n"
        "1 error"
    )
    assert (
        str(caught.value) == "deck.adk:4:10: error: unknown check 'widht' (did you mean 'width'?)"
    )


def test_rendered_diagnostics_are_in_file_order_and_counted():
    with pytest.raises(DeckError) as caught:
        load_text("layer X = C\nlet y = 1 um +\n", "d.adk")
    assert caught.value.render() == (
        "d.adk:1:11: error: unknown layer 'C'\n"
        "    layer X = C\n"
        "              ^\n"
        "d.adk:2:15: error: incomplete statement; expected '(', '-', 'grow', 'shrink', a name "
        "or a number\n"
        "    let y = 1 um +\n"
        "                  ^\n"
        "2 errors"
    )


def test_render_counts_lines_as_the_parser_does():
    """Only \\n ends a line: a form feed or \\r\\n does not shift the source line shown."""
    with pytest.raises(DeckError) as caught:
        load_text("# page\f break\r\nlayer X = C\r\n", "d.adk")
    assert (
        caught.value.render() == "d.adk:2:11: error: unknown layer 'C'\n"
        "    layer X = C\n              ^\n1 error"
    )


def test_render_with_tabs_keeps_the_caret_under_the_fault():
    diag = Diagnostic("f.adk", 1, 3, "bad", length=2)
    assert diag.render("\t\tXY rest") == "f.adk:1:3: error: bad\n      XY rest\n      ^~"


def test_render_without_source_line():
    assert Diagnostic("f.adk", 3, 4, "bad").render() == "f.adk:3:4: error: bad"


# ---------------------------------------------------------------- command line
GOOD = (
    'deck good "Good deck" version "1"\nlayer A = 1/0\nlayer B = 2/0\n'
    'rule A.W "A width" : width(A) >= 2 um\n'
    'rule A.D "A density" warning : density(A, window 1 mm, within B) { density >= 20 %; '
    "density <= 80 % }\n"
)


def test_cli_lint_good_deck(tmp_path: Path, capsys: pytest.CaptureFixture):
    deck = write(tmp_path / "good.adk", GOOD)
    assert main(["lint", str(deck)]) == 0
    assert capsys.readouterr().out == f"{deck}: ok (2 rules, 2 layers)\n"


def test_cli_lint_broken_deck(tmp_path: Path, capsys: pytest.CaptureFixture):
    good = write(tmp_path / "good.adk", GOOD)
    bad = write(tmp_path / "bad.adk", "layer A = 1/0\nrule R : width(A) >= 1 um2\nlet x =\n")
    assert main(["lint", str(bad), str(good)]) == 2
    out, err = capsys.readouterr()
    assert out == f"{good}: ok (2 rules, 2 layers)\n"
    assert err == (
        f"{bad}:2:22: error: unit mismatch: width needs a length, got an area\n"
        "    rule R : width(A) >= 1 um2\n"
        "                         ^~~~~\n"
        f"{bad}:3:8: error: incomplete statement; expected '(', '-', 'grow', 'shrink', a name or "
        "a number\n"
        "    let x =\n"
        "           ^\n"
        "2 errors\n"
    )


def test_cli_lint_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main(["lint", str(tmp_path / "none.adk")]) == 2
    assert (
        capsys.readouterr().err == f"{tmp_path}/none.adk:1:1: error: no such deck file\n1 error\n"
    )


def test_cli_rules_json(tmp_path: Path, capsys: pytest.CaptureFixture):
    deck = write(tmp_path / "good.adk", GOOD)
    assert main(["rules", str(deck), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "deck": "good",
        "title": "Good deck",
        "version": "1",
        "rules": [
            {
                "id": "A.W",
                "category": "A.W",
                "check": "width",
                "layers": "A",
                "value": "width >= 2 um",
                "severity": "error",
                "description": "A width",
                "location": f"{deck}:4:1",
            },
            {
                "id": "A.D",
                "category": "A.D",
                "check": "density",
                "layers": "A, window 1 mm, within B",
                "value": "density >= 20 %; density <= 80 %",
                "severity": "warning",
                "description": "A density",
                "location": f"{deck}:5:1",
            },
        ],
    }


def test_cli_rules_on_a_broken_deck(tmp_path: Path, capsys: pytest.CaptureFixture):
    deck = write(tmp_path / "bad.adk", "rule R : width(A) >= 1")
    assert main(["rules", str(deck), "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{deck}:1:16: error: unknown layer 'A'\n")


# ---------------------------------------------------------------- layer maps
MAPPED_DECK = "layer RDL1 = 10/0\nlayer VIA1 = 11/0\nlayer X = RDL1 and VIA1\n"


def map_errors(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    deck = load_text(MAPPED_DECK, "mapped.adk")
    path = write(tmp_path / "map.yaml", text)
    with pytest.raises(DeckError) as caught:
        apply_layer_map(deck, str(path))
    assert {d.file for d in caught.value.diagnostics} == {str(path)}
    return [(d.line, d.column, d.message) for d in caught.value.diagnostics]


def test_layer_map_applies(tmp_path: Path):
    deck = load_text(MAPPED_DECK, "mapped.adk")
    path = write(tmp_path / "map.yaml", "# ACME\nlayers:\n  RDL1: 20/1\n  VIA1: [21, 0]\n")
    layers = apply_layer_map(deck, str(path))
    assert [(layers[n].layer, layers[n].datatype) for n in ("RDL1", "VIA1")] == [(20, 1), (21, 0)]
    assert load_layer_map(str(write(tmp_path / "plain.yaml", "RDL1: 5/5\n")))["RDL1"][:2] == (5, 5)


def test_layer_map_errors_are_all_reported(tmp_path: Path):
    text = (
        "layers:\n  RDL2: 21/0\n  X: 5/0\n  VIA1: abc\n  RDL1: 70000/0\n  1abc: 2/0\n  RDL1: 1/1\n"
    )
    assert map_errors(tmp_path, text) == [
        (2, 3, "unknown layer 'RDL2': the deck 'mapped' has no such layer (did you mean 'RDL1'?)"),
        (3, 3, "'X' is a derived layer; only drawn layers can be mapped"),
        (4, 9, "layer 'VIA1': expected layer/datatype such as 10/0"),
        (5, 9, "layer 'RDL1': layer and datatype numbers must be 0..65535"),
        (6, 3, "'1abc' is not a layer name"),
        (7, 3, "layer 'RDL1' is mapped twice"),
    ]


@pytest.mark.parametrize(
    "value", ["[1, 2, 3]", "[-1, 0]", "1.5/0", "10", "[²³, 1]", "١/٠", "{a: 1}", "9999999999/0"]
)
def test_layer_map_malformed_entries(tmp_path: Path, value: str):
    assert map_errors(tmp_path, f"VIA1: {value}\n") == [
        (1, 7, "layer 'VIA1': expected layer/datatype such as 10/0")
    ]


def test_layer_map_not_a_mapping(tmp_path: Path):
    assert map_errors(tmp_path, "layers:\n  - RDL1\n") == [
        (2, 3, "a layer map is a mapping of layer names to layer/datatype")
    ]


def test_layer_map_invalid_yaml(tmp_path: Path):
    assert map_errors(tmp_path, "layers:\n  RDL1: [20, 0\n  VIA1: 1/0\n") == [
        (3, 7, "invalid YAML: expected ',' or ']', but got ':'")
    ]


def test_layer_map_rendered(tmp_path: Path):
    deck = load_text(MAPPED_DECK, "mapped.adk")
    path = write(tmp_path / "map.yaml", "layers:\n  RDLl: 20/0\n")
    with pytest.raises(DeckError) as caught:
        apply_layer_map(deck, str(path))
    assert caught.value.render() == (
        f"{path}:2:3: error: unknown layer 'RDLl': the deck 'mapped' has no such layer "
        "(did you mean 'RDL1'?)\n"
        "      RDLl: 20/0\n"
        "      ^~~~\n"
        "1 error"
    )


# ---------------------------------------------------------------- easy slips
def test_a_drawn_layer_written_with_spaces_is_not_a_division():
    assert error("layer X = 3 / 0") == (
        1,
        11,
        "a drawn layer is written layer/datatype without spaces: 3/0",
    )
    assert error("layer X = 3 /1") == (
        1,
        11,
        "a drawn layer is written layer/datatype without spaces: 3/1",
    )
    # a value divided is still an ordinary value error
    assert error("layer X = 3 um / 2") == (1, 11, "expected a layer, got a value")


@pytest.mark.parametrize(
    "text, column", [("let mm2 = 3", 5), ("layer um = 5/0", 7), ("let nm = 1", 5)]
)
def test_unit_words_cannot_be_names(text: str, column: int):
    name = text.split()[1]
    assert error(text) == (1, column, f"'{name}' is a unit and cannot name a layer or a variable")


def test_layers_come_before_keyword_parameters():
    assert error("rule R : density(window 10 um, A) >= 10 %") == (
        1,
        32,
        "layers come before keyword parameters: density(layer, window LENGTH, "
        "[step LENGTH], [within LAYER], [markers windows|areas])",
    )
    assert error("rule R : keepout(A, zone B, C)") == (
        1,
        29,
        "layers come before keyword parameters: keepout(layer..., [zone LAYER], "
        "[edge LAYER], [markers pairs|areas])",
    )
