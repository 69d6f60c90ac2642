"""The ADK menu in the KLayout application under Xvfb: the grain installed into a temporary
KLayout home, KLayout started on the dirty example, the menu's "Run Deck > focos_bridge"
triggered, the markers shown in the marker browser, the deck's layers named, the run's
summary shown, a screenshot saved, the deck's manual opened; then KLayout's own package
manager shows the grain, offers the newer version a package index lists, and removes it,
and the menu goes with it. A run on a large layout, its progress and Cancel are
test_klayout_app_responsive.py's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.klayout.conftest import category_counts

# KLayout runs a -r script once started and quits when it returns, so the script drives the
# event loop itself. Startup tips are modal dialogs: the configuration turns them off. The
# package manager is a modal dialog too: timers drive it, step by step.
SCRIPT = """
import json, time, traceback
import pya
import adk.klayout.menu as adk_menu

app = pya.Application.instance()
found = {"modal boxes": [], "steps": []}

def settle(seconds):
    end = time.time() + seconds
    while time.time() < end:
        app.process_events()
        time.sleep(0.05)

def descendants(widget):
    stack = list(widget.children())
    while stack:
        child = stack.pop(0)
        yield child
        stack += list(child.children())

def named(widget, name):
    return next(child for child in descendants(widget) if child.objectName == name)

def window(title):
    return next((w for w in pya.QApplication.topLevelWidgets()
                 if w.isVisible() and w.windowTitle.startswith(title)), None)

def text_of(title):
    shown = window(title)
    return next(c.toPlainText() for c in descendants(shown) if c.inherits("QTextBrowser"))

def browser_tree():
    dialog = window("Marker Database Browser")
    if dialog is None:
        return None, None
    return dialog, next(c for c in descendants(dialog) if c.inherits("QTreeView"))

def rows(view):
    model = view.model
    return [model.data(model.index(row, 0), 0) for row in range(model.rowCount(pya.QModelIndex()))]

def layer_names(view):
    names, iterator = {}, view.begin_layers()
    while not iterator.at_end():
        names[iterator.current().source] = iterator.current().name
        iterator.next()
    return names

# ---- the package manager, driven by timers while its modal dialog runs
def manager():
    dialog = pya.QApplication.activeModalWidget()
    return dialog if dialog is not None and dialog.objectName == "SaltManagerDialog" else None

def show_installed():
    named(manager(), "mode_tab").currentIndex = 2  # "Current Packages"
    view = named(manager(), "salt_view")
    view.setCurrentIndex(view.model.index(0, 0))
    found["installed"] = rows(view)

def read_details():
    found["details"] = named(manager(), "details_text").toPlainText()
    found["updates"] = rows(named(manager(), "salt_mine_view_update"))

def press_delete():
    named(manager(), "delete_button").click()  # asks first: the other timer answers

def answer_yes():
    box = pya.QApplication.activeModalWidget()
    if box is None or not box.inherits("QMessageBox"):
        return False
    found["question"] = box.text
    box.button(pya.QMessageBox.Yes).click()

def close_manager():
    found["after delete"] = rows(named(manager(), "salt_view"))
    found["menu while open"] = app.main_window().menu().is_valid("adk_menu")
    manager().close()

steps = [show_installed, read_details, press_delete, answer_yes, close_manager]
started = time.time()

def tick():
    box = pya.QApplication.activeModalWidget()
    if not steps or time.time() - started > 30:  # a box nobody expected: note it, close it
        if box is not None:
            found["modal boxes"].append(box.windowTitle)
            box.close()
        return
    if manager() is None and steps[0] is not answer_yes:
        return
    step = steps.pop(0)  # first: a step may open a modal box, which the next tick handles
    try:
        if step() is False:
            steps.insert(0, step)
        else:
            found["steps"].append(step.__name__)
    except Exception:
        found["error"] = traceback.format_exc()
        steps.clear()

# Qt fires no timer again while its own handler runs, and a modal box opened in a handler
# runs inside it: two timers, so that one answers what the other opened
timers = []
for interval in (250, 310):
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
    found["menu"] = menu.items("adk_menu") + menu.items("adk_menu.run_deck")
    found["deck titles"] = [menu.action(item).title for item in menu.items("adk_menu.run_deck")]
    menu.action("adk_menu.run_deck.focos_bridge").trigger()
    view = pya.LayoutView.current()
    found["items"] = view.rdb(0).num_items()
    found["report"] = view.rdb(0).filename()
    found["layers"] = layer_names(view)
    dialog, tree = browser_tree()
    if dialog is not None:
        dialog.move(1000, 0)
        dialog.resize(600, 760)
        tree.setCurrentIndex(tree.model.index(2, 0))  # "All": every marker, drawn on the layout
    found["browser"] = dialog is not None
    found["summary"] = text_of("ADK run summary: focos_bridge")
    window("ADK run summary").move(0, 780)
    settle(1.5)
    pya.QGuiApplication.primaryScreen().grabWindow(0).save(screenshot)
    menu.action("adk_menu.manual").trigger()  # the last deck's manual, in a window of its own
    settle(0.3)
    found["windows"] = [w.windowTitle for w in pya.QApplication.topLevelWidgets() if w.isVisible()]
    found["manual"] = text_of("ADK rule manual")


    found["menu before removal"] = menu.is_valid("adk_menu")
    menu.action("tools_menu.packages").trigger()  # modal: the timers drive it
    settle(0.3)
    found["menu after removal"] = menu.is_valid("adk_menu")
