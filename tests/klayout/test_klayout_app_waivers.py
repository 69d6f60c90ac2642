"""Waivers made in the KLayout application survive a re-run: a run of the menu's code applies
the layout's waiver file (LAYOUT.waivers.yaml), markers waived in the marker browser are
saved to it with a reason and an owner, and the next run shows them waived and counts them
apart. In batch mode the waive flag is set in the marker database as the browser keeps it
(KLayout 0.28 hands out read-only items); under Xvfb the browser's own Waive button sets it
and the menu's dialog asks for the reason and the owner."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess

import pytest

from adk.report.waivers import parse_waivers
from tests.klayout.conftest import category_counts

# the browser's waive flag on the first item of a rule, as KLayout saves it: the item's
# tags in the marker database, which is then shown again
SET_FLAG = r"""
import re

def set_flag(report, rule, waived):
    text = open(report, encoding="utf-8").read()
    pattern = r"(<tags>)([^<]*)(</tags>\s*<category>'" + re.escape(rule) + r"'</category>)"
    def change(match):
        tags = [tag for tag in match.group(2).split(",") if tag and tag != "waived"]
        return match.group(1) + ",".join(tags + (["waived"] if waived else [])) + match.group(3)
    open(report, "w", encoding="utf-8").write(re.sub(pattern, change, text, count=1))
"""

SCRIPT = (
    SET_FLAG
    + r"""
import datetime, json, traceback
import pya
from adk.klayout import plugin, waiver_file
from adk.klayout.summary import run_summary

found = {}

def tags_of(view, index, rule):
    db = view.rdb(index)
    category = next(c for c in db.each_category() if c.name() == rule)
    item = next(iter(db.each_item_per_category(category.rdb_id())))
    texts = [value.string() for value in item.each_value() if value.is_string()]
    return {"tags": item.tags_str, "texts": texts}

try:
    view = pya.LayoutView()
    view.load_layout(layout, True)
    first = plugin.check_on_view(view, deck)
    found["first"] = run_summary(first.result, first.report, first.review)
    found["waiver file"] = waiver_file.waiver_path(view.active_cellview().filename())
    set_flag(first.report, "BR.M1.W", True)  # the user presses Waive in the browser
    index = plugin.show_markers(view, first.report)
    found["unsaved"] = waiver_file.unsaved_count(view)
    try:
        waiver_file.save_browser_waivers(view, "", "jane.doe")
    except Exception as exc:
        found["no reason"] = plugin.error_text(exc)
    saved = waiver_file.save_browser_waivers(
        view, "bridge test line", "jane.doe", datetime.date(2030, 6, 30)
    )
    found["saved"] = saved.message()
    found["unsaved after"] = waiver_file.unsaved_count(view)
    found["saved again"] = waiver_file.save_browser_waivers(view, "again", "jane.doe").message()

    second = plugin.check_on_view(view, deck)  # the re-run keeps it waived
    index = plugin.show_markers(view, second.report)
    found["second"] = run_summary(second.result, second.report, second.review)
    found["second item"] = tags_of(view, index, "BR.M1.W")
    found["other item"] = tags_of(view, index, "BR.M1.S")
    found["unsaved after rerun"] = waiver_file.unsaved_count(view)

    set_flag(second.report, "BR.M1.W", False)  # un-waived in the browser: the entry stays
    plugin.show_markers(view, second.report)
    found["unwaived"] = waiver_file.save_browser_waivers(view, "x", "jane.doe").message()
    third = plugin.check_on_view(view, deck)
    found["third waived"] = third.review.totals(third.result).waived

    found["yaml"] = open(found["waiver file"], encoding="utf-8").read()
    with open(found["waiver file"], "a", encoding="utf-8") as handle:
        handle.write("- rule: BR.M1.S\n  box: [0, 0, 1]\n")
    try:
        plugin.check_on_view(view, deck)
    except Exception as exc:
        found["malformed"] = plugin.error_text(exc)
except Exception:
    found["error"] = traceback.format_exc()
