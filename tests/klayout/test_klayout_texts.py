"""What the ADK menu writes and shows, without the KLayout application: the run summary, the
layer-properties file and the deck's layers named in a view (the standalone module's
LayoutView), the decks' titles, the rule manual as HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import klayout.db as kdb
import klayout.lay as lay

import adk
from adk.api import load_deck_text
from adk.cli import main
from adk.examples.writer import write_example
from adk.klayout import plugin
from adk.klayout.layers import HOLLOW, PALETTE, STIPPLES, layer_styles, lyp_text
from adk.klayout.pages import markdown_html
from adk.klayout.summary import cancelled_summary, run_summary
from adk.layout.reader import LoadedLayout
from adk.report.manual import deck_manual
from tests.klayout.conftest import RULES

DECK = """deck demo "Demo rules" version "2.1"
layer A = 1/0 "metal A"
layer B = 2/0 "die Outline"
layer C = 1/0 "metal A again"
layer D = A and B "derived, never drawn"
rule A.W "A minimum width" : width(A) >= 2 um
rule A.S "A minimum space" warning : space(A) >= 2 um
rule B.W "B minimum width" : width(B) >= 1 um
rule B.A : area(B) >= 1 um2
"""


def demo_run():
    """A run where A.W and A.S fail (two narrow shapes close together) and B is absent."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    for left in (0, 1500):
        top.shapes(layout.layer(1, 0)).insert(kdb.Box(left, 0, left + 1000, 10000))
    deck = load_deck_text(DECK, "demo.adk")
    return adk.check(LoadedLayout("/data/demo.gds", layout, top), deck)


def test_summary_counts_rules_and_names_the_unchecked_with_their_absent_layers():
    lines = run_summary(demo_run(), "/out/demo.demo.lyrdb").splitlines()
    assert lines[0].startswith("demo 2.1 on demo.gds (cell TOP), ")
    assert lines[1] == "4 rules: 2 checked (2 failed, 0 passed), 2 not checked"
    assert lines[2] == "3 markers: 2 error, 1 warning"
    assert lines[3] == "layers absent from the layout: B"
    assert lines[5:8] == [
        "failed:",
        "  A.W     2 markers  error    A minimum width",
        "  A.S     1 marker   warning  A minimum space",
    ]
    assert lines[9:12] == ["not checked:", "  B.W  absent: B", "  B.A  absent: B"]
    assert lines[-1] == "marker database: /out/demo.demo.lyrdb"


def test_a_cancelled_run_says_how_far_it_got():
    assert cancelled_summary("focos_bridge", 3, 22, "BR.M1.W") == (
        "focos_bridge: cancelled after 3 of 22 rules, during BR.M1.W.\n"
        "No marker database was written; the markers of an earlier run are unchanged.\n"
    )
    assert cancelled_summary("bench", 1, 11, "RDL1.S", 5, 16).startswith(
        "bench: cancelled after 1 of 11 rules, during RDL1.S (5 of its 16 tiles done).\n"
    )
    assert cancelled_summary("bench", 0, 0).startswith("bench: cancelled before the first rule.\n")


def test_lyp_names_each_drawn_layer_once_with_distinct_styles():
    deck = load_deck_text(DECK, "demo.adk")
    root = ET.fromstring(lyp_text(deck))
    entries = [(p.findtext("source"), p.findtext("name")) for p in root.iter("properties")]
    # A and C share 1/0; the derived layer D is not drawn
    assert entries == [("1/0@1", "A - metal A; C - metal A again"), ("2/0@1", "B - die Outline")]
    styles = layer_styles(deck)
    assert [(s.stipple, s.width) for s in styles] == [(STIPPLES[0], 0), (HOLLOW, 2)]  # outline
    assert [p.findtext("width") for p in root.iter("properties")] == [None, "2"]
    shipped = [layer_styles(adk.load_deck(str(path))) for path in sorted(RULES.glob("[!c]*.adk"))]
    for styles in shipped:
        pairs = [(style.color, style.stipple) for style in styles]
        assert len(set(pairs)) == len(pairs)  # no two layers of a deck look alike
        assert {color for color, _ in pairs} <= set(PALETTE)
        assert {stipple for _, stipple in pairs} <= {*STIPPLES, HOLLOW}
    assert layer_styles(adk.load_deck("focos_bridge")) == layer_styles(
        adk.load_deck("focos_bridge")
    )


