"""Absent layers, rules not checked and decks that do not fit the layout: what `adk check`
says, in the table, JSON, the marker database and its exit code."""

from __future__ import annotations

import json

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk.cli import main
from adk.report.markers import RUN_CATEGORY

# layers made of drawn, pin and fill datatypes, as decks for routed layouts write them
UNION_DECK = """\
layer M1_DRAW = 1/0
layer M1_PIN  = 1/10
layer M1_FILL = 1/30
layer M2_DRAW = 2/0
layer M2_PIN  = 2/10
layer M2_FILL = 2/30
layer M1 = M1_DRAW or M1_PIN or M1_FILL
layer M2 = M2_DRAW or M2_PIN or M2_FILL
rule M1.W "M1 width" : width(M1) >= 2 um
rule M1.S "M1 space" : space(M1) >= 2 um
rule M2.W "M2 width" : width(M2) >= 2 um
rule M2.S "M2 space" : space(M2) >= 2 um
rule M2.M1 "M2 covers M1 by 1 um" : enclosure(M1, M2) >= 1 um
"""

ABSENT_MESSAGE = "layers M1_FILL, M1_PIN, M2_FILL, M2_PIN absent from the layout, read as empty"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write_deck(tmp_path, text: str) -> str:
    path = tmp_path / "deck.adk"
    path.write_text(text)
    return str(path)