json.dump(found, open(answer, "w"))
"""
)


def run_in_klayout(exe, home, script, variables, timeout=300):
    command = [exe, "-b", "-r", str(script)]
    for name, value in variables.items():
        command += ["-rd", f"{name}={value}"]
    return subprocess.run(
        command,
        env=dict(os.environ, KLAYOUT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_waived_in_the_browser_saved_and_still_waived_after_a_rerun(
    klayout_exe, klayout_home, dirty_focos, tmp_path
):
    layout, adk_report = dirty_focos
    own = tmp_path / layout.name  # the waiver file and the reports go beside it
    shutil.copy(layout, own)
    script, answer = tmp_path / "waive.py", tmp_path / "answer.json"
    script.write_text(SCRIPT, encoding="utf-8")
    deck = klayout_home / "salt" / "adk" / "python" / "rules" / "focos_bridge.adk"
    done = run_in_klayout(
        klayout_exe, klayout_home, script, {"layout": own, "deck": deck, "answer": answer}
    )
    assert answer.is_file(), done.stdout + done.stderr
    found = json.loads(answer.read_text(encoding="utf-8"))
    assert "error" not in found, found["error"]
    rules = len(category_counts(adk_report))
    waivers = tmp_path / "focos_bridge.waivers.yaml"
    assert found["waiver file"] == str(waivers)

    first = found["first"].splitlines()
    assert first[1] == f"{rules} rules: {rules} checked ({rules} failed, 0 passed), 0 not checked"
    assert "waivers" not in found["first"]  # no waiver file yet
    assert found["unsaved"] == 1
    assert found["no reason"].startswith("give a reason: 1 marker waived")
    assert found["saved"] == f"{waivers}: 1 entry added"
    assert found["unsaved after"] == 0
    assert found["saved again"].startswith("No marker is waived")

    entries = parse_waivers(str(waivers), found["yaml"])
    assert [(w.rule, w.reason, w.owner, w.expires) for w in entries] == [
        ("BR.M1.W", "bridge test line", "jane.doe", datetime.date(2030, 6, 30))
    ]
    assert entries[0].text.startswith("width ")

    second = found["second"].splitlines()
    assert second[1] == (
        f"{rules} rules: {rules} checked ({rules - 1} failed, 1 passed), 0 not checked"
    )
    assert second[2] == f"{rules} markers: {rules - 1} error, 1 waived"
    assert second[3] == f"waivers {waivers}: 1 markers waived, 0 stale, 0 expired"
    assert "BR.M1.W" not in found["second"].split("failed:")[1]
    item = found["second item"]
    assert set(item["tags"].split(",")) == {"error", "waived", "by_waiver_file"}
    # KLayout 0.28 has no item comments: the waiver is a text of the item
    assert item["texts"][1] == (
        f"waived: bridge test line (owner jane.doe, expires 2030-06-30; {waivers}:4)"
    )
    assert found["other item"]["tags"] == "error"
    assert found["unsaved after rerun"] == 0

    assert found["unwaived"].splitlines()[1] == (
        f"BR.M1.W item 1: not waived in the marker browser, still waived by {waivers}:4 "
        "(owner jane.doe): remove that entry to un-waive it"
    )
    assert found["third waived"] == 1
    assert found["malformed"].splitlines() == [  # before the run, each fault with its place
        f"{waivers}:10:3: error: waiver without 'reason'",
        f"{waivers}:10:3: error: waiver without 'owner'",
        f"{waivers}:11:8: error: 'box' must be [left, bottom, right, top] in um",
    ]


@pytest.fixture
def xvfb() -> None:
    if shutil.which("xvfb-run") is None or shutil.which("xauth") is None:
        pytest.skip("xvfb-run or xauth is not installed (Debian: apt-get install xvfb xauth)")


# KLayout runs the -r script once started and quits when it returns; the menu's dialogs and
# message boxes are modal, and timers answer them, one step at a time
GUI_SCRIPT = r"""
import json, time, traceback
import pya

app = pya.Application.instance()
found = {"boxes": [], "steps": [], "unexpected": []}

def settle(seconds):
    end = time.time() + seconds
    while time.time() < end:
        app.process_events()
        time.sleep(0.05)

