"""Decks, layer maps and waiver files from elsewhere: no construct reads a file it does not
name or runs code, and every bad one is a one-line ``file:line:col`` error (exit code 2),
never a traceback or a hang."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import klayout.db as kdb
import pytest

import adk
from adk.api import load_deck, load_deck_text
from adk.cli import main
from adk.errors import AdkError, DeckError, Diagnostic
from adk.kit.decks import shipped_folder
from adk.lang.builder import MAX_DECK_BYTES, MAX_INCLUDE_DEPTH
from adk.lang.parser import parse_text
from adk.layout.layermap import MAX_ALIASES, MAX_BYTES, MAX_NESTING, load_layer_map
from adk.report.waivers import load_waivers

ROOT = Path(__file__).resolve().parents[1]
HEAD = "layer A = 1/0\nlayer B = 2/0\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def deck_errors(path: Path, **options) -> list[tuple[str, int, int, str]]:
    with pytest.raises(DeckError) as caught:
        load_deck(path, **options)
    return [(Path(d.file).name, d.line, d.column, d.message) for d in caught.value.diagnostics]


def escape(written: str, real: Path | None, folder: Path) -> str:
    target = written if real is None else f"{written} is {real}"
    return (
        f"include escapes the deck's folder: {target}, outside {folder}; "
        "a deck root (--deck-root) allows it"
    )


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    """``decks/`` holding the deck, beside ``lib/`` and ``secret.txt`` outside it."""
    write(tmp_path / "lib" / "lib.adk", "layer L = 3/0")
    write(tmp_path / "secret.txt", "layer S = 9/9")
    (tmp_path / "decks").mkdir()
    return Path(os.path.realpath(tmp_path / "decks"))


# ---------------------------------------------------------------- includes
def test_a_relative_include_out_of_the_deck_folder_is_refused(decks: Path):
    top = write(decks / "top.adk", 'layer A = 1/0\ninclude "../../etc/passwd"')
    assert deck_errors(top) == [
        ("top.adk", 2, 9, escape("../../etc/passwd", decks.parents[1] / "etc" / "passwd", decks))
    ]


def test_an_absolute_include_out_of_the_deck_folder_is_refused(decks: Path):
    secret = decks.parent / "secret.txt"
    top = write(decks / "top.adk", f'include "{secret}"')
    assert deck_errors(top) == [("top.adk", 1, 9, escape(str(secret), None, decks))]


def test_a_symbolic_link_pointing_out_is_refused_by_its_target(decks: Path):
    (decks / "link.adk").symlink_to(decks.parent / "secret.txt")
    top = write(decks / "top.adk", 'include "link.adk"')
    assert deck_errors(top) == [
        ("top.adk", 1, 9, escape("link.adk", decks.parent / "secret.txt", decks))
    ]


def test_a_symbolic_link_to_a_folder_outside_is_refused(decks: Path):
    (decks / "outside").symlink_to(decks.parent / "lib")
    top = write(decks / "top.adk", 'include "outside/lib.adk"')
    assert deck_errors(top) == [
        ("top.adk", 1, 9, escape("outside/lib.adk", decks.parent / "lib" / "lib.adk", decks))
    ]


def test_a_symbolic_link_inside_the_folder_is_followed(decks: Path):
    write(decks / "common" / "real.adk", "layer R = 4/0")
    (decks / "alias.adk").symlink_to(decks / "common" / "real.adk")
    top = write(decks / "top.adk", 'include "alias.adk"\ninclude "common/real.adk"')
    deck = load_deck(top)
    assert list(deck.layers) == ["R"]  # one file by two paths is read once


def test_a_deck_root_allows_includes_under_it(decks: Path):
    top = write(decks / "top.adk", 'include "../lib/lib.adk"\nlayer A = 1/0')
    assert deck_errors(top)[0][3] == escape(
        "../lib/lib.adk", decks.parent / "lib" / "lib.adk", decks
    )
    deck = load_deck(top, deck_roots=[decks.parent / "lib"])
    assert list(deck.layers) == ["L", "A"]
    assert deck.roots == (str(decks.parent / "lib"),)


def test_the_deck_folder_of_an_included_file_is_no_root(decks: Path):
    """Roots are fixed for the whole deck: a file included from a root may not reach past
    it either."""
    write(decks.parent / "lib" / "next.adk", 'include "../secret.txt"')
    top = write(decks / "top.adk", 'include "../lib/next.adk"')
    assert deck_errors(top, deck_roots=[decks.parent / "lib"]) == [
        ("next.adk", 1, 9, escape("../secret.txt", decks.parent / "secret.txt", decks))
    ]


def test_the_shipped_decks_folder_is_always_a_root(decks: Path):
    common = Path(shipped_folder()) / "common.adk"
    top = write(decks / "top.adk", f'include "{common}"')
    assert "PKG" in load_deck(top).layers


def test_a_deck_root_that_is_not_a_folder_is_an_error(decks: Path):
    top = write(decks / "top.adk", "layer A = 1/0")
    with pytest.raises(AdkError, match=r"^deck root .*/missing is not a folder$"):
        load_deck(top, deck_roots=[decks / "missing"])


def test_text_includes_from_the_working_directory(decks: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(decks)
    write(decks / "here.adk", "layer H = 5/0")
    assert list(load_deck_text('include "here.adk"').layers) == ["H"]
    with pytest.raises(DeckError) as caught:
        load_deck_text('include "../lib/lib.adk"')
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.message) == (
        "<deck>",
        1,
        9,
        escape("../lib/lib.adk", decks.parent / "lib" / "lib.adk", decks),
    )
    deck = load_deck_text('include "../lib/lib.adk"', deck_roots=[decks.parent / "lib"])
    assert list(deck.layers) == ["L"]


def test_text_with_a_path_includes_from_that_folder(decks: Path):
    write(decks / "here.adk", "layer H = 5/0")
    assert list(load_deck_text('include "here.adk"', str(decks / "t.adk")).layers) == ["H"]


def test_a_diamond_and_a_cycle_through_a_link_still_work(decks: Path):
    write(decks / "base.adk", "layer BASE = 1/0")
    write(decks / "left.adk", 'include "base.adk"\nlayer LEFT = 2/0')
    write(decks / "right.adk", 'include "base.adk"\nlayer RIGHT = 3/0')
    top = write(decks / "top.adk", 'include "left.adk"\ninclude "right.adk"')
    assert list(load_deck(top).layers) == ["BASE", "LEFT", "RIGHT"]
    (decks / "here").symlink_to(decks)  # here/here/here/... is the same folder
    loop = write(decks / "loop.adk", 'include "here/loop.adk"')
    assert deck_errors(loop) == [
        ("loop.adk", 1, 9, f"include cycle: {os.path.relpath(loop)} -> {os.path.relpath(loop)}")
    ]


def include_chain(folder: Path, includes: int) -> Path:
    """``root.adk`` including ``inc1.adk``, which includes ``inc2.adk``, ... ``includes``
    levels down to a file declaring a layer."""
    for level in range(includes):
        write(folder / f"inc{level}.adk", f'include "inc{level + 1}.adk"')
    write(folder / f"inc{includes}.adk", "layer DEEP = 1/0")
    return (folder / "inc0.adk").rename(folder / "root.adk")


def test_includes_nest_at_most_sixteen_levels(tmp_path: Path):
    assert MAX_INCLUDE_DEPTH == 16
    assert list(load_deck(include_chain(tmp_path / "ok", 16)).layers) == ["DEEP"]
    assert deck_errors(include_chain(tmp_path / "deep", 17)) == [
        ("inc16.adk", 1, 9, "includes nested too deeply (more than 16 levels)")
    ]


def test_a_root_deck_over_the_size_limit_is_not_parsed(tmp_path: Path):
    assert MAX_DECK_BYTES == 1024 * 1024
    big = write(tmp_path / "big.adk", "#" * MAX_DECK_BYTES + "\n")
    assert deck_errors(big) == [("big.adk", 1, 1, "deck text over the limit of 1 MB")]


def test_the_size_limit_counts_every_included_file(tmp_path: Path):
    write(tmp_path / "half.adk", "#" * (MAX_DECK_BYTES // 2))
    write(tmp_path / "other.adk", "#" * (MAX_DECK_BYTES // 2))
    top = write(tmp_path / "top.adk", 'include "half.adk"\ninclude "other.adk"')
    assert deck_errors(top) == [
        ("top.adk", 2, 9, "include file other.adk takes the deck's text over the limit of 1 MB")
    ]


def test_text_over_the_size_limit_is_not_parsed():
    with pytest.raises(DeckError) as caught:
        load_deck_text("#" * (MAX_DECK_BYTES + 1))
    assert str(caught.value) == "<deck>:1:1: error: deck text over the limit of 1 MB"


def test_an_include_of_a_pipe_is_refused_without_waiting(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe.adk")
    top = write(tmp_path / "top.adk", 'include "pipe.adk"')
    assert deck_errors(top) == [
        ("top.adk", 1, 9, "cannot read include file pipe.adk: not a regular file")
    ]


def test_an_include_path_with_a_nul_character():
    with pytest.raises(DeckError) as caught:
        load_deck_text('include "a\0b.adk"')
    assert str(caught.value) == "<deck>:1:9: error: an include path cannot hold a NUL character"


def test_lint_exits_2_with_the_escape_and_passes_with_a_deck_root(decks: Path, capsys):
    top = write(decks / "top.adk", 'include "../lib/lib.adk"')
    assert main(["lint", str(top)]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first == f"{top}:1:9: error: " + escape(
        "../lib/lib.adk", decks.parent / "lib" / "lib.adk", decks
    )
    assert main(["lint", str(top), "--deck-root", str(decks.parent / "lib")]) == 0
    assert capsys.readouterr().out == f"{top}: ok (0 rules, 1 layers)\n"
    assert main(["rules", str(top), "--deck-root", str(decks / "missing")]) == 2
    assert capsys.readouterr().err == f"adk: error: deck root {decks / 'missing'} is not a folder\n"


def test_every_deck_command_takes_deck_roots(decks: Path, tmp_path: Path, capsys):
    top = write(decks / "top.adk", 'include "../lib/lib.adk"\nrule W : width(L) >= 1 um')
    root = ["--deck-root", str(decks.parent / "lib")]
    out = str(tmp_path / "out")
    commands = [
        ["rules", str(top)],
        ["docs", str(top), "-o", out + ".md"],
        ["klayout", "lyp", str(top), "-o", out + ".lyp"],
        ["export-klayout", str(top), "-o", out + ".lydrc"],
    ]
    for command in commands:
        assert main(command) == 2, command
        assert main(command + root) == 0, command
    capsys.readouterr()


def test_fmt_refuses_a_deck_over_the_size_limit(tmp_path: Path, capsys):
    big = write(tmp_path / "big.adk", "#" * (MAX_DECK_BYTES + 1))
    assert main(["fmt", "--check", str(big)]) == 2
    assert capsys.readouterr().err == f"{big}:1:1: error: deck text over the limit of 1 MB\n"


def test_recovery_parses_a_file_about_twice_however_many_errors(monkeypatch):
    """Each search for the next error starts after the last one: a file with many errors
    is not parsed once per error."""
    from lark.exceptions import UnexpectedInput

    from adk.lang import parser

    parsed = []  # the characters each parse reads, but blanks: up to its error, or all
    real = parser._parser()

    class Counting:
        def parse(self, text: str):
            try:
                tree = real.parse(text)
            except UnexpectedInput as exc:
                parsed.append(len(text[: exc.pos_in_stream or len(text)].split()))
                raise
            parsed.append(len(text.split()))
            return tree

        def __getattr__(self, name: str):
            return getattr(real, name)

    monkeypatch.setattr(parser, "_parser", lambda: Counting())
    statements = [f"rule R{i} : width(A) >= {i} um" for i in range(1, 201)]
    for i in range(0, 200, 4):
        statements[i] = f"rule X{i} : width(A) >="  # 50 statements cut short
    text = "layer A = 1/0\n" + "\n".join(statements)
    result = parse_text(text, "many.adk")
    assert len(result.errors) == 50
    assert len(result.statements) == 151
    assert sum(parsed) < 2.1 * len(text.split())


# ---------------------------------------------------------------- numbers
def error(text: str) -> tuple[int, int, str]:
    """The one diagnostic of ``HEAD + text``, with lines counted from ``text``."""
    with pytest.raises(DeckError) as caught:
        load_deck_text(HEAD + text, "t.adk")
    (diagnostic,) = caught.value.diagnostics
    return diagnostic.line - 2, diagnostic.column, diagnostic.message


LENGTHS = "value out of range: lengths are at most 1e6 um (1 m)"
NUMBERS = "value out of range: plain numbers are at most 1e15"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("let x = 1e308 um", (1, 9, LENGTHS)),
        ("let x = 1e999", (1, 9, NUMBERS)),
        ("let x = " + "9" * 5000, (1, 9, NUMBERS)),
        ("let x = 1e200 * 1e200", (1, 9, NUMBERS)),
        ("let x = 1e15 * 10", (1, 14, NUMBERS)),  # each written value fits; the product not
        ("let x = 1e999999999 um", (1, 9, LENGTHS)),  # beyond what decimals hold
        ("let x = -(1e6 um) - 1 um", (1, 19, LENGTHS)),
        ("rule W : width(A) >= 1e12 um", (1, 22, LENGTHS)),
        ("rule W : width(A) >= 1000001 um", (1, 22, LENGTHS)),
        ("rule W : width(A) >= 1e12", (1, 22, LENGTHS)),  # a plain number in um
        ("units nm\nrule W : width(A) >= 1e10", (2, 22, LENGTHS)),
        ("layer G = grow(A, 2 m)", (1, 21, "unexpected name 'm'; expected ')'")),
        ("layer G = grow(A, 2e6 um)", (1, 19, LENGTHS)),
        ("rule D : density(A, window 1e7 um) >= 1 %", (1, 28, LENGTHS)),
        (
            "rule AR : area(A) <= 1e13 um2",
            (1, 22, "value out of range: areas are at most 1e12 um2 (1 m2)"),
        ),
        (
            "rule BD : bump_density(A, within B) >= 1e13 /um2",
            (1, 40, "value out of range: counts per area are at most 1e12 /um2"),
        ),
        ("layer X = 65536/0", (1, 11, "layer number 65536 is out of range (0..65535)")),
        ("rule S : space(A) >= -0 um", (1, 22, "space limit must be positive")),
    ],
)
def test_enormous_numbers_are_errors_at_their_position(text: str, expected: tuple):
    assert error(text) == expected


def test_values_at_the_bounds_and_negative_zero_are_accepted():
    deck = load_deck_text(
        HEAD + "let big = 1e6 um\nlet tiny = 1e-999999999 um\nlet zero = -0 um\n"
        "let whole = 1e15\nrule AR : area(A) <= 1e12 um2\n"
        "rule BS : bump_size(A, tolerance -0 um) == 25 um\n"
        "rule D : density(A, window 1 mm) >= -0 %"
    )
    values = {name: value.value for name, value in deck.variables.items()}
    assert values == {"big": 1e6, "tiny": 0.0, "zero": 0.0, "whole": 1e15}
    assert math.copysign(1, values["zero"]) == 1  # no negative zero
    tolerance = deck.rule("BS").check.param("tolerance")
    assert math.copysign(1, tolerance.value) == 1
    assert deck.rule("D").check.constraints[0].limit.format() == "0 %"


def small_layout(path: Path) -> str:
    """Two boxes on 1/0, 150 um2 of a 450 um2 extent, at a database unit of 1 nm."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    top.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 10, 10))
    top.shapes(layout.layer(1, 0)).insert(kdb.DBox(20, 0, 30, 5))
    top.shapes(layout.layer(2, 0)).insert(kdb.DBox(0, 0, 45, 10))
    layout.write(str(path))
    return str(path)