except Exception:
    found["error"] = traceback.format_exc()
for timer in timers:
    timer.stop()
json.dump(found, open(answer, "w"))
"""

CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<config>
 <full-hier-new-cell>true</full-hier-new-cell>
 <tip-window-hidden>{tips}</tip-window-hidden>
</config>
""".format(
    tips=",".join(
        f"{tip}=0"
        for tip in (
            "only-top-level-shown-by-default",
            "editor-mode",
            "no-stipple",
            "show-markers",
            "hide-empty-layers",
        )
    )
)

# a package index listing a newer adk, so that the package manager offers the update
SALT_MINE = """<?xml version="1.0" encoding="utf-8"?>
<salt-mine>
 <salt-grain><name>adk</name><version>99.0</version><title>ADK</title><url>{url}</url></salt-grain>
</salt-mine>
"""


def test_menu_runs_a_deck_and_the_package_manager_removes_it(
    klayout_exe, klayout_home, dirty_focos, tmp_path
):
    if shutil.which("xvfb-run") is None or shutil.which("xauth") is None:
        pytest.skip("xvfb-run or xauth is not installed (Debian: apt-get install xvfb xauth)")
    home = tmp_path / "home"
    shutil.copytree(klayout_home, home)
    (home / "klayoutrc").write_text(CONFIG, encoding="utf-8")
    salt_mine = tmp_path / "repository.xml"
    salt_mine.write_text(SALT_MINE.format(url=tmp_path / "newer"), encoding="utf-8")
    layout, adk_report = dirty_focos
    gui_layout = tmp_path / layout.name
    shutil.copy(layout, gui_layout)  # the report is written beside the layout
    script, answer = tmp_path / "gui.py", tmp_path / "answer.json"
    screenshot = tmp_path / "adk_gui.png"
    script.write_text(SCRIPT, encoding="utf-8")
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1600x1000x24",
        klayout_exe,
        "-e",
        str(gui_layout),
        "-r",
        str(script),
        "-rd",
        f"answer={answer}",
        "-rd",
        f"screenshot={screenshot}",
    ]
    done = subprocess.run(
        command,
        env=dict(os.environ, KLAYOUT_HOME=str(home), KLAYOUT_SALT_MINE=str(salt_mine)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.is_file(), done.stdout + done.stderr
    found = json.loads(answer.read_text(encoding="utf-8"))
    assert "error" not in found, found["error"]
    assert {"adk_menu.run_deck", "adk_menu.run_deck.focos_bridge"} <= set(found["menu"])
    assert "FOCoS-Bridge assembly rules (focos_bridge 1.0)" in found["deck titles"]
    assert found["items"] == sum(category_counts(adk_report).values())
    assert found["report"] == str(tmp_path / "focos_bridge.focos_bridge.lyrdb")
    assert found["browser"]
    assert found["layers"]["2/0@1"] == "PKG - package outline" and len(found["layers"]) == 14
    summary = found["summary"].splitlines()
    assert summary[0].startswith(f"focos_bridge 1.0 on {gui_layout.name} (cell ")
    assert summary[-1] == f"marker database: {found['report']}"
    assert "ADK rule manual: FOCoS-Bridge assembly rules (focos_bridge 1.0)" in found["windows"]
    assert "PKG.D2D.GAP" in found["manual"] and "|" not in found["manual"]  # a table, as HTML
    assert found["modal boxes"] == []  # no error box
    settings = (home / "klayoutrc").read_text(encoding="utf-8")  # kept for the next time
    assert f"<adk-last-report>{found['report']}</adk-last-report>" in settings
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000

    # KLayout's package manager, reading grain.xml: what it shows, the update, the removal
    assert found["steps"] == [
        "show_installed",
        "read_details",
        "answer_yes",  # answered while Delete, which asked, was still being pressed
        "press_delete",
        "close_manager",
    ]
    assert "adk 0.1.0 - ADK: assembly design kit rule checker" in found["installed"][0]
    assert "An update to version 99.0 is available" in found["installed"][0]
    details = found["details"]
    for shown in (
        "adk 0.1.0",
        "Author: adk developers",
        "License: Apache-2.0",
        "API version and features: 0.28; python 3.10",
        f"Documentation link: file://{home}/salt/adk/docs/index.html",
    ):
        assert shown in details, details
    assert "The installed version is outdated (0.1.0)" in found["updates"][0]
    assert found["question"] == "Are you sure to delete package 'adk'?"
    assert "No packages are present on this system" in found["after delete"][0]
    assert found["menu before removal"] and not found["menu while open"]
    assert not found["menu after removal"]
    assert not (home / "salt" / "adk").exists()
    print(f"screenshot: {screenshot}")
