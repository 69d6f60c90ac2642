"""The KLayout plugin's waiver file without the KLayout application (the standalone module's
LayoutView): where it is, what a run applies from it, what the run summary says of waived
markers, and markers waived in a view's marker database saved to it and waived again by
the next run."""

from __future__ import annotations

import datetime
import os
import tempfile

import klayout.db as kdb
import klayout.lay as lay
import klayout.rdb as rdb
import pytest

import adk
from adk.api import load_deck_text
from adk.errors import AdkError
from adk.klayout import plugin, waiver_file
from adk.klayout.summary import failed_rules, run_summary
from adk.layout.reader import LoadedLayout
from adk.report.report_reader import database_report
from adk.report.waivers import load_waivers

DECK = """deck demo "Demo rules" version "2.1"
layer A = 1/0 "metal A"
rule A.W "A minimum width" : width(A) >= 2 um
rule A.S "A minimum space" warning : space(A) >= 2 um
"""
WAIVERS = """waivers:
- rule: A.W
  box: [0, 0, 1, 10]
  reason: test line
  owner: jane
- rule: OTHER.RULE
  box: [0, 0, 1, 1]
  reason: a rule of another deck run on the layout
  owner: jane
"""


def demo_layout() -> kdb.Layout:
    """Two narrow shapes close together: A.W fails twice, A.S once."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    for left in (0, 1500):
        top.shapes(layout.layer(1, 0)).insert(kdb.Box(left, 0, left + 1000, 10000))
    return layout


def demo_run():
    layout = demo_layout()
    loaded = LoadedLayout("/data/demo.gds", layout, layout.top_cell())
    return adk.check(loaded, load_deck_text(DECK, "demo.adk"))


def show(view: lay.LayoutView, report: str) -> int:
    """The report in the view's marker databases, as plugin.show_markers loads it (the
    standalone module's view has no browser to open)."""
    while view.num_rdbs():
        view.remove_rdb(0)
    database = rdb.ReportDatabase("")
    database.load(report)
    return view.add_rdb(database)


def test_the_waiver_file_is_the_layouts_own_unless_one_is_chosen(tmp_path):
    layout = tmp_path / "package.gds.gz"
    layout.write_bytes(b"")
    assert waiver_file.waiver_path(str(layout)) == str(tmp_path / "package.waivers.yaml")
    assert waiver_file.waiver_path(str(layout), "/team/w.yaml") == "/team/w.yaml"
    # a layout never saved has no folder: the temporary one
    assert waiver_file.waiver_path("Unnamed_1") == os.path.join(
        tempfile.gettempdir(), "Unnamed_1.waivers.yaml"
    )


def test_a_run_applies_the_decks_entries_and_leaves_the_others_out(tmp_path):
    path = tmp_path / "demo.waivers.yaml"
    assert waiver_file.read_waivers(str(path)) is None
    assert not waiver_file.run_review(demo_run(), str(path), None).active
    path.write_text(WAIVERS, encoding="utf-8")
    result = demo_run()
    review = waiver_file.run_review(result, str(path), waiver_file.read_waivers(str(path)))
    assert review.waivers_path == str(path) and review.of("A.W", 0).waiver is not None
    assert review.unknown_rule == [] and review.stale == []  # OTHER.RULE: another deck's

    lines = run_summary(result, "/out/demo.lyrdb", review).splitlines()
    assert lines[1] == "2 rules: 2 checked (2 failed, 0 passed), 0 not checked"
    assert lines[2] == "3 markers: 1 error, 1 warning, 1 waived"
    assert lines[3] == f"waivers {path}: 1 markers waived, 0 stale, 0 expired"
    assert lines[5:8] == [
        "failed:",
        "  A.W     1 marker   error    A minimum width (+1 waived)",
        "  A.S     1 marker   warning  A minimum space",
    ]
    assert [o.rule.id for o in failed_rules(result, review)] == ["A.W", "A.S"]
    assert [o.rule.id for o in failed_rules(result)] == ["A.W", "A.S"]


def test_a_rule_whose_markers_are_all_waived_passes_and_stale_entries_are_listed(tmp_path):
    path = tmp_path / "demo.waivers.yaml"
    path.write_text(
        WAIVERS.replace("reason: test line", "reason: test line\n  tolerance: 10")
        + "- rule: A.S\n  box: [500, 500, 600, 600]\n  reason: gone\n  owner: joe\n",
        encoding="utf-8",
    )
    result = demo_run()
    review = waiver_file.run_review(result, str(path), waiver_file.read_waivers(str(path)))
    lines = run_summary(result, "", review).splitlines()
    assert lines[1] == "2 rules: 2 checked (1 failed, 1 passed), 0 not checked"
    assert lines[3] == f"waivers {path}: 2 markers waived, 1 stale, 0 expired"
    assert lines[4] == (
        f"  {path}:11: waiver of A.S at [500, 500, 600, 600] um matches no marker (stale): "
        "remove it"
    )