def test_huge_accepted_limits_run_end_to_end(tmp_path: Path, capsys):
    """Lengths of 1 m, areas of 1 m2 and a window larger than the layout: the checks answer,
    and a window larger than the layout is cut to its extent (one window)."""
    deck = write(
        tmp_path / "huge.adk",
        "layer A = 1/0\nlayer B = 2/0\nlayer G = grow(A, 1e6 um)\n"
        "rule W : width(A) >= 1e6 um\n"
        "rule SP : space(A) >= 1000 mm\n"
        "rule AR : area(A) >= 1e12 um2\n"
        "rule GW : width(G) >= 1 um\n"
        "rule DEN : density(A, window 1e6 um) >= 50 %\n",
    )
    layout = small_layout(tmp_path / "small.gds")
    code = main(["check", layout, "--deck", str(deck), "-o", str(tmp_path / "huge.lyrdb")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err
    result = adk.check(layout, str(deck))
    counts = {outcome.rule.id: len(outcome.markers) for outcome in result.outcomes}
    assert counts == {"W": 2, "SP": 1, "AR": 2, "GW": 0, "DEN": 1}
    (window,) = next(o for o in result.outcomes if o.rule.id == "DEN").markers
    assert window.measured == pytest.approx(150 / 450)
    assert window.shape.bbox() == kdb.DBox(0, 0, 45, 10)


# ---------------------------------------------------------------- density windows
STEP_BEYOND_WINDOW = (
    "density step must not exceed the window: the layout between windows would go unchecked"
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rule D : density(A, window 1 mm, step 0 um) >= 1 %", (1, 39, "step must be positive")),
        ("rule D : density(A, window 0 um) >= 1 %", (1, 28, "window must be positive")),
        ("rule D : density(A, window -1 mm) >= 1 %", (1, 28, "window must be positive")),
        (
            "rule D : density(A, window 1 mm, step 1.001 mm) >= 1 %",
            (1, 10, STEP_BEYOND_WINDOW),
        ),
    ],
)
def test_density_windows_that_make_no_sense(text: str, expected: tuple):
    assert error(text) == expected


def test_a_step_as_long_as_the_window_is_accepted():
    deck = load_deck_text(HEAD + "rule D : density(A, window 1 mm, step 1000 um) >= 1 %\n")
    assert deck.rule("D").check.param("step").value == 1000


@pytest.mark.parametrize(
    "window, fault",
    [
        ("window 0.4 nm", "density window 0.0004 um or step 0.0004 um is below the layout's "
         "database unit 0.001 um"),
        ("window 1 um, step 0.4 nm", "density window 1 um or step 0.0004 um is below the "
         "layout's database unit 0.001 um"),
        # 45 um x 10 um in steps of 4 nm: 11 250 x 2 500 windows
        ("window 10 nm, step 4 nm", "density: 2.81e+07 windows over the layout, more than "
         "1e+07; use a larger step"),
    ],
)  # fmt: skip
def test_density_grids_a_layout_cannot_hold_are_errors_of_the_rule(
    tmp_path: Path, capsys, window: str, fault: str
):
    deck = write(tmp_path / "grid.adk", f"layer A = 1/0\nrule D : density(A, {window}) >= 1 %\n")
    layout = small_layout(tmp_path / "small.gds")
    code = main(["check", layout, "--deck", str(deck), "-o", str(tmp_path / "grid.lyrdb")])
    assert (code, capsys.readouterr().err) == (2, f"adk: error: {deck}:2:1: rule D: {fault}\n")


# ---------------------------------------------------------------- layer maps
MAPPED = "layer RDL1 = 10/0\nlayer VIA1 = 11/0\nlayer X = RDL1 and VIA1\n"


def map_errors(path: Path) -> list[tuple[int, int, str]]:
    deck = load_deck_text(MAPPED, "mapped.adk")
    with pytest.raises(DeckError) as caught:
        adk.api.apply_layer_map(deck, str(path))
    assert {d.file for d in caught.value.diagnostics} == {str(path)}
    return [(d.line, d.column, d.message) for d in caught.value.diagnostics]


def billion_laughs() -> str:
    lines = ['lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("just words\n", [(1, 1, "a layer map is a mapping of layer names to layer/datatype")]),
        (
            "layers:\n  - RDL1\n",
            [(2, 3, "a layer map is a mapping of layer names to layer/datatype")],
        ),
        (
            "RDL2: 1/0\n",
            [
                (
                    1,
                    1,
                    "unknown layer 'RDL2': the deck 'mapped' has no such layer (did you mean "
                    "'RDL1'?)",
                )
            ],
        ),
        ("RDL1: 1-0\n", [(1, 7, "layer 'RDL1': expected layer/datatype such as 10/0")]),
        ("RDL1: 1/0\nRDL1: 2/0\n", [(2, 1, "layer 'RDL1' is mapped twice")]),
        (billion_laughs(), [(7, 28, f"too many YAML aliases (more than {MAX_ALIASES})")]),
        (  # the mapping and 19 lists are 20 levels: the 20th '[' (from column 9) is one too many
            "layers: " + "[" * 3000 + "\n",
            [(1, 9 + 19, f"YAML nested too deeply (more than {MAX_NESTING} levels)")],
        ),
        ("RDL1: 1/0\x01\n", [(1, 10, "invalid YAML: special characters are not allowed (#x0001)")]),
        ("RDL1: [1, 0\n", [(2, 1, "invalid YAML: expected ',' or ']', but got '<stream end>'")]),
    ],
)
def test_malformed_layer_maps(tmp_path: Path, text: str, expected: list):
    assert map_errors(write(tmp_path / "map.yaml", text)) == expected


