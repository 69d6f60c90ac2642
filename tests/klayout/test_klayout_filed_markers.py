"""Markers filed in a cell, in the KLayout application (batch mode): the marker database
``adk check`` writes loads with the item in the bump cell and the cell's reference to the
top cell, a LayoutView takes it, and the menu's run inside KLayout files the marker the
same way, with KLayout's own Python; read back from the view, the item is placed in the
top cell through its cell's reference. Under Xvfb, KLayout's marker browser lists the item
under its cell and, selected, shows it in the top cell at the cell's first placement."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from adk.cli import main
from tests.klayout.test_klayout_app_gui import CONFIG
from tests.test_filed_markers import DECK, array, bump_cell, new_layout

SCRIPT = """
import json
import pya
from adk.klayout import plugin
from adk.report.report_reader import database_report

def items(path):
    db = pya.ReportDatabase("")
    db.load(path)
    found = []
    for item in db.each_item():
        cell = db.cell_by_id(item.cell_id())
        references = [(db.cell_by_id(r.parent_cell_id).name(), str(r.trans))
                      for r in cell.each_reference()]
        values = [v.to_s() for v in item.each_value()]
        found.append([db.category_by_id(item.category_id()).name(), cell.name(), references,
                      values])
    return found

view = pya.LayoutView()
view.load_layout(layout, True)
database = pya.ReportDatabase("")
database.load(report)
index = view.add_rdb(database)
run = plugin.check_on_view(view, deck, output=out_view)
size = [o for o in run.result.outcomes if o.rule.id == "UB.SZ"][0]
read = [(m.rule, m.cell, m.placements, list(m.box))
        for m in database_report(view.rdb(index), report).markers]
json.dump({"loaded": items(report), "in_view": view.rdb(index).num_items(), "read": read,
           "from_the_menu": items(out_view),
           "filed": [(m.filed.cell, m.placements) for m in size.markers if m.filed]},
          open(answer, "w"))
"""


def bump_array(folder) -> tuple[str, str, str]:
    """A 20 x 10 array of the bump cell, its deck and the marker database adk check writes."""
    layout, top = new_layout()
    top.insert(array(bump_cell(layout), 20, 10))
    gds, deck, report = folder / "bumps.gds", folder / "bumps.adk", folder / "bumps.lyrdb"
    layout.write(str(gds))
    deck.write_text(DECK, encoding="utf-8")
    assert main(["check", str(gds), "--deck", str(deck), "-o", str(report), "-q"]) == 1
    return str(gds), str(deck), str(report)


def run_klayout(command: list[str], variables: dict, answer, home) -> dict:
    for name, value in variables.items():
        command += ["-rd", f"{name}={value}"]
    done = subprocess.run(
        command,
        env=dict(os.environ, KLAYOUT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.is_file(), done.stdout + done.stderr
    return json.loads(answer.read_text(encoding="utf-8"))


def test_the_marker_database_loads_in_klayout_with_the_item_in_its_cell(
    klayout_exe, klayout_home, tmp_path
):
    gds, deck, report = bump_array(tmp_path)
    script, answer = tmp_path / "batch.py", tmp_path / "answer.json"
    script.write_text(SCRIPT, encoding="utf-8")
    variables = {
        "layout": gds,
        "deck": deck,
        "report": report,
        "out_view": tmp_path / "view.lyrdb",
        "answer": answer,
    }
    found = run_klayout([klayout_exe, "-b", "-r", str(script)], variables, answer, klayout_home)

    (item,) = found["loaded"]
    category, cell, references, values = item
    assert (category, cell, references) == ("UB.SZ", "BUMPS", [["TOP", "r0 *1 0,0"]])
    assert values[1:] == ["text: 'size 13.999 um != 20 um (octagon)'", "float: 200"]
    assert values[0].startswith("polygon: (")
    assert found["in_view"] == 1
    # read back from the view's database as the menu's waivers read it: in the top cell
    (read,) = found["read"]
    assert read[:3] == ["UB.SZ", "BUMPS", 200]
    assert read[3] == pytest.approx([-7.0, 23.0, 7.0, 37.0])
    assert found["filed"] == [["BUMPS", 200]]
    assert found["from_the_menu"] == found["loaded"]


BROWSER = """
import json, time, traceback
import pya
app = pya.Application.instance()
found = {}

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

try:
    main = app.main_window()
    main.resize(1000, 760)
    settle(0.5)
    main.load_layout(layout, 0)
    view = main.current_view()
    database = pya.ReportDatabase("")
    database.load(report)
    view.show_rdb(view.add_rdb(database), 0)
    settle(1.0)
    dialog = next(w for w in pya.QApplication.topLevelWidgets()
                  if w.isVisible() and w.windowTitle.startswith("Marker Database Browser"))
    tree = named(dialog, "directory_tree")
    model = tree.model
    by_cell = model.index(0, 0, pya.QModelIndex())
    cells = [model.index(row, 0, by_cell) for row in range(model.rowCount(by_cell))]
    found["cells"] = [[model.data(i, 0), model.data(model.index(i.row(), 1, by_cell), 0)]
                      for i in cells]
    tree.setCurrentIndex(next(i for i in cells if model.data(i, 0) == "[BUMPS]"))
    settle(0.5)
    markers = named(dialog, "markers_list")
    markers.setCurrentIndex(markers.model.index(0, 0))
    settle(1.0)
    found["info"] = named(dialog, "info_text").toPlainText()
    box = view.box()
    found["view"] = [box.left, box.bottom, box.right, box.top]
except Exception:
    found["error"] = traceback.format_exc()
json.dump(found, open(answer, "w"))
app.exit(0)
"""


def test_the_marker_browser_lists_the_item_under_its_cell_and_shows_it_in_the_top_cell(
    klayout_exe, klayout_home, tmp_path
):
    if shutil.which("xvfb-run") is None or shutil.which("xauth") is None:
        pytest.skip("xvfb-run or xauth is not installed (Debian: apt-get install xvfb xauth)")
    home = tmp_path / "home"
    shutil.copytree(klayout_home, home)
    (home / "klayoutrc").write_text(CONFIG, encoding="utf-8")
    gds, _, report = bump_array(tmp_path)
    script, answer = tmp_path / "browser.py", tmp_path / "answer.json"
    script.write_text(BROWSER, encoding="utf-8")
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", klayout_exe, "-e", "-r"]
    variables = {"layout": gds, "report": report, "answer": answer}
    found = run_klayout([*command, str(script)], variables, answer, home)
    assert "error" not in found, found["error"]
    assert found["cells"] == [["[TOP]", ""], ["[BUMPS]", "1 (1)"]]
    info = found["info"].splitlines()
    assert info[0] == "UB.SZ [BUMPS]" and "placements: 200" in info
    assert not any("instantiation" in line or "not found" in line for line in info)
    # zoomed onto the bad bump of the first placement, in the top cell's view
    left, bottom, right, top = found["view"]
    assert left < -7 and right > 7 and bottom < 23 and top > 37 and right - left < 50
