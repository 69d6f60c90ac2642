"""What the ADK menu does, without the menu: run a deck on a view's layout, show the markers,
name the deck's layers in the view, the settings, the shipped decks with their titles and a
deck's rule manual. The menu calls these functions, and so can a batch-mode script
(``klayout -b -r``), which is how the tests drive the menu's code path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adk.klayout.embedded import use_application_modules

use_application_modules()  # before the adk modules that import klayout.db

import klayout.db as kdb  # noqa: E402
import klayout.rdb as rdb  # noqa: E402

from adk.errors import AdkError, DeckError  # noqa: E402
from adk.lang.model import Deck  # noqa: E402
from adk.layout.reader import LoadedLayout, choose_top  # noqa: E402
from adk.report.review import Review  # noqa: E402
from adk.run.result import RunResult  # noqa: E402
from adk.run.stepwise import TileProgress  # noqa: E402

Progress = Callable[[int, int, str], None]
CONFIG_PREFIX = "adk-"  # KLayout keeps every set_config key in its configuration file


class Cancelled(Exception):
    """The user cancelled a run from KLayout's progress bar."""


@dataclass
class Settings:
    """What the menu remembers between sessions: the last deck, a layer map, where reports go,
    the waiver file (empty: the layout's own, beside it)."""

    deck: str = ""
    layer_map: str = ""
    output_folder: str = ""
    last_report: str = ""
    waivers: str = ""


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


def shipped_decks() -> dict[str, str]:
    """The pillar decks shipped with adk: name -> path, by name."""
    from adk.kit.decks import shipped_decks as decks

    return {name: str(path) for name, path in decks().items()}


def deck_title(deck: Deck) -> str:
    """How the menu names a deck: its title, then its name and version."""
    return f"{deck.title or deck.name} ({' '.join(filter(None, (deck.name, deck.version)))})"


def deck_choices() -> list[tuple[str, str, str]]:
    """The shipped decks as the Run Deck menu lists them: (name, path, title); a deck that
    does not load is listed with its first error, so that running it shows them all."""
    import adk

    choices = []
    for name, path in shipped_decks().items():
        try:
            title = deck_title(adk.load_deck(path))
        except AdkError as exc:
            title = f"{name} (cannot be read: {error_text(exc).splitlines()[0]})"
        choices.append((name, path, title))
    return choices


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


@dataclass
class ViewRun:
    """What a run on a view gives: the result, where its marker database is, and what the
    waiver file said (an empty review without one)."""

    result: RunResult
    report: str
    review: Review = field(default_factory=Review)


def check_on_view(
    target: Any,
    deck_path: str,
    layer_map: str = "",
    output: str = "",
    output_folder: str = "",
    top: str | None = None,
    progress: Progress | None = None,
    waivers: str = "",
    tile_progress: TileProgress | None = None,
    cell: str = "",
) -> ViewRun:
    """Check ``target`` (see :func:`loaded_layout`) against a deck and write the marker
    database, its items waived by the waiver file (``waivers``, else the layout's own, see
    :func:`adk.klayout.waiver_file.waiver_path`) tagged ``waived``. ``progress`` is called
    before each rule as ``run_deck`` does; ``tile_progress`` as each rule starts and each of
    its tiles ends (:func:`adk.check`). The markers are those of the view's current cell
    (or ``cell``), checked in the context of the top cell placing it (docs/klayout.md)."""
    import adk
    from adk.klayout.waiver_file import read_waivers, run_review, waiver_path

    loaded = loaded_layout(target, top)
    deck = adk.load_deck(deck_path, layer_map or None)
    waiver_file = waiver_path(loaded.path, waivers)
    entries = read_waivers(waiver_file)  # before the run: a malformed file stops it at once
    shown = cell or loaded.top.name
    result = adk.check(loaded, deck, progress=progress, tile_progress=tile_progress, cell=shown)
    path = output or report_path(loaded.path, deck.name, output_folder)
    review = run_review(result, waiver_file, entries)
    adk.write_report(result, path, "lyrdb", review)
    return ViewRun(result, path, review)


def run_on_view(target: Any, deck_path: str, layer_map: str = "", **options: Any) -> str:
    """:func:`check_on_view`, returning the marker database's path."""
    return check_on_view(target, deck_path, layer_map, **options).report


def fit_question(target: Any, deck: Deck) -> str | None:
    """What to ask before running ``deck`` on ``target`` when the deck seems not to be the
    layout's (most of the layers its rules read absent, or most rules not checkable), so
    that a wrong deck or layer map costs a click, not a run; None when it fits."""
    from adk.run.engine import fit_before_run

    warnings = fit_before_run(deck, deck.layers, loaded_layout(target))
    if not warnings:
        return None
    listed = "\n".join(f"- {warning}" for warning in warnings)
    return f"{deck_title(deck)} may not be the deck for this layout:\n\n{listed}\n\nRun it anyway?"


def name_layers(view: Any, deck: Deck) -> int:
    """Name and colour the view's layers that the deck draws on (see
    :func:`adk.klayout.layers.apply_to_view`); returns how many changed."""
    from adk.klayout.layers import apply_to_view

    return apply_to_view(view, deck, active_index(view))


def active_index(view: Any) -> int:
    """The index of the view's active layout (0 when none is): ``active_cellview_index`` is
    a method before KLayout 0.30 and a property since, ``active_cellview().index()`` both."""
    return max(view.active_cellview().index(), 0)


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
    view.show_rdb(index, active_index(view))
    return index


def rule_manual(deck_path: str) -> tuple[str, str]:
    """A deck's title and its manual in Markdown, as ``adk docs`` writes it, made from the
    deck itself: always at hand, and always the manual of the deck that was run."""
    import adk
    from adk.report.manual import deck_manual

    deck = adk.load_deck(deck_path)
    return deck_title(deck), deck_manual(deck, os.path.dirname(os.path.abspath(deck.path)))


def error_text(exc: BaseException) -> str:
    """What a message box shows for a failed run: each deck error as ``file:line:col: ...``."""
    if isinstance(exc, DeckError):
        return "\n".join(diagnostic.render() for diagnostic in exc.diagnostics)
    if isinstance(exc, Cancelled):
        return "The run was cancelled."
    if isinstance(exc, AdkError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"