def test_a_layer_map_with_a_few_aliases_loads(tmp_path: Path):
    path = write(tmp_path / "map.yaml", "RDL1: &same 20/0\nVIA1: *same\n")
    assert {name: entry[:2] for name, entry in load_layer_map(str(path)).items()} == {
        "RDL1": (20, 0),
        "VIA1": (20, 0),
    }


def test_a_layer_map_over_the_size_limit_is_not_read(tmp_path: Path):
    assert MAX_BYTES == 1024 * 1024
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # 100 MB, sparse: nothing written
    assert map_errors(huge) == [(1, 1, "layer map over the limit of 1 MB")]
    assert map_errors(Path("/dev/zero")) == [(1, 1, "layer map over the limit of 1 MB")]


def test_a_layer_map_that_is_not_text(tmp_path: Path):
    path = tmp_path / "map.yaml"
    path.write_bytes(b"layers:\n  RDL1: 1/0\n  VIA1: \xff\xfe/0\n")
    assert map_errors(path) == [(3, 9, "layer map is not UTF-8 text")]


def test_a_layer_map_tag_constructs_nothing(tmp_path: Path):
    made = tmp_path / "made"
    path = write(tmp_path / "map.yaml", f"RDL1: !!python/object/apply:os.mkdir ['{made}']\n")
    assert map_errors(path) == [(1, 7, "layer 'RDL1': expected layer/datatype such as 10/0")]
    assert not made.exists()