def write_layout(tmp_path, shapes: dict[tuple[int, int], list[kdb.DBox]]) -> str:
    """A layout with ``shapes`` (µm boxes) on each layer/datatype, in a TOP cell."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    for (layer, datatype), boxes in shapes.items():
        for box in boxes:
            top.shapes(layout.layer(layer, datatype)).insert(box)
    path = tmp_path / "layout.gds"
    layout.write(str(path))
    return str(path)


def check(capsys, tmp_path, deck: str, layout: str, *extra: str) -> tuple[int, str, str]:
    report = str(tmp_path / "report.lyrdb")
    return run(capsys, "check", layout, "--deck", deck, "-o", report, *extra)


def load_report(tmp_path) -> rdb.ReportDatabase:
    db = rdb.ReportDatabase("")
    db.load(str(tmp_path / "report.lyrdb"))
    return db


def drawn_only(tmp_path, m1_space: float) -> str:
    """M1 and M2 drawn at datatype 0 only (no pins, no fill): two M1 boxes ``m1_space``
    apart, each 10 um wide, under one M2 that covers them by 2 um."""
    m1 = [kdb.DBox(0, 0, 10, 10), kdb.DBox(10 + m1_space, 0, 20 + m1_space, 10)]
    return write_layout(tmp_path, {(1, 0): m1, (2, 0): [kdb.DBox(-2, -2, 22 + m1_space, 12)]})


# ---------------------------------------------------------------- unions of absent parts
def test_a_union_deck_without_pin_and_fill_shapes_checks_every_rule(tmp_path, capsys):
    deck = write_deck(tmp_path, UNION_DECK)
    status, out, err = check(capsys, tmp_path, deck, drawn_only(tmp_path, m1_space=5))
    assert (status, err) == (0, "")
    assert f"warning: {ABSENT_MESSAGE}" in out
    assert "5 rules, 0 failed, 0 not checked, 0 markers" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:7]}
    assert rows["M1.W"][2:] == ["pass", "0", "M1_PIN,", "M1_FILL"]
    assert rows["M2.M1"][2:] == ["pass", "0", "M1_PIN,", "M1_FILL,", "M2_PIN,", "M2_FILL"]


def test_a_union_deck_fails_as_its_markers_say(tmp_path, capsys):
    deck = write_deck(tmp_path, UNION_DECK)
    status, out, err = check(
        capsys, tmp_path, deck, drawn_only(tmp_path, m1_space=1), "--format", "json"
    )
    assert (status, err) == (1, "")
    summary = json.loads(out)
    assert {r["id"]: (r["status"], r["count"]) for r in summary["rules"]} == {
        "M1.W": ("pass", 0),
        "M1.S": ("fail", 1),
        "M2.W": ("pass", 0),
        "M2.S": ("pass", 0),
        "M2.M1": ("pass", 0),
    }
    assert summary["missing_layers"] == ["M1_FILL", "M1_PIN", "M2_FILL", "M2_PIN"]
    assert summary["optional_missing_layers"] == []
    assert summary["warnings"] == [ABSENT_MESSAGE]
    assert summary["notes"] == []
    space = summary["rules"][1]
    assert space["checked"] is True
    assert space["missing_layers"] == ["M1_PIN", "M1_FILL"]
    assert space["optional_missing_layers"] == []


def test_the_marker_database_carries_the_warning_and_loads_back(tmp_path, capsys):
    deck = write_deck(tmp_path, UNION_DECK)
    check(capsys, tmp_path, deck, drawn_only(tmp_path, m1_space=1))
    db = load_report(tmp_path)
    categories = {c.name(): c for c in db.each_category()}
    assert list(categories) == [RUN_CATEGORY, "M1.W", "M1.S", "M2.W", "M2.S", "M2.M1"]
    assert categories[RUN_CATEGORY].num_items() == 1
    item = next(db.each_item_per_category(categories[RUN_CATEGORY].rdb_id()))
    assert [value.string() for value in item.each_value()] == [ABSENT_MESSAGE]
    assert item.has_tag(db.tag_id("warning"))
    space = categories["M1.S"]
    assert space.description == "M1 space (error) [absent, read as empty: M1_PIN, M1_FILL]"
    assert space.num_items() == 1


# ---------------------------------------------------------------- rules not checked
ONE_LAYER_DECK = """\
layer M1 = 1/0
layer M2 = 2/0{optional}
rule M1.W "M1 width" : width(M1) >= 2 um
rule M2.W "M2 width" : width(M2) >= 2 um
rule M2.S "M2 space" : space(M2) >= 2 um
"""


def m1_only(tmp_path) -> str:
    return write_layout(tmp_path, {(1, 0): [kdb.DBox(0, 0, 10, 10)]})


def test_a_rule_whose_every_layer_is_absent_fails_the_run_with_one_line(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    layout = m1_only(tmp_path)
    status, out, err = check(capsys, tmp_path, deck, layout)
    assert status == 4
    assert err == (
        f"adk: 2 rules not checked, their layers absent from {layout}: M2.W, M2.S (M2); "
        "mark the layers optional in the deck or pass --allow-unchecked\n"
    )
    assert [line.split()[2:4] for line in out.splitlines()[2:5]] == [
        ["pass", "0"],
        ["not", "checked"],
        ["not", "checked"],
    ]
    assert "warning: layer M2 absent from the layout, read as empty" in out
    assert "3 rules, 0 failed, 2 not checked, 0 markers" in out


def test_allow_unchecked_lets_the_run_pass(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    status, out, err = check(capsys, tmp_path, deck, m1_only(tmp_path), "--allow-unchecked")
    assert (status, err) == (0, "")
    assert "2 not checked" in out


def test_violations_take_precedence_over_rules_not_checked(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    layout = write_layout(tmp_path, {(1, 0): [kdb.DBox(0, 0, 1, 10)]})
    status, _, err = check(capsys, tmp_path, deck, layout, "--quiet")
    assert status == 1
    assert err.startswith("adk: 2 rules not checked, their layers absent from ")
    assert len(err.splitlines()) == 1


def test_one_rule_not_checked_reads_in_the_singular(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    layout = m1_only(tmp_path)
    status, _, err = check(capsys, tmp_path, deck, layout, "--rule", "M2.W")
    assert status == 4
    assert err.startswith(f"adk: 1 rule not checked, its layers absent from {layout}: M2.W (M2);")


def test_strict_keeps_failing_on_warning_rules_and_on_rules_not_checked(tmp_path, capsys):
    deck = write_deck(
        tmp_path,
        'layer M1 = 1/0\nlayer M2 = 2/0\nrule W "advisory" warning : width(M1) >= 20 um\n'
        'rule M2.W "M2 width" : width(M2) >= 2 um\n',
    )
    layout = m1_only(tmp_path)
    assert check(capsys, tmp_path, deck, layout, "--allow-unchecked")[0] == 0
    assert check(capsys, tmp_path, deck, layout, "--allow-unchecked", "--strict")[0] == 1
    assert check(capsys, tmp_path, deck, layout, "--rule", "M2.W", "--strict")[0] == 4


# ---------------------------------------------------------------- optional layers
def test_a_rule_on_optional_absent_layers_is_not_checked_without_failing(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=' optional "fill"'))
    status, out, err = check(capsys, tmp_path, deck, m1_only(tmp_path))
    assert (status, err) == (0, "")
    rows = [line.split(None, 2) for line in out.splitlines()[2:5]]
    assert rows[1][2].startswith("not checked (optional layers absent)  0")
    assert "note: optional layer M2 absent from the layout, read as empty" in out
    assert "warning:" not in out
    assert check(capsys, tmp_path, deck, m1_only(tmp_path), "--strict")[0] == 0


def test_optional_absent_layers_are_information_in_json_and_the_report(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=" optional"))
    status, out, _ = check(capsys, tmp_path, deck, m1_only(tmp_path), "--format", "json")
    assert status == 0
    summary = json.loads(out)
    assert summary["missing_layers"] == summary["optional_missing_layers"] == ["M2"]
    assert summary["warnings"] == []
    assert summary["notes"] == ["optional layer M2 absent from the layout, read as empty"]
    width = summary["rules"][1]
    assert width["status"] == "not checked (optional layers absent)"
    assert width["checked"] is False
    assert width["missing_layers"] == width["optional_missing_layers"] == ["M2"]
    db = load_report(tmp_path)
    first = next(db.each_category())
    assert first.name() == RUN_CATEGORY
    item = next(db.each_item_per_category(first.rdb_id()))
    assert item.has_tag(db.tag_id("info")) and not item.has_tag(db.tag_id("warning"))
    descriptions = {c.name(): c.description for c in db.each_category()}
    assert descriptions["M2.W"] == "M2 width (error) [not checked: optional layers absent: M2]"


def test_a_rule_needing_an_absent_required_layer_besides_optional_ones_fails(tmp_path, capsys):
    deck = write_deck(
        tmp_path,
        "layer M1 = 1/0\nlayer M2 = 2/0\nlayer M2_FILL = 2/30 optional\n"
        "layer M2_ALL = M2 or M2_FILL\n"
        'rule M1.W "M1 width" : width(M1) >= 2 um\n'
        'rule M2.W "M2 width" : width(M2_ALL) >= 2 um\n',
    )
    layout = m1_only(tmp_path)
    status, _, err = check(capsys, tmp_path, deck, layout)
    assert status == 4
    assert f"absent from {layout}: M2.W (M2); mark" in err


# ---------------------------------------------------------------- a deck that does not fit
def test_a_mostly_absent_deck_asks_whether_it_is_the_right_one(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    status, out, _ = check(capsys, tmp_path, deck, m1_only(tmp_path), "--allow-unchecked")
    assert status == 0
    assert (
        "warning: 2 of 3 rules not checked: layers absent; is this the right deck "
        "(or layer map) for this layout?"
    ) in out


def test_half_the_rules_not_checked_is_no_such_warning(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=""))
    _, out, _ = check(capsys, tmp_path, deck, m1_only(tmp_path), "--rule", "M1.W", "--rule", "M2.W")
    assert "right deck" not in out


def test_optional_rules_do_not_count_towards_a_deck_that_does_not_fit(tmp_path, capsys):
    deck = write_deck(tmp_path, ONE_LAYER_DECK.format(optional=" optional"))
    _, out, _ = check(capsys, tmp_path, deck, m1_only(tmp_path))
    assert "right deck" not in out


def boxes_in_a_row(count: int, thin: int) -> list[kdb.DBox]:
    """``count`` boxes 10 um apart, the first ``thin`` of them 1 um wide, the rest 3 um."""
    return [kdb.DBox(10 * i, 0, 10 * i + (1 if i < thin else 3), 10) for i in range(count)]


WIDTH_DECK = 'layer M1 = 1/0\nrule M1.W "M1 width" : width(M1) >= 2 um\n'
EVERYWHERE = "M1.W fires on 38 of 40 M1 shapes: is the limit or the layer map right?"


@pytest.mark.parametrize("extra", [(), ("--tile-size", "100")], ids=["whole", "tiled"])
def test_a_rule_firing_on_nearly_every_shape_warns(tmp_path, capsys, extra):
    deck = write_deck(tmp_path, WIDTH_DECK)
    layout = write_layout(tmp_path, {(1, 0): boxes_in_a_row(40, thin=38)})
    status, out, _ = check(capsys, tmp_path, deck, layout, "--format", "json", *extra)
    assert status == 1
    assert json.loads(out)["warnings"] == [EVERYWHERE]
    db = load_report(tmp_path)
    item = next(db.each_item_per_category(next(db.each_category()).rdb_id()))
    assert [value.string() for value in item.each_value()] == [EVERYWHERE]


@pytest.mark.parametrize(
    "count, thin", [(40, 35), (19, 19)], ids=["below 90 %", "fewer than 20 shapes"]
)
def test_a_rule_firing_on_many_shapes_is_no_such_warning(tmp_path, capsys, count, thin):
    deck = write_deck(tmp_path, WIDTH_DECK)
    layout = write_layout(tmp_path, {(1, 0): boxes_in_a_row(count, thin)})
    status, out, _ = check(capsys, tmp_path, deck, layout, "--format", "json")
    assert status == 1
    assert json.loads(out)["warnings"] == []


def test_bumps_are_counted_through_their_arrays(tmp_path, capsys):
    deck = write_deck(tmp_path, 'layer UB = 3/0\nrule UB.SZ "bump size" : bump_size(UB) == 20 um\n')
    layout = kdb.Layout()
    layout.dbu = 0.001
    top, bump = layout.create_cell("TOP"), layout.create_cell("BUMP")
    bump.shapes(layout.layer(3, 0)).insert(kdb.DBox(-12.5, -12.5, 12.5, 12.5))
    top.insert(
        kdb.DCellInstArray(
            bump.cell_index(), kdb.DTrans(), kdb.DVector(40, 0), kdb.DVector(0, 40), 40, 25
        )
    )
    path = str(tmp_path / "bumps.gds")
    layout.write(path)
    status, out, _ = check(capsys, tmp_path, deck, path)
    assert status == 1
    assert (
        "warning: UB.SZ fires on 1,000 of 1,000 UB shapes: is the limit or the layer map right?"
        in out
    )


def test_a_derived_first_layer_counts_its_merged_shapes(tmp_path, capsys):
    deck = write_deck(
        tmp_path, "layer A = 1/0\nlayer B = 1/10\nlayer M = A or B\nrule M.W : width(M) >= 2 um\n"
    )
    layout = write_layout(tmp_path, {(1, 0): boxes_in_a_row(40, thin=38)})
    _, out, _ = check(capsys, tmp_path, deck, layout)
    assert "warning: M.W fires on 38 of 40 M shapes: is the limit or the layer map right?" in out


@pytest.mark.parametrize("extra", [("--jobs", "2"), ("--tile-size", "5")], ids=["jobs", "tiles"])
def test_split_runs_read_absent_layers_as_empty_too(tmp_path, capsys, extra):
    deck = write_deck(
        tmp_path, UNION_DECK + 'rule M1D.W "drawn M1 width" : width(M1_DRAW) >= 20 um\n'
    )
    layout = drawn_only(tmp_path, m1_space=1)
    whole = json.loads(check(capsys, tmp_path, deck, layout, "--format", "json")[1])
    split = json.loads(check(capsys, tmp_path, deck, layout, "--format", "json", *extra)[1])
    for summary in (whole, split):
        for rule in summary["rules"]:
            rule.pop("seconds")
    assert split["rules"] == whole["rules"]
    assert split["warnings"] == whole["warnings"] == [ABSENT_MESSAGE]
    # the drawn-layer rule runs on tiles, the others (derived layers) as jobs of their own
    assert [r["status"] for r in whole["rules"]] == ["pass", "fail", "pass", "pass", "pass", "fail"]


def test_the_result_says_which_rules_are_not_checked(tmp_path):
    import adk

    deck = adk.load_deck(write_deck(tmp_path, ONE_LAYER_DECK.format(optional="")))
    result = adk.check(m1_only(tmp_path), deck)
    assert [o.rule.id for o in result.unchecked()] == ["M2.W", "M2.S"]
    assert (result.missing_layers, result.optional_missing) == (["M2"], [])
    assert not result.violations(strict=True)
    outcome = result.outcomes[1]
    assert (outcome.checked, outcome.excused, outcome.required_missing) == (False, False, ["M2"])
    optional = adk.load_deck(write_deck(tmp_path, ONE_LAYER_DECK.format(optional=" optional")))
    result = adk.check(m1_only(tmp_path), optional)
    assert result.unchecked() == []
    assert result.outcomes[1].excused and result.outcomes[1].required_missing == []
