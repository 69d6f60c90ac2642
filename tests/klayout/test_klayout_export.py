"""adk export-klayout: the .lydrc file, without the KLayout application."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from adk import checks
from adk.api import load_deck
from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.export.lydrc import export_deck
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
    return ET.fromstring(text).findtext("text")


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
    )
    script = script_of(export_deck(load_text(text, "demo.adk")).text)
    limits = '[[">=", 2.0]]'
    assert (
        f"[adk_short(l_A.edges.enclosing(((l_A & l_B).edges & l_B.edges), "
        f"adk_threshold({limits})), {limits})]" in script
    )
    limits = '[[">=", 5.0]]'
    assert (
        f"[l_C.edges.inside_part((l_A | l_B)), "
        f"adk_short((l_A | l_B).separation(l_C, adk_threshold({limits})), {limits}), "
        f"adk_short((l_A | l_B).enclosed(l_C, adk_threshold({limits})), {limits})]" in script
    )
    limits = '[[">=", 1.0]]'
    assert (
        f"[adk_short((l_B).sized(1.0).enclosing(l_A, adk_threshold({limits})), {limits}), "
        "l_A - (l_B).sized(1.0)]" in script
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
    for rule in exported.skipped:  # never silently dropped
        assert f"#   {rule} " in header
    for rule in exported.rules:
        assert f'adk_rule("{rule}", ' in script
    assert "tiles" not in script and "threads" not in script


def test_layer_expressions_and_escaping():
    exported = export_deck(load_text(DECK, "demo.adk"))
    assert "Demo &lt;rules&gt; &amp; more" in exported.text and "<rules>" not in exported.text
    script = script_of(exported.text)  # the XML parses and gives the script back
    assert "l_D = ((l_A & l_B) | (l_A ^ l_C))" in script
    assert "l_E = ((l_A - (l_B).sized(-1.0))).inside((l_C).sized(2.0))" in script
    assert "l_F = (l_A).outside(l_B)" in script and "l_G = (l_A).interacting(l_C)" in script
    assert 'adk_rule("A.S", "A space, \\#1 \\\\ \\"quoted\\" (warning)", ["A", "B", "C"])' in script
    assert 'adk_area(l_F, [[">=", 10.0], ["<=", 1000000.0]])' in script
    assert 'adk_density(l_G, l_B, 100.0, 100.0, [["<", 0.5]])' in script
    assert "(l_A | l_B) & l_C" in script and "(l_A | l_B).separation(l_C" in script
    assert exported.skipped == ["A.P"]


def test_command_writes_the_script(tmp_path, capsys):
    out = tmp_path / "focos.lydrc"
    assert main(["export-klayout", str(RULES / "focos_bridge.adk"), "-o", str(out)]) == 0
    assert script_of(out.read_text(encoding="utf-8")).startswith("# adk deck focos_bridge")
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out}: ") and "not exported: " in printed


def test_rules_with_marker_areas_are_named_in_the_header():
    text = DECK + "rule A.S2 : space(A, markers areas) >= 1 um\n"
    header = script_of(export_deck(load_text(text, "demo.adk")).text).split("\n\n")[0]
    assert header.endswith(
        "# One marker per edge pair here, where adk joins touching pairs "
        "into one area ('markers areas'): A.S2"
    )