def test_check_exits_2_on_a_layer_map_bomb(tmp_path: Path, capsys):
    deck = write(tmp_path / "d.adk", MAPPED)
    bomb = write(tmp_path / "bomb.yaml", billion_laughs())
    code = main(["check", "absent.gds", "--deck", str(deck), "--layer-map", str(bomb)])
    assert code == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{bomb}:7:28: error: too many YAML aliases (more than {MAX_ALIASES})"
    )


# ---------------------------------------------------------------- waiver files
def test_a_waiver_file_nested_too_deeply(tmp_path: Path):
    path = write(tmp_path / "waivers.yaml", "waivers: " + "[" * 3000 + "\n")
    with pytest.raises(DeckError) as caught:
        load_waivers(str(path))
    assert str(caught.value) == (
        f"{path}:1:{10 + 19}: error: YAML nested too deeply (more than 20 levels)"
    )


def test_a_waiver_file_with_a_forbidden_character(tmp_path: Path):
    path = write(tmp_path / "waivers.yaml", "waivers:\n- rule: \x07\n")
    with pytest.raises(DeckError) as caught:
        load_waivers(str(path))
    assert str(caught.value) == (
        f"{path}:2:9: error: not valid YAML: special characters are not allowed (#x0007)"
    )


def test_a_waiver_file_without_a_size_is_read_to_the_limit_only():
    with pytest.raises(AdkError) as caught:
        load_waivers("/dev/zero")
    assert str(caught.value) == "/dev/zero: waiver file over the limit of 10485760 bytes"