def wait_for(condition, seconds=60):
    end = time.time() + seconds
    while time.time() < end and not condition():
        app.process_events()
        time.sleep(0.05)
    return condition()

def descendants(widget):
    stack = list(widget.children())
    while stack:
        child = stack.pop(0)
        yield child
        stack += list(child.children())

def named(widget, name):
    return next(child for child in descendants(widget) if child.objectName == name)

def browser():
    return next(w for w in pya.QApplication.topLevelWidgets()
                if w.isVisible() and w.windowTitle.startswith("Marker Database Browser"))

def waive_row(row):
    # the browser's own Waive button on one marker of the list of all markers
    dialog = browser()
    tree = named(dialog, "directory_tree")
    tree.setCurrentIndex(tree.model.index(2, 0))  # "All"
    settle(0.3)
    markers = named(dialog, "markers_list")
    index = markers.model.index(row, 0)
    markers.setCurrentIndex(index)
    markers.selectionModel.select(
        index, pya.QItemSelectionModel.ClearAndSelect | pya.QItemSelectionModel.Rows)
    settle(0.2)
    named(dialog, "waive_pb").click()
    settle(0.2)

def items():
    db = pya.LayoutView.current().rdb(0)
    names = {c.rdb_id(): c.name() for c in db.each_category()}
    return [[names[i.category_id()], i.tags_str] for i in db.each_item()]

def waived():
    return sorted(rule for rule, tags in items() if "waived" in tags.split(","))

# ---- the answers to the modal boxes, in order
def box():
    return pya.QApplication.activeModalWidget()

def fill_dialog(reason):
    def step():
        dialog = box()
        if dialog is None or dialog.objectName != "adk_waiver_dialog":
            return False
        found["dialog"] = [c.text for c in descendants(dialog) if c.inherits("QLabel")][0]
        named(dialog, "adk_waiver_reason").text = reason
        named(dialog, "adk_waiver_owner").text = "jane.doe"
        named(dialog, "adk_waiver_expires").text = "2030-06-30"
        buttons = next(c for c in descendants(dialog) if c.inherits("QDialogButtonBox"))
        buttons.button(pya.QDialogButtonBox.Ok).click()
    step.__name__ = f"fill_dialog({reason})"
    return step

def press(button):
    def step():
        shown = box()
        if shown is None or not shown.inherits("QMessageBox"):
            return False
        found["boxes"].append(shown.text)
        shown.button(button).click()
    step.__name__ = f"press({button})"
    return step

steps = [
    fill_dialog("first reason"), press(pya.QMessageBox.Ok),  # Save Waivers...
    press(pya.QMessageBox.Yes), fill_dialog("second reason"), press(pya.QMessageBox.Ok),  # re-run
]

started = time.time()

def tick():
    shown = box()
    if not steps or time.time() - started > 60:
        if shown is not None:  # a box nobody expected: note it, close it
            found["unexpected"].append(getattr(shown, "text", None) or shown.windowTitle)
            shown.close()
        return
    step = steps.pop(0)
    try:
        if step() is False:
            steps.insert(0, step)
        else:
            found["steps"].append(step.__name__)
    except Exception:
        found["error"] = traceback.format_exc()
        steps.clear()

timers = []
for interval in (200, 270):
    timer = pya.QTimer()
    timer.interval = interval
    timer.timeout = tick
    timer.start()
    timers.append(timer)

