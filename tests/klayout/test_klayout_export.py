"""adk export-klayout: the .lydrc file, without the KLayout application."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from adk import checks
from adk.api import load_deck
from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.export.lydrc import export_deck, not_exported_category
from tests.klayout.conftest import RULES

DECK = """deck demo "Demo <rules> & more" version "2"
layer A = 1/0
layer B = 2/0
layer C = 3/0
layer D = (A and B) or (A xor C)
layer E = (A not shrink(B, 1 um)) inside grow(C, 2 um)
layer F = A outside B
layer G = A interacting C
rule A.W "A width" : width(D) >= 2 um
rule A.S "A space, #1 \\\\ \\"quoted\\"" warning : space(E) > 2 um
rule A.AR "A area" : area(F) { area >= 10 um2  area <= 1 mm2 }
rule A.DEN "A density" : density(G, window 100 um, within B) < 50 %
rule A.KOZ "A out of C" : keepout(A, B, zone C) >= 1 um
rule A.P "A pitch" : pitch(A) >= 5 um
"""


def script_of(text: str) -> str:
    return ET.fromstring(text).findtext("text") or ""


def exported(kind: str) -> bool:
    return checks.exporter(kind) is not None


@pytest.mark.parametrize("kind", checks.kind_names())
def test_every_kind_has_a_translation_or_says_why_not(kind):
    module = checks.module(kind)
    assert hasattr(module, "lydrc") != hasattr(module, "NOT_EXPORTED")
    reason = checks.not_exported_reason(kind)
    assert exported(kind) == (reason is None)
    assert reason is None or (reason.strip() and "\n" not in reason)


def test_each_kind_translates_its_rules():
    text = DECK + (
        "rule A.EXT : extension(A, B) >= 2 um\n"
        "rule A.EDGE : keepout(A, B, edge C) >= 5 um\n"
        "rule A.ENC : enclosure(A, grow(B, 1 um)) >= 1 um\n"
        "rule A.SEP : separation(A, B) >= 3 um\n"
    )
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    limits = '[[">=", 2.0]]'
    assert (
        f"[adk_pairs(l_A.edges.enclosing(((l_A & l_B).edges & l_B.edges), "
        f'adk_threshold({limits})), "extension", {limits}, false)]' in script
    )
    limits, named = '[[">=", 5.0]]', '[["A", l_A], ["B", l_B]]'
    assert (
        f'[adk_named(l_C.edges.inside_part((l_A | l_B)), {named}, "keepout: ", '
        '" crosses the edge of C"), '
        f"adk_named_pairs((l_A | l_B).separation(l_C, adk_threshold({limits})), "
        f'"distance", {limits}, {named}, " to the edge of C"), '
        f"adk_named_pairs((l_A | l_B).enclosed(l_C, adk_threshold({limits})), "
        f'"distance", {limits}, {named}, " to the edge of C")]' in script
    )
    limits = '[[">=", 1.0]]'
    assert (
        f"[adk_pairs((l_B).sized(1.0).enclosing(l_A, adk_threshold({limits})), "
        f'"enclosure", {limits}, false), adk_pieces(l_A - (l_B).sized(1.0), ' in script
    )
    limits = '[[">=", 3.0]]'
    assert (
        f'[adk_pairs(l_A.separation(l_B, adk_threshold({limits})), "separation", {limits}, false), '
        'adk_pieces(l_A & l_B, "separation: A overlaps B")]' in script
    )


def test_texts_name_sized_layers_in_the_deck_unit():
    """A kind's translation does not know the deck's unit: a text naming a sized layer is
    chosen in the script, by the unit the script sets."""
    text = DECK.replace("layer A = 1/0", "units nm\nlayer A = 1/0")
    text += "rule A.ENC : enclosure(A, grow(B, 1 um)) >= 1 um\n"
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    assert '@adk_unit = "nm"' in script
    assert (
        '{"nm" => "enclosure: A outside grow(B, 1000 nm)", '
        '"um" => "enclosure: A outside grow(B, 1 um)", '
        '"mm" => "enclosure: A outside grow(B, 0.001 mm)"}[@adk_unit]' in script
    )


def test_translates_polygon_rules_and_lists_the_others_at_the_top():
    deck = load_deck(str(RULES / "focos_bridge.adk"))
    exported = export_deck(deck)
    kinds = {rule.id: rule.check.kind for rule in deck.rules}
    assert exported.rules == [r.id for r in deck.rules if checks.exporter(r.check.kind)]
    assert exported.skipped == [r.id for r in deck.rules if not checks.exporter(r.check.kind)]
    assert {kinds[rule] for rule in exported.skipped} >= {"pitch", "bump_size", "bridge", "align"}
    script = script_of(exported.text)
    header = script.split("\n\n")[0]
    for rule in exported.skipped:  # never silently dropped: listed, and an empty category
        assert f"#   {rule} " in header
        assert f'adk_not_exported("{not_exported_category(rule)}", ' in script
    for rule in exported.rules:
        assert f'adk_rule("{rule}", ' in script
    order = [r.id if r.id in exported.rules else not_exported_category(r.id) for r in deck.rules]
    categories = ("adk_rule(", "adk_not_exported(")
    found = [line.split('"')[1] for line in script.splitlines() if line.startswith(categories)]
    assert found == order  # one category per rule, in deck order
    assert "tiles" not in script and "threads" not in script


def test_layer_expressions_and_escaping():
    exported = export_deck(load_text(DECK, "demo.adk"))
    assert "Demo &lt;rules&gt; &amp; more" in exported.text and "<rules>" not in exported.text
    script = script_of(exported.text)  # the XML parses and gives the script back
    assert "l_D = ((l_A & l_B) | (l_A ^ l_C))" in script
    assert "l_E = ((l_A - (l_B).sized(-1.0))).inside((l_C).sized(2.0))" in script
    assert "l_F = (l_A).outside(l_B)" in script and "l_G = (l_A).interacting(l_C)" in script
    assert (
        'adk_rule("A.S", "A space, \\#1 \\\\ \\"quoted\\"", "warning", ["A", "B", "C"], '
        "joined: true)" in script
    )
    assert 'adk_area(l_F, [[">=", 10.0], ["<=", 1000000.0]])' in script
    assert 'adk_density(l_G, l_B, 100.0, 100.0, [["<", 0.5]])' in script
    assert 'adk_named((l_A | l_B) & l_C, [["A", l_A], ["B", l_B]], "keepout: ", " inside C")' in (
        script
    )
    assert "(l_A | l_B) & l_C" in script and "(l_A | l_B).separation(l_C" in script
    assert exported.skipped == ["A.P"]


def test_command_writes_the_script(tmp_path, capsys):
    out = tmp_path / "focos.lydrc"
    assert main(["export-klayout", str(RULES / "focos_bridge.adk"), "-o", str(out)]) == 0
    assert script_of(out.read_text(encoding="utf-8")).startswith("# adk deck focos_bridge")
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out}: ") and "not exported: " in printed


def test_markers_are_joined_where_the_rule_joins_them():
    text = DECK + (
        "rule A.S2 : space(A, markers pairs) >= 1 um\n"
        "rule A.DEN2 : density(A, window 10 um, markers windows) <= 50 %\n"
    )
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    assert 'adk_rule("A.W", "A width", "error", ["A", "B", "C"], joined: true) do' in script
    assert 'adk_rule("A.S2", "", "error", ["A"]) do' in script
    assert 'adk_rule("A.AR", "A area", "error", ["A", "B"]) do' in script  # nothing to join
    limits = '[["<", 0.5]]'
    assert f"[adk_joined_windows(adk_density(l_G, l_B, 100.0, 100.0, {limits}), {limits})]" in (
        script
    )
    assert '[adk_density(l_A, nil, 10.0, 10.0, [["<=", 0.5]])]' in script
    header = script.split("\n\n")[0]
    assert "# Markers and texts as adk check gives them" in header


def test_absent_layers_are_read_as_adk_check_reads_them():
    text = DECK.replace("layer C = 3/0", 'layer C = 3/0 optional "pins"')
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    assert 'l_A = adk_input("A", 1, 0)\n' in script
    assert 'l_C = adk_input("C", 3, 0, optional: true)\n' in script
    # the run's warnings and notes come first, before the rules' categories
    assert script.index("\nadk_about_run\n") < script.index('\nadk_rule("A.W"')
    header = script.split("\n\n")[0].replace("\n# ", " ")
    assert "a rule is not checked only when every drawn layer it reads is absent" in header


def test_grid_maximum_width_size_and_none_translate():
    text = DECK + (
        "rule A.GRID : ongrid(A, grid 5 nm)\n"
        "rule A.WMAX : width(A) { width >= 1 um  width <= 10 um }\n"
        "rule A.SIZE : size(A) { size == 0.2 um  length < 1 um }\n"
        "rule A.IN : none(A not_inside grow(B, 1 um))\n"
        "rule A.OUT : none(A not_outside B or A not_interacting C)\n"
    )
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    assert "[adk_off_grid(l_A, 0.005)]" in script
    assert (
        '[adk_pairs(l_A.width(adk_threshold([[">=", 1.0]])), "width", [[">=", 1.0]], true), '
        'adk_too_wide(l_A, [["<=", 10.0]])]' in script
    )
    assert '[adk_size(l_A, [["size", "==", 0.2], ["length", "<", 1.0]])]' in script
    assert (
        "[adk_pieces(((l_A).not_inside((l_B).sized(1.0))).merged, "
        '{"nm" => "shape of (A not_inside grow(B, 1000 nm))", ' in script
    )
    assert (
        "[adk_pieces((((l_A).not_outside(l_B) | (l_A).not_interacting(l_C))).merged, "
        '"shape of (A not_outside B or A not_interacting C)")]' in script
    )
    assert 'adk_rule("A.WMAX", "", "error", ["A"], joined: true) do' in script
