"""The ADK menu in KLayout's main window. Each entry calls :mod:`adk.klayout.plugin`; every
failure ends in a message box (a deck's errors with file:line:col), never a traceback.

Removing the grain in KLayout's package manager removes the menu at once: KLayout announces
the change of its packages (``Application.on_salt_changed``), and the menu goes when its
grain's ``grain.xml`` is gone.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pya

from adk.errors import AdkError
from adk.klayout import plugin, progress, waiver_dialog
from adk.klayout.pages import markdown_html
from adk.klayout.summary import cancelled_summary
from adk.klayout.worker import Finished
from adk.lang.model import Deck
from adk.run.stepwise import Step

MENU = "adk_menu"
SUMMARY_TITLE = "ADK run summary"
# grain/python/adk/klayout/menu.py: the grain this module runs from, if it runs from one
GRAIN_FILE = Path(__file__).resolve().parents[3] / "grain.xml"
# actions and windows live as long as the menu: Qt holds no Python reference
_keep: list[object] = []
_windows: dict[str, pya.BrowserDialog] = {}  # the run summary and the manual, one of each
_watching: list[Callable[[], None]] = []


def install_menu() -> None:
    """Add (or rebuild) the ADK menu before the Help menu. Does nothing without a main window."""
    window = pya.Application.instance().main_window()
    if window is None:
        return
    menu = window.menu()
    if menu.is_valid(MENU):
        menu.delete_item(MENU)
    _keep.clear()
    menu.insert_menu("help_menu", MENU, "ADK")
    menu.insert_menu(f"{MENU}.end", "run_deck", "Run Deck")
    for name, path, title in plugin.deck_choices():
        _item(menu, f"{MENU}.run_deck.end", name, title, partial(run_deck, path))
    _item(menu, f"{MENU}.end", "run_file", "Run Deck File...", run_deck_file)
    _item(menu, f"{MENU}.end", "rerun", "Re-run Last Deck", rerun, "Ctrl+Shift+R")
    menu.insert_separator(f"{MENU}.end", "markers_group")
    _item(menu, f"{MENU}.end", "show_markers", "Show Last Markers", show_last_markers)
    _item(menu, f"{MENU}.end", "save_waivers", "Save Waivers...", waiver_dialog.save_waivers)
    _item(menu, f"{MENU}.end", "manual", "Rule Manual...", show_manual)
    menu.insert_menu(f"{MENU}.end", "settings", "Settings")
    settings = f"{MENU}.settings.end"
    _item(menu, settings, "deck", "Deck File...", choose_deck)
    _item(menu, settings, "layer_map", "Layer Map...", choose_layer_map)
    _item(menu, settings, "no_layer_map", "No Layer Map", lambda: _update(layer_map=""))
    _item(menu, settings, "output", "Output Folder...", choose_output_folder)
    _item(
        menu,
        settings,
        "output_beside",
        "Output Beside the Layout",
        lambda: _update(output_folder=""),
    )
    _item(menu, settings, "waivers", "Waiver File...", choose_waiver_file)
    beside = "Waivers Beside the Layout"
    _item(menu, settings, "waivers_beside", beside, lambda: _update(waivers=""))
    _watch_packages()


def remove_menu() -> None:
    """Take the ADK menu and its windows away."""
    window = pya.Application.instance().main_window()
    if window is not None and window.menu().is_valid(MENU):
        window.menu().delete_item(MENU)
    for dialog in _windows.values():
        dialog.close()
    _windows.clear()
    _keep.clear()


def _watch_packages() -> None:
    """Remove the menu when the grain it came from is removed (once per session)."""
    if _watching or not GRAIN_FILE.is_file():
        return  # watching already, or not running from an installed grain

    def packages_changed() -> None:
        if not GRAIN_FILE.is_file():
            remove_menu()

    _app().on_salt_changed += packages_changed
    _watching.append(packages_changed)


def _item(
    menu: pya.AbstractMenu,
    path: str,
    name: str,
    title: str,
    handler: Callable[[], object],  # what it returns is dropped
    shortcut: str = "",
) -> None:
    action = pya.Action()
    action.title = title
    if shortcut:
        action.shortcut = shortcut
    action.on_triggered(lambda: _guarded(handler))
    menu.insert_item(path, name, action)
    _keep.append(action)


def _guarded(handler: Callable[[], object]) -> None:
    try:
        handler()
    except Exception as exc:  # a deck error or a bug: a message box, not a traceback dialog
        pya.MessageBox.critical("ADK", plugin.error_text(exc), pya.MessageBox.Ok)


def _app() -> pya.Application:
    return pya.Application.instance()


def _update(**changes: str) -> plugin.Settings:
    settings = plugin.load_settings(_app())
    for name, value in changes.items():
        setattr(settings, name, value)
    plugin.save_settings(_app(), settings)
    return settings


# ---------------------------------------------------------------- running
def run_deck(deck: str) -> None:
    """Check the current view's layout against ``deck`` in a worker process, under KLayout's
    progress bar (:mod:`adk.klayout.progress`), open the markers on it, name the deck's
    layers in the Layers panel and show a summary of the run. A deck that seems not to be
    the layout's asks first."""
    import adk

    view = pya.LayoutView.current()
    if view is None:
        raise AdkError("open a layout first")
    if not waiver_dialog.save_before_run(view, "the run replaces the markers"):
        return
    settings = _update(deck=deck)
    checked = adk.load_deck(deck, settings.layer_map or None)  # its errors before any run
    if not _fits_or_confirmed(view, checked):
        return
    report = plugin.report_path(
        plugin.loaded_layout(view).path, checked.name, settings.output_folder
    )
    options = {"layer_map": settings.layer_map, "waivers": settings.waivers}
    bar = progress.Bar(f"adk: {os.path.basename(deck)}")
    try:
        done = progress.check(view, deck, report, options, bar)
    except plugin.Cancelled:
        name = os.path.basename(deck)
        _show_summary(name, _cancelled(name, bar.reached))
        return
    finally:
        bar.close()
    _show_run(view, checked, done)