def test_yaml_is_only_ever_read_with_the_safe_loader():
    unsafe = re.compile(r"yaml\.(load|load_all|full_load|unsafe_load)\(|\b(Full|Unsafe)?Loader\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "adk").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line.replace("SafeLoader", ""))
    ]
    assert found == []


def test_workers_of_a_tiled_run_read_the_deck_with_its_roots(decks: Path, tmp_path: Path):
    write(decks.parent / "lib" / "lib.adk", "layer M = 1/0")
    top = write(decks / "top.adk", 'include "../lib/lib.adk"\nrule W : width(M) >= 2 um')
    layout = kdb.Layout()
    cell = layout.create_cell("TOP")
    cell.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 100, 1.5))
    cell.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 50, 100, 60))
    path = str(tmp_path / "lines.gds")
    layout.write(path)
    deck = load_deck(top, deck_roots=[decks.parent / "lib"])
    whole = adk.check(path, deck)
    tiled = adk.check(path, deck, jobs=2, tile_size=30)
    assert [m.text for m in tiled.outcomes[0].markers] == ["width 1.5 um < 2 um"]
    assert [m.text for m in tiled.outcomes[0].markers] == [
        m.text for m in whole.outcomes[0].markers
    ]


def test_a_deck_error_crosses_a_process_boundary_whole():
    import pickle

    error = DeckError([Diagnostic("d.adk", 2, 3, "unknown layer 'B'")], {"d.adk": "x\ny\n"})
    copy = pickle.loads(pickle.dumps(error))
    assert copy.diagnostics == error.diagnostics and copy.render() == error.render()


