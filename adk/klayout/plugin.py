"""What the ADK menu does, without the menu: run a deck on a view's layout, show the markers,
the settings and a deck's rule manual. The menu calls these functions, and so can a
batch-mode script (``klayout -b -r``), which is how the tests drive the menu's code path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adk.klayout.embedded import use_application_modules

use_application_modules()  # before the adk modules that import klayout.db

import klayout.db as kdb  # noqa: E402
import klayout.rdb as rdb  # noqa: E402

from adk.errors import AdkError, DeckError  # noqa: E402
from adk.layout.reader import LoadedLayout, choose_top  # noqa: E402

Progress = Callable[[int, int, str], None]
CONFIG_PREFIX = "adk-"  # KLayout keeps every set_config key in its configuration file


class Cancelled(Exception):
    """The user cancelled a run from KLayout's progress bar."""


@dataclass
class Settings:
    """What the menu remembers between sessions: the last deck, a layer map, where reports go."""

    deck: str = ""
    layer_map: str = ""
    output_folder: str = ""
    last_report: str = ""


def load_settings(app: Any) -> Settings:
    """The settings kept in KLayout's configuration (empty where never set)."""
    values = {}
    names = set(app.get_config_names())
    for name in Settings.__dataclass_fields__:
        key = CONFIG_PREFIX + name.replace("_", "-")
        values[name] = (app.get_config(key) or "") if key in names else ""
    return Settings(**values)


def save_settings(app: Any, settings: Settings) -> None:
    for name in Settings.__dataclass_fields__:
        app.set_config(CONFIG_PREFIX + name.replace("_", "-"), getattr(settings, name))
    app.commit_config()


def manual_folder() -> Path | None:
    """``docs/rules/``, the decks' manuals: in the clone, or in the installed grain."""
    package = Path(__file__).resolve().parent.parent  # the adk package
    for root in (package.parent, package.parent.parent):  # clone; grain (package in python/)
        if (root / "docs" / "rules").is_dir():
            return root / "docs" / "rules"
    return None


def shipped_decks() -> dict[str, str]:
    """The pillar decks shipped with adk: name -> path, by name."""
    from adk.kit.decks import shipped_decks as decks

    return {name: str(path) for name, path in decks().items()}


def loaded_layout(target: Any, top: str | None = None) -> LoadedLayout:
    """The layout to check: a LayoutView's active cellview (its current cell), a CellView,
    a Layout in memory (its top cell), or a LoadedLayout as it is."""
    if isinstance(target, LoadedLayout):
        return target
    if isinstance(target, kdb.Layout):
        return LoadedLayout("layout", target, choose_top(target, "layout", top))
    cellview = target.active_cellview() if hasattr(target, "active_cellview") else target
    if cellview is None or not cellview.is_valid():
        raise AdkError("no layout is open in the current view")
    layout = cellview.layout()
    path = cellview.filename() or cellview.name or "layout"
    cell = layout.cell(top) if top else cellview.cell
    if cell is None:
        raise AdkError(f"{path}: no cell named '{top}'" if top else f"{path}: no cell is shown")
    return LoadedLayout(path, layout, cell)


def report_path(layout_path: str, deck_name: str, folder: str = "") -> str:
    """``LAYOUT.DECK.lyrdb`` in ``folder``, else beside the layout file, else in the temp folder."""
    from adk.report.markers import default_report

    stem = default_report(layout_path)[: -len(".lyrdb")]
    if not folder:
        beside = os.path.dirname(os.path.abspath(layout_path))
        writable = os.path.isfile(layout_path) and os.access(beside, os.W_OK)
        folder = beside if writable else tempfile.gettempdir()
    return os.path.join(folder, f"{stem}.{deck_name}.lyrdb")


def run_on_view(
    target: Any,
    deck_path: str,
    layer_map: str = "",
    output: str = "",
    output_folder: str = "",
    top: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Check ``target`` (see :func:`loaded_layout`) against a deck; write the marker database
    and return its path. ``progress`` is called before each rule as ``run_deck`` does."""
    import adk

    loaded = loaded_layout(target, top)
    deck = adk.load_deck(deck_path, layer_map or None)
    result = adk.check(loaded, deck, progress=progress)
    path = output or report_path(loaded.path, deck.name, output_folder)
    adk.write_markers(result, path)
    return path


def show_markers(view: Any, report: str) -> int:
    """Load a marker database into the view's marker browser, replacing an earlier copy of
    the same file, and open the browser on the active layout. Returns the database's index."""
    if not os.path.isfile(report):
        raise AdkError(f"{report}: no such marker database")
    for index in reversed(range(view.num_rdbs())):
        if os.path.abspath(view.rdb(index).filename()) == os.path.abspath(report):
            view.remove_rdb(index)
    database = rdb.ReportDatabase("")
    database.load(report)
    index = view.add_rdb(database)
    view.show_rdb(index, max(view.active_cellview_index(), 0))
    return index


def rule_manual(deck_path: str) -> tuple[str, str]:
    """A deck's title and manual: ``docs/rules/DECK.md`` where the plugin has it, else the
    table of ``adk rules``."""
    import adk
    from adk.report.rule_table import rules_table

    deck = adk.load_deck(deck_path)
    title = f"{deck.title or deck.name} ({' '.join(filter(None, (deck.name, deck.version)))})"
    folder = manual_folder()
    if folder is not None and (folder / f"{deck.name}.md").is_file():
        return title, (folder / f"{deck.name}.md").read_text(encoding="utf-8")
    return title, rules_table(deck)


def error_text(exc: BaseException) -> str:
    """What a message box shows for a failed run: each deck error as ``file:line:col: ...``."""
    if isinstance(exc, DeckError):
        return "\n".join(diagnostic.render() for diagnostic in exc.diagnostics)
    if isinstance(exc, Cancelled):
        return "The run was cancelled."
    if isinstance(exc, AdkError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"