def _show_run(view: pya.LayoutView, deck: Deck, done: Finished) -> None:
    """The markers of a run in the marker browser, the deck's layers named, the summary."""
    _update(last_report=done.report)
    if not view._destroyed():  # closed while the run went on
        plugin.show_markers(view, done.report)
        plugin.name_layers(view, deck)
    _show_summary(done.deck, done.summary)
    _app().main_window().message(
        f"ADK: {done.deck}: {done.failed} of {done.rules} rules failed", 10000
    )


def _fits_or_confirmed(view: pya.LayoutView, deck: Deck) -> bool:
    """Whether to run: the deck fits the layout, or the user says to run it anyway."""
    question = plugin.fit_question(view, deck)
    if question is None:
        return True
    buttons = pya.MessageBox.Yes | pya.MessageBox.No
    return pya.MessageBox.warning("ADK", question, buttons) == pya.MessageBox.Yes


def _cancelled(name: str, reached: Step | None) -> str:
    """The summary of a run cancelled at ``reached`` (None: before its first rule)."""
    if reached is None:
        return cancelled_summary(name, 0, 0)
    if reached.tiles_done == reached.tiles:  # between two rules
        return cancelled_summary(name, reached.rule + 1, reached.rules)
    return cancelled_summary(
        name, reached.rule, reached.rules, reached.rule_id, reached.tiles_done, reached.tiles
    )


def _show_summary(deck: str, text: str) -> None:
    """The run's summary in a window of its own, which the next run replaces."""
    _show_window("summary", f"{SUMMARY_TITLE}: {deck}", f"<pre>{html.escape(text)}</pre>")


def _show_window(key: str, title: str, page: str, width: int = 820, height: int = 520) -> None:
    """A non-modal window showing ``page``, replacing the earlier window of that ``key``."""
    previous = _windows.pop(key, None)
    if previous is not None:
        previous.close()
    dialog = pya.BrowserDialog(_app().main_window(), page)
    dialog.windowTitle = title
    dialog.resize(width, height)
    dialog.show()
    _windows[key] = dialog


def run_deck_file() -> None:
    deck = _ask_file("Run a rule deck", "Rule decks (*.adk);;All files (*)")
    if deck:
        run_deck(deck)


def rerun() -> None:
    deck = plugin.load_settings(_app()).deck
    if not deck:
        raise AdkError("no deck has been run yet: choose one under ADK > Run Deck")
    run_deck(deck)


# ---------------------------------------------------------------- markers and manual
def show_last_markers() -> None:
    view = pya.LayoutView.current()
    report = plugin.load_settings(_app()).last_report
    if view is None or not report:
        raise AdkError("no markers yet: run a deck on an open layout first")
    if waiver_dialog.save_before_run(view, "showing the last markers loads them anew"):
        plugin.show_markers(view, report)


def show_manual() -> None:
    deck = plugin.load_settings(_app()).deck or _ask_file(
        "Rule manual of a deck", "Rule decks (*.adk)"
    )
    if not deck:
        return
    title, text = plugin.rule_manual(deck)
    _show_window("manual", f"ADK rule manual: {title}", markdown_html(text), 1000, 700)


# ---------------------------------------------------------------- settings
def choose_deck() -> None:
    deck = _ask_file("Deck for Re-run", "Rule decks (*.adk);;All files (*)")
    if deck:
        _update(deck=deck)


def choose_layer_map() -> None:
    layer_map = _ask_file("Layer map", "Layer maps (*.yaml *.yml);;All files (*)")
    if layer_map:
        _update(layer_map=layer_map)


def choose_output_folder() -> None:
    folder = pya.FileDialog.ask_existing_dir(
        "Folder for marker databases", plugin.load_settings(_app()).output_folder
    )
    if folder:
        _update(output_folder=folder)


def choose_waiver_file() -> None:
    waivers = pya.FileDialog.ask_save_file_name(
        "Waiver file (read by every run, written by Save Waivers)",
        plugin.load_settings(_app()).waivers or ".",
        "Waiver files (*.yaml *.yml);;All files (*)",
    )
    if waivers:
        _update(waivers=waivers)


def _ask_file(title: str, filters: str) -> str | None:
    start = os.path.dirname(plugin.load_settings(_app()).deck) or "."
    return pya.FileDialog.ask_open_file_name(title, start, filters)