# ---------------------------------------------------------------- lengths beyond the grid
FINE_GRID_DECK = (
    "layer A = 1/0\n"
    "rule W : width(A) >= 1e6 um\n"  # 1e11 units of 0.01 nm: beyond KLayout's distances
    "rule S : space(A) >= 30000 um\n"  # 3e9: within them (unsigned 32 bits)
    "layer G = grow(A, 1e5 um)\n"
    "rule GW : width(G) >= 1 um\n"  # a grow of 1e10 units: beyond a coordinate
    "rule D : density(A, window 1e5 um) >= 1 %\n"  # a window larger than the layout
)


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]], ids=["whole", "tiled"])
def test_lengths_a_fine_grid_cannot_hold_are_errors_of_their_rules(
    tmp_path: Path, capsys, jobs: list[str]
):
    layout = kdb.Layout()
    layout.dbu = 0.00001
    layout.create_cell("TOP").shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 10**5, 10**5))
    path = str(tmp_path / "fine.gds")
    layout.write(path)
    deck = write(tmp_path / "fine.adk", FINE_GRID_DECK)
    argv = ["check", path, "--deck", str(deck), "-o", str(tmp_path / "fine.lyrdb"), "-q", *jobs]
    code = main(argv)
    beyond = "a length beyond what the layout's database unit can hold: Value out of range:"
    assert (code, capsys.readouterr().err.splitlines()) == (
        2,
        [
            f"adk: error: {deck}:2:1: rule W: {beyond} 100000000000, max value is 4294967295 "
            "for argument #1 ('d') in Region.width_check",
            f"adk: error: {deck}:5:1: rule GW: {beyond} 10000000000, max value is 2147483647 "
            "for argument #1 ('d') in Region.sized",
        ],
    )
    result = adk.check(path, str(deck))
    assert [outcome.status for outcome in result.outcomes] == ["error", "pass", "error", "pass"]
