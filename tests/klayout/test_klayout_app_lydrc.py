"""The exported .lydrc, run by the KLayout application in batch mode, gives on each dirty
example the marker database ``adk check`` gives, rule by rule, for the rules it translates:
the same categories and descriptions, and the same markers, with the same shapes, texts and
severity tags; the rules it cannot translate are empty categories saying so."""

from __future__ import annotations

import math
import subprocess
from dataclasses import replace
from pathlib import Path

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk import checks
from adk.api import load_deck, load_deck_text
from adk.examples import PILLARS
from adk.export.lydrc import _PRELUDE, export_deck, not_exported_category
from adk.lang.model import Deck
from adk.lang.units import LENGTH_UNITS, Dim, Quantity
from adk.layout.reader import read_layout
from adk.report.markers import write_marker_database
from adk.run.engine import run_deck
from tests.checks.test_cases import cases_of, deck_of, draw
from tests.klayout.conftest import RULES, example_and_report

DECKS = [pillar for pillar in PILLARS if (RULES / f"{pillar}.adk").is_file()]

# a category: its description and its markers, each as (shape, text, tags)
Category = tuple[str, list[tuple[str, str, str]]]


def categories(report: Path) -> dict[str, Category]:
    """Every category of a marker database, in order, with its markers sorted."""
    database = rdb.ReportDatabase("")
    database.load(str(report))
    names = {category.rdb_id(): category.name() for category in database.each_category()}
    found: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names.values()}
    for item in database.each_item():
        values = list(item.each_value())
        shapes = [str(value) for value in values if not value.is_string()]
        texts = [value.string() for value in values if value.is_string()]
        found[names[item.category_id()]].append(("".join(shapes), "".join(texts), item.tags_str))
    descriptions = {category.name(): category.description for category in database.each_category()}
    return {name: (descriptions[name], sorted(items)) for name, items in found.items()}


def marker_count(report: Path) -> int:
    return sum(len(items) for _, items in categories(report).values())


