"""Rules sharing a category (``category`` in the deck): one category of the marker
database, a column of the tables, a key of the JSON reports, a taxon in SARIF, a class in
JUnit, a section of the HTML page; each rule still its own, in waivers, baselines and
reports read back."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk.api import load_deck_text
from adk.errors import AdkError, DeckError
from adk.export.lydrc import export_deck
from adk.layout.reader import LoadedLayout
from adk.report.html import write_html
from adk.report.json_report import report_json
from adk.report.junit import junit_xml
from adk.report.markers import marker_database, write_marker_database
from adk.report.report_reader import read_report
from adk.report.rule_table import rules_json, rules_table
from adk.report.sarif import sarif_log
from adk.report.summary import summary_json, summary_table
from adk.report.text_report import text_summary
from adk.run.engine import run_deck
from adk.run.plan import plan
from tests.report.conftest import SARIF_SCHEMA

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


# ---------------------------------------------------------------- in every report
def run_with_layout():
    deck, loaded = deck_and_layout()
    return run_deck(deck, deck.layers, loaded), loaded


def sarif_validator() -> jsonschema.Draft4Validator:
    with open(SARIF_SCHEMA, encoding="utf-8") as handle:
        return jsonschema.Draft4Validator(json.load(handle))


def test_sarif_keeps_a_descriptor_per_rule_and_names_its_category():
    log = sarif_log(run())
    sarif_validator().validate(log)
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [(r["id"], r["properties"]["category"]) for r in rules] == [
        ("V1.M1", "V1.M1"), ("V1.IN", "V1.M1"), ("V1.ENC", "V1.M1"), ("M1.W", "M1.W"),
    ]  # fmt: skip
    assert [r["properties"]["tags"] for r in rules] == [
        ["layout", "width", "category V1.M1"],
        ["layout", "none", "category V1.M1"],
        ["layout", "enclosure", "category V1.M1"],
        ["layout", "width"],
    ]
    relationship = {
        "target": {
            "id": "V1.M1",
            "index": 0,
            "toolComponent": {"name": "adk categories", "index": 0},
        },
        "kinds": ["superset"],
    }
    assert [r.get("relationships") for r in rules] == [[relationship]] * 3 + [None]
    assert sarif_run["taxonomies"] == [
        {
            "name": "adk categories",
            "taxa": [
                {
                    "id": "V1.M1",
                    "shortDescription": {
                        "text": "V1.M1: via 1 in metal 1 (error); V1.IN: via 1 inside metal 1 "
                        "(error); V1.ENC: via 1 enclosed by 200 nm (warning)"
                    },
                }
            ],
        }
    ]
    # results stay the rules'
    assert [r["ruleId"] for r in sarif_run["results"]] == ["V1.IN", "V1.ENC", "V1.ENC"]


def test_sarif_without_categories_has_no_taxonomy():
    deck = load_deck_text("layer M1 = 2/0\nrule M1.W : width(M1) >= 1 um\n", "plain.adk")
    _, loaded = deck_and_layout()
    log = sarif_log(run_deck(deck, deck.layers, loaded))
    sarif_validator().validate(log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["category"] == "M1.W"
    assert rule["properties"]["tags"] == ["layout", "width"] and "relationships" not in rule
    assert "taxonomies" not in log["runs"][0]


def test_junit_groups_the_rules_of_a_category_by_classname():
    root = ET.fromstring(junit_xml(run()))
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert cases == [
        ("adk.vias.V1.M1", "V1.M1"),
        ("adk.vias.V1.M1", "V1.IN"),
        ("adk.vias.V1.M1", "V1.ENC"),
        ("adk.vias", "M1.W"),
    ]
    failure = root.find(".//testcase[@name='V1.IN']/failure")
    assert failure.get("message") == "1 marker (error), worst: shape of (V1 not_inside M1)"
    assert failure.text == "1: shape of (V1 not_inside M1) at [9.9, 2, 10.1, 2.2] um"


class Sections(HTMLParser):
    """The rule and category sections of a page, each with the section it is in."""

    def __init__(self, text: str):
        super().__init__()
        self.parents: dict[str, str | None] = {}
        self._open: list[str | None] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            values = dict(attrs)
            name = values.get("id") if values.get("class") in ("rule", "category") else None
            if name:
                self.parents[name] = next((o for o in reversed(self._open) if o), None)
            self._open.append(name)

    def handle_endtag(self, tag):
        if tag == "section":
            self._open.pop()


def test_html_groups_the_rules_of_a_category_under_its_heading(tmp_path: Path):
    result, loaded = run_with_layout()
    write_html(result, str(tmp_path / "page"), layout=loaded)
    text = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert (
        "<thead><tr><th>rule</th><th>category</th><th>severity</th><th>status</th>"
        "<th>count</th><th>worst</th><th>description</th></tr></thead>"
    ) in text
    assert (
        '<tr><td><a href="#rule-V1.IN">V1.IN</a></td>'
        '<td><a href="#category-V1.M1">V1.M1</a></td><td class="error">error</td>'
    ) in text
    assert '<tr><td><a href="#rule-M1.W">M1.W</a></td><td>M1.W</td>' in text
    headings = re.findall(r'<section class="(?:rule|category)" id="([^"]+)">\n<(h\d)>', text)
    assert headings == [
        ("category-V1.M1", "h2"),
        ("rule-V1.M1", "h3"),
        ("rule-V1.IN", "h3"),
        ("rule-V1.ENC", "h3"),
        ("rule-M1.W", "h2"),
    ]
    assert Sections(text).parents == {
        "category-V1.M1": None,
        "rule-V1.M1": "category-V1.M1",
        "rule-V1.IN": "category-V1.M1",
        "rule-V1.ENC": "category-V1.M1",
        "rule-M1.W": None,
    }
    assert (
        "<h2>V1.M1 <small>category: V1.M1, V1.IN, V1.ENC</small></h2>\n"
        "<p>3 rules reported under V1.M1, 3 markers.</p>\n"
        '<section class="rule" id="rule-V1.M1">'
    ) in text


def test_html_puts_a_category_at_its_first_rule(tmp_path: Path):
    text = (
        "layer V1 = 1/0\nlayer M1 = 2/0\n"
        "rule A.W category A : width(V1) >= 0.1 um\n"
        "rule M1.W : width(M1) >= 1 um\n"
        "rule A.IN category A : none(V1 not_inside M1)\n"
    )
    deck = load_deck_text(text, "apart.adk")
    _, loaded = deck_and_layout()
    write_html(run_deck(deck, deck.layers, loaded), str(tmp_path / "page"), layout=loaded)
    page = (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    assert Sections(page).parents == {
        "category-A": None, "rule-A.W": "category-A", "rule-A.IN": "category-A",
        "rule-M1.W": None,
    }  # fmt: skip
    assert list(Sections(page).parents) == ["category-A", "rule-A.W", "rule-A.IN", "rule-M1.W"]
    assert "<p>2 rules reported under A, 1 marker.</p>" in page
    # the summary keeps the deck's order
    assert re.findall(r'<tr><td><a href="#rule-([^"]+)"', page) == ["A.W", "M1.W", "A.IN"]


def test_json_and_text_give_each_rules_category():
    result = run()
    rules = json.loads(report_json(result))["rules"]
    assert [(r["id"], r["category"]) for r in rules] == [
        ("V1.M1", "V1.M1"), ("V1.IN", "V1.M1"), ("V1.ENC", "V1.M1"), ("M1.W", "M1.W"),
    ]  # fmt: skip
    table = [line.split()[:2] for line in text_summary(result).splitlines()[2:6]]
    assert table == [["V1.M1", "V1.M1"], ["V1.IN", "V1.M1"], ["V1.ENC", "V1.M1"], ["M1.W", "M1.W"]]