def test_lyp_command(tmp_path, capsys):
    out = tmp_path / "focos.lyp"
    layer_map = tmp_path / "map.yaml"
    layer_map.write_text("layers:\n  RDL1: 110/5\n", encoding="utf-8")
    assert (
        main(["klayout", "lyp", "focos_bridge", "--layer-map", str(layer_map), "-o", str(out)]) == 0
    )
    assert capsys.readouterr().out == f"wrote {out}: 14 layers of focos_bridge\n"
    sources = {p.findtext("name"): p.findtext("source") for p in ET.parse(out).iter("properties")}
    assert sources["RDL1 - fan-out RDL metal 1"] == "110/5@1"
    assert main(["klayout", "lyp", "no_such_deck", "-o", str(out)]) == 2


def test_manual_as_html_keeps_its_tables_and_code():
    manual = deck_manual(adk.load_deck("focos_bridge"))
    page = markdown_html(manual)
    assert page.startswith(
        "<h1>FOCoS-Bridge assembly rules</h1>\n<p>Deck <code>focos_bridge</code>"
    )
    assert (
        "<tr><td>DIE</td><td><code>ASIC or HBM</code></td><td>every die outline</td></tr>" in page
    )
    assert page.count("<table>") == manual.count("\n## ")  # one table per section
    escaped = markdown_html("| a \\| b | `x < y` |\n|---|---|\n| 1 | 2 |\n")
    assert escaped == (
        "<table>\n<tr><th>a | b</th><th><code>x &lt; y</code></th></tr>\n"
        "<tr><td>1</td><td>2</td></tr>\n</table>\n"
    )


def test_a_run_on_a_view_names_the_decks_layers_and_keeps_the_others(tmp_path):
    layout_path = tmp_path / "focos_bridge.gds"
    write_example("focos_bridge", str(layout_path), dirty=True)
    view = lay.LayoutView()
    view.load_layout(str(layout_path), True)
    layout = view.cellview(0).layout()
    layout.top_cell().shapes(layout.layer(99, 0)).insert(kdb.Box(0, 0, 1000, 1000))
    view.add_missing_layers()
    own = {}
    iterator = view.begin_layers()
    while not iterator.at_end():
        node = iterator.current().dup()
        node.name, node.fill_color = f"mine {node.source}", 0x123456
        view.set_layer_properties(iterator, node)
        own[node.source] = node.name
        iterator.next()

    run = plugin.check_on_view(view, "focos_bridge", output=str(tmp_path / "run.lyrdb"))
    assert run.report == str(tmp_path / "run.lyrdb") and run.result.deck.name == "focos_bridge"
    assert plugin.name_layers(view, run.result.deck) == 14
    names, iterator = {}, view.begin_layers()
    while not iterator.at_end():
        names[iterator.current().source] = iterator.current().name
        iterator.next()
    styles = {f"{s.layer}/{s.datatype}@1": s.name for s in layer_styles(run.result.deck)}
    assert names == {**own, **styles} and names["99/0@1"] == "mine 99/0@1"


def test_decks_are_listed_with_their_titles_and_manuals():
    choices = {name: title for name, _, title in plugin.deck_choices()}
    assert choices["focos_bridge"] == "FOCoS-Bridge assembly rules (focos_bridge 1.0)"
    assert choices["ic25d"].endswith("(ic25d 1.0)")
    title, manual = plugin.rule_manual(str(RULES / "focos_bridge.adk"))
    assert title == choices["focos_bridge"]
    assert manual == deck_manual(adk.load_deck("focos_bridge"), str(RULES))  # as docs/rules/