try:
    main = app.main_window()
    main.resize(1000, 760)
    settle(0.5)
    menu = main.menu()
    found["menu"] = menu.items("adk_menu") + menu.items("adk_menu.settings")
    menu.action("adk_menu.run_deck.focos_bridge").trigger()
    view = pya.LayoutView.current()
    wait_for(lambda: view.num_rdbs() == 1 and len(items()) > 0)
    found["before"] = waived()
    waive_row(0)
    found["waived in browser"] = waived()
    menu.action("adk_menu.save_waivers").trigger()
    settle(0.3)
    waive_row(1)
    found["waived in browser 2"] = waived()
    menu.action("adk_menu.rerun").trigger()  # asks first: the flags are not saved yet
    wait_for(lambda: view.num_rdbs() == 1 and all(
        "by_waiver_file" in tags for rule, tags in items() if "waived" in tags))
    settle(0.5)
    found["after rerun"] = [[rule, tags] for rule, tags in items() if "waived" in tags]
    dialog = browser()
    tree = named(dialog, "directory_tree")
    tree.setCurrentIndex(tree.model.index(2, 0))  # "All"
    settle(0.3)
    markers = named(dialog, "markers_list")
    markers.setCurrentIndex(markers.model.index(0, 0))
    settle(0.3)
    found["browser info"] = [
        c.toPlainText() for c in descendants(dialog) if c.inherits("QTextBrowser")]
    summary = next(w for w in pya.QApplication.topLevelWidgets()
                   if w.isVisible() and w.windowTitle.startswith("ADK run summary"))
    found["summary"] = next(
        c.toPlainText() for c in descendants(summary) if c.inherits("QTextBrowser"))
except Exception:
    found["error"] = traceback.format_exc()
for timer in timers:
    timer.stop()
json.dump(found, open(answer, "w"))
"""


def test_waive_button_save_waivers_and_rerun_in_the_application(
    klayout_exe, klayout_home, dirty_focos, tmp_path, xvfb
):
    from tests.klayout.test_klayout_app_gui import CONFIG

    home = tmp_path / "home"
    shutil.copytree(klayout_home, home)
    (home / "klayoutrc").write_text(CONFIG, encoding="utf-8")
    layout, _ = dirty_focos
    gui_layout = tmp_path / layout.name
    shutil.copy(layout, gui_layout)
    script, answer = tmp_path / "gui.py", tmp_path / "answer.json"
    script.write_text(GUI_SCRIPT, encoding="utf-8")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", klayout_exe, "-e"]
    command += [str(gui_layout), "-r", str(script), "-rd", f"answer={answer}"]
    done = subprocess.run(
        command,
        env=dict(os.environ, KLAYOUT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert answer.is_file(), done.stdout + done.stderr
    found = json.loads(answer.read_text(encoding="utf-8"))
    assert "error" not in found, found["error"]
    assert {"adk_menu.save_waivers", "adk_menu.settings.waivers"} <= set(found["menu"])
    waivers = tmp_path / "focos_bridge.waivers.yaml"
    assert found["before"] == [] and len(found["waived in browser"]) == 1
    assert len(found["waived in browser 2"]) == 2
    assert found["steps"] == [
        "fill_dialog(first reason)",
        "press(Ok)",
        "press(Yes)",
        "fill_dialog(second reason)",
        "press(Ok)",
    ]
    assert found["dialog"] == f"1 marker waived in the marker browser, to {waivers}:"
    assert found["boxes"] == [
        f"{waivers}: 1 entry added",
        "1 marker waived in the marker browser is not in the waiver file yet, and the run "
        "replaces the markers. Save the waivers first?",
        f"{waivers}: 1 entry added",
    ]
    assert found["unexpected"] == []

    entries = parse_waivers(str(waivers), waivers.read_text(encoding="utf-8"))
    first, second = found["waived in browser 2"]  # sorted rule ids
    assert sorted((w.rule, w.reason, w.owner) for w in entries) == sorted(
        [
            (found["waived in browser"][0], "first reason", "jane.doe"),
            (
                ({first, second} - set(found["waived in browser"])).pop(),
                "second reason",
                "jane.doe",
            ),
        ]
    )
    assert all(w.expires == datetime.date(2030, 6, 30) for w in entries)
    assert sorted(rule for rule, _ in found["after rerun"]) == [first, second]
    assert all("by_waiver_file" in tags for _, tags in found["after rerun"])
    assert f"waivers {waivers}: 2 markers waived, 0 stale, 0 expired" in found["summary"]
    # the browser shows the waiver with the marker
    assert any(
        f"waived: first reason (owner jane.doe, expires 2030-06-30; {waivers}:4)" in text
        for text in found["browser info"]
    ), found["browser info"]