def run_script(klayout_exe: str, text: str, layout: Path, folder: Path) -> Path:
    """Run a script (a .lydrc file's text) on ``layout`` in the application; its report."""
    script = folder / "deck.lydrc"
    script.write_text(text, encoding="utf-8")
    report = folder / "deck.drc.lyrdb"
    done = subprocess.run(
        [klayout_exe, "-b", "-r", str(script), "-rd", f"input={layout}", "-rd", f"report={report}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.is_file(), done.stdout + done.stderr
    return report


def adk_report(deck: Deck, layout: Path, folder: Path) -> Path:
    """The marker database ``adk check`` writes for ``deck`` on ``layout``."""
    report = folder / "deck.adk.lyrdb"
    write_marker_database(run_deck(deck, deck.layers, read_layout(str(layout))), str(report))
    return report


def expected_categories(deck: Deck, adk: Path) -> dict[str, Category]:
    """adk's categories as the script writes them: those of the rules it cannot translate
    empty and named so, in the same place."""
    rules = {rule.id: rule for rule in deck.rules}
    expected = {}
    for name, category in categories(adk).items():
        reason = checks.not_exported_reason(rules[name].check.kind) if name in rules else None
        if reason is None:
            expected[name] = category
        else:
            rule = rules[name]
            description = f"{rule.description} ({rule.severity})"
            advice = f"[not exported: {reason}; check with adk check]"
            expected[not_exported_category(name)] = (f"{description} {advice}", [])
    return expected


def assert_same_markers(deck: Deck, adk: Path, drc: Path) -> None:
    expected, found = expected_categories(deck, adk), categories(drc)
    assert list(found) == list(expected)  # one category per rule, in deck order
    assert found == expected


@pytest.mark.parametrize("pillar", DECKS)
def test_exported_script_gives_what_adk_check_gives(klayout_exe, pillar, tmp_path):
    layout, adk = example_and_report(tmp_path, pillar)
    deck = load_deck(str(RULES / f"{pillar}.adk"))
    drc = run_script(klayout_exe, export_deck(deck).text, layout, tmp_path)
    assert_same_markers(deck, adk, drc)


def every_pair(deck: Deck) -> Deck:
    """The deck with every rule that joins markers keeping them all instead."""
    rules = []
    for rule in deck.rules:
        spec = checks.specs()[rule.check.kind].param("markers")
        if spec is not None:
            keep = "windows" if "windows" in spec.choices else "pairs"
            params = (*[p for p in rule.check.params if p[0] != "markers"], ("markers", keep))
            rule = replace(rule, check=replace(rule.check, params=params))
        rules.append(rule)
    return replace(deck, rules=rules)


@pytest.mark.parametrize("pillar", ["focos_bridge", "fopop"])
def test_markers_pairs_and_windows_give_every_pair_and_window(klayout_exe, pillar, tmp_path):
    layout, joined = example_and_report(tmp_path, pillar)
    deck = every_pair(load_deck(str(RULES / f"{pillar}.adk")))
    adk = adk_report(deck, layout, tmp_path)
    drc = run_script(klayout_exe, export_deck(deck).text, layout, tmp_path)
    assert_same_markers(deck, adk, drc)
    texts = [text for _, items in categories(drc).values() for _, text, _ in items]
    assert not any(text.endswith(("edge pairs)", "windows)")) for text in texts)
    assert marker_count(adk) > marker_count(joined)


ABSENT = """deck absent "absent layers" version "1"
units {unit}
layer M1 = 1/0 "metal 1"
layer M1_PIN = 1/10 optional "metal 1 pins"
layer M1_FILL = 1/30 optional "metal 1 fill"
layer M2 = 2/0 "metal 2"
layer M3 = 3/0 "metal 3"
layer PIN2 = 2/10 optional "metal 2 pins"
layer KOZ = 4/0 "keep-out zones"
layer M1ALL = M1 or M1_PIN or M1_FILL "all of metal 1"
rule M1.W "M1 width" : width(M1ALL) >= 2 um
rule M1.A "M1 area" warning : area(M1) {{ area >= 5 um2  area <= 0.2 mm2 }}
rule M2.S "M2 space" : space(M2) >= 2 um
rule PIN2.W "pin width" info : width(PIN2) >= 1 um
rule M1.M3 "M1 to M3" : separation(M1, M3) >= 1 um
rule M1.KOZ "M1 and fill out of grown zones" : keepout(M1, M1_FILL, zone grow(KOZ, 2 um)) >= 1.5 um
rule M1.SEP "M1 off grown zones" : separation(M1, grow(KOZ, 1500 nm)) >= 1 um
rule M1.DEN "M1 density" : density(M1, window 20 um, step 10 um) <= 30 %
"""


def absent_layout(path: Path) -> None:
    """Metal 1 and keep-out zones only: metal 2 and 3 and every optional layer are absent."""
    layout = kdb.Layout()
    top = layout.create_cell("TOP")
    shapes = {
        (1, 0): [(0, 0, 1500, 10000), (3000, 0, 13000, 10000), (14000, 0, 514000, 500000)]
        + [(0, 20000, 2000, 21000)],
        (4, 0): [(0, 11000, 4000, 12000)],
    }
    for (layer, datatype), boxes in shapes.items():
        for box in boxes:
            top.shapes(layout.layer(layer, datatype)).insert(kdb.Box(*box))
    layout.write(str(path))


@pytest.mark.parametrize("unit", LENGTH_UNITS)
def test_absent_layers_read_as_adk_check_reads_them(klayout_exe, unit, tmp_path):
    deck = load_deck_text(ABSENT.format(unit=unit), str(tmp_path / "absent.adk"))
    layout = tmp_path / "absent.gds"
    absent_layout(layout)
    adk = adk_report(deck, layout, tmp_path)
    drc = run_script(klayout_exe, export_deck(deck).text, layout, tmp_path)
    assert_same_markers(deck, adk, drc)
    found = categories(drc)
    assert found["M1.W"][0].endswith("[absent, read as empty: M1_PIN, M1_FILL]")
    assert found["M2.S"][0].endswith("[not checked: missing M2]")
    assert found["PIN2.W"][0].endswith("[not checked: optional layers absent: PIN2]")
    assert found["about this run"][1] == [
        ("", "layers M2, M3 absent from the layout, read as empty", "warning"),
        ("", "optional layers M1_FILL, M1_PIN, PIN2 absent from the layout, read as empty", "info"),
    ]
    assert next(iter(found)) == "about this run"


# values around each unit's and each format's edges: four decimals, large units, signs
VALUES = [0.0, -0.00001, 0.00004, 0.00005, 0.5, 1 / 3, 2 / 3, 0.7, 1.00005, 1.5, 999.99996]
VALUES += [1000.0, 1234.56789, 99999.99995, 100000.0, 123456.789, 2e6, math.pi * 1e4]


@pytest.mark.parametrize("unit", LENGTH_UNITS)
def test_script_formats_values_as_adk_does(klayout_exe, unit, tmp_path):
    dims = {":length": Dim.LENGTH, ":area": Dim.AREA, ":ratio": Dim.RATIO}
    lines = [
        f'@adk_deck = "x"\n@adk_title = "x"\n@adk_unit = "{unit}"\n@adk_generator = "x"',
        _PRELUDE,
        *(f"puts adk_quantity({value!r}, {dim})" for dim in dims for value in VALUES),
    ]
    script = tmp_path / "format.drc"
    script.write_text("\n".join(lines), encoding="utf-8")
    layout = tmp_path / "empty.gds"
    empty = kdb.Layout()
    empty.create_cell("TOP")
    empty.write(str(layout))
    done = subprocess.run(
        [klayout_exe, "-b", "-r", str(script), "-rd", f"input={layout}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = [Quantity(value, dim).format(unit) for dim in dims.values() for value in VALUES]
    assert done.stdout.splitlines() == expected, done.stderr


# kinds whose translations are checked on their own cases, beside the examples' decks
CASE_KINDS = ["ongrid", "size", "none", "width"]
CASE_STEP = 2000.0  # um between the cases of a kind laid side by side


def cases_side_by_side(kind: str, path: Path) -> None:
    """Every case of ``kind`` as drawn, each in a cell of its own, CASE_STEP apart."""
    layout = kdb.Layout()
    top = layout.create_cell("CASES")
    for number, case in enumerate(cases_of(kind)):
        drawn = draw(case)
        cell = layout.create_cell(f"CASE_{number}")
        cell.copy_tree(drawn.cell("TOP"))
        top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans(number * CASE_STEP, 0)))
    layout.write(str(path))


@pytest.mark.parametrize("kind", CASE_KINDS)
def test_exported_script_gives_the_markers_of_a_kind_s_cases(klayout_exe, kind, tmp_path):
    deck = deck_of(kind)
    layout = tmp_path / f"{kind}.gds"
    cases_side_by_side(kind, layout)
    adk = adk_report(deck, layout, tmp_path)
    drc = run_script(klayout_exe, export_deck(deck).text, layout, tmp_path)
    expected, found = categories(adk), categories(drc)
    for name in ("about this run",):  # the run's own warnings are adk check's alone
        expected.pop(name, None)
        found.pop(name, None)
    assert found == expected
    expects = [
        line for case in cases_of(kind) for line in case.labels() if line.startswith("expect")
    ]
    assert sum(len(items) for _, items in found.values()) == len(expects)


def test_rules_sharing_a_category_write_to_one(klayout_exe, tmp_path):
    from tests.report.test_categories import deck_and_layout

    deck, loaded = deck_and_layout()
    layout = tmp_path / "vias.gds"
    loaded.layout.write(str(layout))
    adk = adk_report(deck, layout, tmp_path)
    drc = run_script(klayout_exe, export_deck(deck).text, layout, tmp_path)
    expected, found = categories(adk), categories(drc)
    expected.pop("about this run", None)
    assert list(found) == ["V1.M1", "M1.W"]
    assert found == expected
    tags = sorted(tags for _, _, tags in found["V1.M1"][1])
    assert tags == ["error,'rule V1.IN'", "warning,'rule V1.ENC'", "warning,'rule V1.ENC'"]
