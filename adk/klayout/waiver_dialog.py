"""The ADK menu's waiver entries: *Save Waivers...* asks for the reason, the owner and an
optional expiry date, then appends an entry for each marker waived in the marker browser
to the waiver file (:mod:`adk.klayout.waiver_file` does the work, and batch scripts call
it directly). A run replaces the markers the browser shows, and with them the waive flags
not saved yet, so a run first offers to save those.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

import pya

from adk.errors import AdkError
from adk.klayout import plugin, waiver_file
from adk.report.browser_waivers import describe

TITLE = "ADK: Save Waivers"
DIALOG = "adk_waiver_dialog"  # object names, by which a test finds the dialog and its fields
FIELDS = ("adk_waiver_reason", "adk_waiver_owner", "adk_waiver_expires")


@dataclass(frozen=True)
class Answer:
    reason: str
    owner: str
    expires: str  # as typed: waiver_file.parse_expiry reads it


def save_waivers() -> None:
    """The menu entry: save what the current view's marker browsers waived."""
    view = _current_view()
    chosen = plugin.load_settings(pya.Application.instance()).waivers
    shown = waiver_file.shown_markers(view, chosen)
    if not shown:
        raise AdkError("no ADK markers in this view: run a deck first")
    new = sum(len(item.found.new) for item in shown)
    if not new:
        notes = [line for item in shown for line in describe(item.found)]
        pya.MessageBox.info("ADK", waiver_file.Saved(notes=notes).message(), pya.MessageBox.Ok)
        return
    _ask_and_save(view, chosen, new, _files(shown))


def save_before_run(view: pya.LayoutView | None, why: str) -> bool:
    """Offer to save the waive flags that reloading the markers would drop (``why`` says
    what reloads them); False when the user cancels."""
    if view is None:
        return True
    chosen = plugin.load_settings(pya.Application.instance()).waivers
    new = waiver_file.unsaved_count(view, chosen)
    if not new:
        return True
    choice = pya.MessageBox.question(
        "ADK",
        f"{waiver_file.plural(new, 'marker')} waived in the marker browser "
        f"{'is' if new == 1 else 'are'} not in the waiver file yet, and {why}. "
        "Save the waivers first?",
        pya.MessageBox.Yes + pya.MessageBox.No + pya.MessageBox.Cancel,
    )
    if choice == pya.MessageBox.Cancel:
        return False
    if choice == pya.MessageBox.No:
        return True
    return _ask_and_save(view, chosen, new, _files(waiver_file.shown_markers(view, chosen)))


def _files(shown: list[waiver_file.ShownMarkers]) -> str:
    """The waiver files the new entries go to: one, unless the view shows the markers of
    several layouts."""
    return ", ".join(sorted({item.waivers_path for item in shown if item.found.new}))


def _ask_and_save(view: pya.LayoutView, chosen: str, count: int, path: str) -> bool:
    answer = ask(count, path)
    if answer is None:
        return False
    saved = waiver_file.save_browser_waivers(
        view, answer.reason, answer.owner, waiver_file.parse_expiry(answer.expires), chosen
    )
    pya.MessageBox.info("ADK", saved.message(), pya.MessageBox.Ok)
    return True


def ask(count: int, path: str) -> Answer | None:
    """The reason, owner and expiry date for ``count`` new entries of the waiver file at
    ``path``; None when the user cancels. The dialog stays open until what is typed is
    a valid waiver."""
    dialog = pya.QDialog(pya.Application.instance().main_window())
    dialog.objectName = DIALOG
    dialog.windowTitle = TITLE
    form = pya.QFormLayout(dialog)
    markers = waiver_file.plural(count, "marker")
    note = pya.QLabel(f"{markers} waived in the marker browser, to {path}:", dialog)
    form.addRow(note)
    fields = [pya.QLineEdit(dialog) for _ in FIELDS]
    for edit, name in zip(fields, FIELDS):
        edit.objectName = name
    reason, owner, expires = fields
    reason.placeholderText = "why the violations are accepted"
    owner.text = _login()
    expires.placeholderText = "YYYY-MM-DD, or empty: until removed"
    for label, edit in zip(("Reason:", "Owner:", "Expires:"), fields):
        form.addRow(label, edit)
    problem = pya.QLabel("", dialog)
    form.addRow(problem)
    buttons = pya.QDialogButtonBox(dialog)
    for button in (pya.QDialogButtonBox.Ok, pya.QDialogButtonBox.Cancel):
        buttons.addButton(button)
    form.addRow(buttons)
    buttons.accepted = lambda: _accept(dialog, problem, reason.text, owner.text, expires.text)
    buttons.rejected = dialog.reject
    dialog.resize(560, 200)
    accepted = dialog.exec_() == 1
    answer = Answer(reason.text.strip(), owner.text.strip(), expires.text.strip())
    dialog._destroy()
    return answer if accepted else None


def _accept(dialog: pya.QDialog, problem: pya.QLabel, *typed: str) -> None:
    """Close the dialog on a valid answer, else say what is wrong and keep it open."""
    reason, owner, expires = typed
    try:
        if not reason.strip() or not owner.strip():
            raise AdkError("give a reason and an owner")
        waiver_file.parse_expiry(expires)
    except AdkError as exc:
        problem.text = str(exc)
        return
    dialog.accept()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment: the user types one
        return ""


def _current_view() -> pya.LayoutView:
    view = pya.LayoutView.current()
    if view is None:
        raise AdkError("open a layout first")
    return view