def test_expiry_dates_as_typed():
    today = datetime.date(2026, 1, 15)
    assert waiver_file.parse_expiry("", today) is None
    assert waiver_file.parse_expiry(" 2026-01-15 ", today) == today
    with pytest.raises(AdkError, match="expected YYYY-MM-DD"):
        waiver_file.parse_expiry("15.01.2026", today)
    with pytest.raises(AdkError, match="in the past"):
        waiver_file.parse_expiry("2026-01-14", today)


def test_waived_in_a_views_marker_database_saved_and_waived_by_the_next_run(tmp_path):
    layout = tmp_path / "demo.gds"
    demo_layout().write(str(layout))
    deck = tmp_path / "demo.adk"
    deck.write_text(DECK, encoding="utf-8")
    view = lay.LayoutView()
    view.load_layout(str(layout), True)
    run = plugin.check_on_view(view, str(deck))
    assert run.report == str(tmp_path / "demo.demo.lyrdb") and not run.review.active
    index = show(view, run.report)
    db = view.rdb(index)
    assert waiver_file.unsaved_count(view) == 0
    # the user waives A.W's second marker in the browser (the standalone module's items
    # take tags; the application's do not, and its browser sets them)
    category = next(c for c in db.each_category() if c.name() == "A.W")
    second = list(db.each_item_per_category(category.rdb_id()))[1]
    second.add_tag(db.tag_id("waived"))
    assert waiver_file.unsaved_count(view) == 1

    saved = waiver_file.save_browser_waivers(view, " fill later ", "jane", None)
    path = tmp_path / "demo.waivers.yaml"
    assert saved.message() == f"{path}: 1 entry added"
    [entry] = load_waivers(str(path))
    box = run.result.outcomes[0].markers[1].shape.bbox()
    assert (entry.rule, entry.reason, entry.owner, entry.expires, entry.text) == (
        "A.W",
        "fill later",
        "jane",
        None,
        "width 1 um < 2 um",
    )
    assert entry.box == pytest.approx((box.left, box.bottom, box.right, box.top))
    assert waiver_file.unsaved_count(view) == 0

    rerun = plugin.check_on_view(view, str(deck))
    index = show(view, rerun.report)
    markers = database_report(view.rdb(index), rerun.report).markers
    assert [(m.rule, m.index, m.waived_in_klayout, m.waived_by_file) for m in markers] == [
        ("A.W", 0, False, False),
        ("A.W", 1, True, True),
        ("A.S", 0, False, False),
    ]
    assert markers[1].comment == f"waived: fill later (owner jane; {path}:4)"
    assert rerun.review.totals(rerun.result).waived == 1


def test_saving_needs_an_owner_and_a_reason_where_the_browser_gave_no_comment(tmp_path):
    view = lay.LayoutView()
    db = rdb.ReportDatabase("demo")
    db.generator = "adk test"
    db.original_file = str(tmp_path / "demo.gds")
    db.top_cell_name = "TOP"
    item = db.create_item(db.create_cell("TOP").rdb_id(), db.create_category("A.W").rdb_id())
    item.add_value(kdb.DBox(0, 0, 1, 10))
    item.add_tag(db.tag_id("waived"))
    view.add_rdb(db)
    other = rdb.ReportDatabase("drc")  # another tool's markers: left alone
    other.generator = "drc: script"
    view.add_rdb(other)
    assert [shown.index for shown in waiver_file.shown_markers(view)] == [0]
    with pytest.raises(AdkError, match="give an owner"):
        waiver_file.save_browser_waivers(view, "why", " ")
    with pytest.raises(AdkError, match="give a reason: 1 marker waived"):
        waiver_file.save_browser_waivers(view, "", "jane")
    item.comment = "from the browser"  # KLayout's comment is the reason when none is given
    saved = waiver_file.save_browser_waivers(view, "", "jane", chosen=str(tmp_path / "w.yaml"))
    assert saved.added == {str(tmp_path / "w.yaml"): 1}
    assert load_waivers(str(tmp_path / "w.yaml"))[0].reason == "from the browser"
