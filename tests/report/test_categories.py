"""Rules sharing a category (``category`` in the deck): one category of the marker
database, a column of the tables, a key of the JSON reports; each rule still its own, in
waivers, baselines and reports read back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk.api import load_deck_text
from adk.errors import AdkError, DeckError
from adk.export.lydrc import export_deck
from adk.layout.reader import LoadedLayout
from adk.report.markers import marker_database, write_marker_database
from adk.report.report_reader import read_report
from adk.report.rule_table import rules_json, rules_table
from adk.report.summary import summary_json, summary_table
from adk.run.engine import run_deck
from adk.run.plan import plan

DECK = """layer V1 = 1/0
layer M1 = 2/0
rule V1.M1 "via 1 in metal 1" : width(V1) >= 0.1 um
rule V1.IN "via 1 inside metal 1" category V1.M1 : none(V1 not_inside M1)
rule V1.ENC "via 1 enclosed by 200 nm" warning category V1.M1 : enclosure(V1, M1) >= 0.2 um
rule M1.W "metal 1 width" : width(M1) >= 1 um
"""


def deck_and_layout():
    deck = load_deck_text(DECK, "vias.adk")
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    metal, via = layout.layer(2, 0), layout.layer(1, 0)
    top.shapes(metal).insert(kdb.DBox(0, 0, 10, 10))
    top.shapes(via).insert(kdb.DBox(5, 5, 5.2, 5.2))  # inside, enclosed
    top.shapes(via).insert(kdb.DBox(0.1, 5, 0.3, 5.2))  # inside, 0.1 um from the edge
    top.shapes(via).insert(kdb.DBox(9.9, 2, 10.1, 2.2))  # sticking out
    return deck, LoadedLayout("<vias>", layout, top)


def run(only=None):
    deck, loaded = deck_and_layout()
    return run_deck(deck, deck.layers, loaded, only=only)


def test_rules_keep_their_ids_and_name_their_category():
    deck = load_deck_text(DECK, "vias.adk")
    assert [(r.id, r.category, r.reported_under) for r in deck.rules] == [
        ("V1.M1", "", "V1.M1"),
        ("V1.IN", "V1.M1", "V1.M1"),
        ("V1.ENC", "V1.M1", "V1.M1"),
        ("M1.W", "", "M1.W"),
    ]
    assert list(deck.categories()) == ["V1.M1", "M1.W"]


def test_category_is_a_word_only_after_the_severity():
    deck = load_deck_text(
        "layer category = 1/0\nrule category category category : width(category) >= 1 um\n"
    )
    assert deck.rules[0].id == "category" and deck.rules[0].category == "category"


def test_a_category_naming_a_rule_of_another_category_is_refused():
    text = DECK + "rule X category V1.ENC : width(M1) >= 2 um\n"
    with pytest.raises(DeckError) as caught:
        load_deck_text(text, "vias.adk")
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (7, 17)
    assert diagnostic.message == (
        "category 'V1.ENC' is the id of the rule at vias.adk:5:1, reported under 'V1.M1'; "
        "give that rule 'category V1.ENC' or choose another name"
    )


def test_one_category_of_the_marker_database_for_the_rules_sharing_it():
    db = marker_database(run())
    categories = {category.name(): category for category in db.each_category()}
    assert list(categories)[-2:] == ["V1.M1", "M1.W"]
    shared = categories["V1.M1"]
    assert shared.description == (
        "V1.M1: via 1 in metal 1 (error); V1.IN: via 1 inside metal 1 (error); "
        "V1.ENC: via 1 enclosed by 200 nm (warning)"
    )
    items = list(db.each_item_per_category(shared.rdb_id()))
    tags = sorted(item.tags_str for item in items)
    assert tags == ["error,'rule V1.IN'", "warning,'rule V1.ENC'", "warning,'rule V1.ENC'"]
    assert categories["M1.W"].description == "metal 1 width (error)"


def test_reports_read_back_give_each_marker_its_rule(tmp_path: Path):
    result = run()
    path = tmp_path / "vias.lyrdb"
    write_marker_database(result, str(path))
    found = [(m.rule, m.index, m.text) for m in read_report(str(path)).markers]
    expected = [
        (outcome.rule.id, index, marker.text)
        for outcome in result.outcomes
        for index, marker in enumerate(outcome.markers)
    ]
    assert sorted(found) == sorted(expected)
    assert {rule for rule, _, _ in found} == {"V1.IN", "V1.ENC"}


def test_tables_and_json_name_the_categories():
    result = run()
    table = summary_table(result).splitlines()
    assert table[0].split()[:3] == ["rule", "category", "severity"]
    assert table[3].split()[:3] == ["V1.IN", "V1.M1", "error"]
    rules = json.loads(summary_json(result, None))["rules"]
    assert [(r["id"], r["category"], r["count"]) for r in rules] == [
        ("V1.M1", "V1.M1", 0),
        ("V1.IN", "V1.M1", 1),
        ("V1.ENC", "V1.M1", 2),
        ("M1.W", "M1.W", 0),
    ]
    deck = load_deck_text(DECK, "vias.adk")
    assert rules_table(deck).splitlines()[0].split()[:3] == ["id", "category", "check"]
    assert json.loads(rules_json(deck))["rules"][2]["category"] == "V1.M1"


def test_tables_without_categories_are_as_before():
    deck = load_deck_text("layer M1 = 2/0\nrule M1.W : width(M1) >= 1 um\n")
    assert rules_table(deck).splitlines()[0].split() == [
        "id",
        "check",
        "layers",
        "value",
        "severity",
        "description",
    ]


def test_a_category_selects_its_rules():
    deck = load_deck_text(DECK, "vias.adk")
    chosen = [item.rule.id for item in plan(deck, deck.layers, ["V1.M1"])]
    assert chosen == ["V1.M1", "V1.IN", "V1.ENC"]
    assert [item.rule.id for item in plan(deck, deck.layers, ["V1.IN"])] == ["V1.IN"]
    with pytest.raises(AdkError, match="no rule 'V2'"):
        plan(deck, deck.layers, ["V2"])


def test_a_rule_run_alone_still_reports_under_its_category():
    db = marker_database(run(only=["V1.ENC"]))
    [category] = [c for c in db.each_category() if c.name() != "about this run"]
    assert category.name() == "V1.M1"
    assert category.description == "V1.ENC: via 1 enclosed by 200 nm (warning)"


def test_the_klayout_script_writes_the_shared_category():
    script = ET.fromstring(export_deck(load_deck_text(DECK, "vias.adk")).text).findtext("text")
    assert 'adk_rule("V1.M1", "via 1 in metal 1", "error", ["V1"], joined: true, ' in script
    assert 'category: "V1.M1") do' in script
    assert 'adk_rule("V1.IN", "via 1 inside metal 1", "error", ["V1", "M1"], ' in script
    assert 'adk_rule("M1.W", "metal 1 width", "error", ["M1"], joined: true) do' in script


def test_klayout_reads_the_rule_tags_back(tmp_path: Path):
    path = tmp_path / "vias.lyrdb"
    write_marker_database(run(), str(path))
    db = rdb.ReportDatabase("")
    db.load(str(path))
    tagged = db.tag_id("rule V1.IN")
    assert sum(item.has_tag(tagged) for item in db.each_item()) == 1
