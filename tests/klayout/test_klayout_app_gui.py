"""The ADK menu in the KLayout application under Xvfb: the grain installed into a temporary
KLayout home, KLayout started on the dirty example, the menu's "Run Deck > focos_bridge"
triggered, the markers shown in the marker browser, a screenshot saved, the deck's manual
opened."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.klayout.conftest import category_counts

# KLayout runs a -r script once started and quits when it returns, so the script drives the
# event loop itself. Startup tips are modal dialogs: the configuration turns them off.
SCRIPT = """
import json, time, traceback
import pya

app = pya.Application.instance()
found = {}

def settle(seconds):
    end = time.time() + seconds
    while time.time() < end:
        app.process_events()
        time.sleep(0.05)

def browser_tree():
    for widget in pya.QApplication.topLevelWidgets():
        if widget.isVisible() and widget.windowTitle.startswith("Marker Database Browser"):
            stack = list(widget.children())
            while stack:
                child = stack.pop(0)
                if child.inherits("QTreeView"):
                    return widget, child
                stack += list(child.children())
    return None, None

try:
    window = app.main_window()
    window.resize(1000, 760)
    settle(0.5)
    menu = window.menu()
    found["menu"] = menu.items("adk_menu") + menu.items("adk_menu.run_deck")
    menu.action("adk_menu.run_deck.focos_bridge").trigger()
    view = pya.LayoutView.current()
    found["items"] = view.rdb(0).num_items()
    found["report"] = view.rdb(0).filename()
    dialog, tree = browser_tree()
    if dialog is not None:
        dialog.move(1000, 0)
        dialog.resize(600, 760)
        tree.setCurrentIndex(tree.model.index(2, 0))  # "All": every marker, drawn on the layout
    found["browser"] = dialog is not None
    settle(1.5)
    pya.QGuiApplication.primaryScreen().grabWindow(0).save(screenshot)
    menu.action("adk_menu.manual").trigger()  # the last deck's manual, in a window of its own
    settle(0.5)
    found["windows"] = [w.windowTitle for w in pya.QApplication.topLevelWidgets() if w.isVisible()]
except Exception:
    found["error"] = traceback.format_exc()
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


def test_menu_runs_a_deck_and_shows_markers(klayout_exe, klayout_home, dirty_focos, tmp_path):
    if shutil.which("xvfb-run") is None or shutil.which("xauth") is None:
        pytest.skip("xvfb-run or xauth is not installed (Debian: apt-get install xvfb xauth)")
    home = tmp_path / "home"
    shutil.copytree(klayout_home, home)
    (home / "klayoutrc").write_text(CONFIG, encoding="utf-8")
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
        env=dict(os.environ, KLAYOUT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert answer.is_file(), done.stdout + done.stderr
    found = json.loads(answer.read_text(encoding="utf-8"))
    assert "error" not in found, found["error"]
    assert {"adk_menu.run_deck", "adk_menu.run_deck.focos_bridge"} <= set(found["menu"])
    assert found["items"] == sum(category_counts(adk_report).values())
    assert found["report"] == str(tmp_path / "focos_bridge.focos_bridge.lyrdb")
    assert found["browser"]
    assert "ADK rule manual: FOCoS-Bridge assembly rules (focos_bridge 1.0)" in found["windows"]
    settings = (home / "klayoutrc").read_text(encoding="utf-8")  # kept for the next time
    assert f"<adk-last-report>{found['report']}</adk-last-report>" in settings
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")
