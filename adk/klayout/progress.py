"""A run of the ADK menu under KLayout's progress bar: the rule running, how many of its
tiles are done, and Cancel.

The check runs in a worker process (:mod:`adk.klayout.worker`) while this process turns
KLayout's event loop, every :data:`POLL_SECONDS`: the window redraws, timers fire, and
Cancel kills the worker at once. The bar's text names the rule running, and its
percentage is that rule's (its tiles done), taken from one progress record. Where no
worker can start (no KLayout application to run in batch mode), the check runs in this
process as before: the window then freezes while a tile runs, and Cancel takes effect
after it.
"""

from __future__ import annotations

import time
from typing import Any

import pya

from adk.errors import AdkError
from adk.klayout import plugin
from adk.klayout.worker import Finished, NoWorker, Worker, finished, move_into_place
from adk.run.stepwise import Step

POLL_SECONDS = 0.05
# how often the bar is redrawn (and Cancel looked at): above KLayout's 0.3 s between yields
REFRESH_SECONDS = 0.4
_running: list[Worker | None] = []  # the run in progress (None: in this process), if any


class Bar:
    """KLayout's progress bar for one run: ``title`` and what the run does now.

    KLayout draws its bar in a call that changes the text or the percentage, when that call
    also yields to the event loop, which it does at most every 0.3 s (KLayout 0.28); a
    change made in a call that does not yield counts as drawn and is not drawn later, and
    text and percentage are two calls. Set at every step, the bar shows the text of one
    step and the percentage of another. So the bar is refreshed every
    :data:`REFRESH_SECONDS`: a first call, which yields, draws the text and percentage
    handed over at the last refresh (its percentage moved by a tenth of a percent, so that
    it is a change); the next two, right after it, hand over the newest text and
    percentage, and draw nothing. What the bar shows is one step, at most one refresh old.
    The event loop turns in between through the application."""

    def __init__(self, title: str):
        self.title = title
        self.reached: Step | None = None  # the last step shown, for a cancelled run's summary
        self._wanted = (f"{title}: starting", 0)
        self._handed = self._wanted  # handed over to the bar, drawn at the next refresh
        self._refreshed_at = time.monotonic()
        self._bar = pya.RelativeProgress(self._wanted[0], 1000, 1)  # in tenths of a percent

    def show(self, what: Step | str) -> None:
        """Show a stage (``reading the layout``) or a rule's step, from the next refresh on."""
        if isinstance(what, str):
            self._wanted = (f"{self.title}: {what}", 0)
            return
        self.reached = what
        self._wanted = (f"{self.title}: {describe(what)}", round(100 * what.fraction))

    def turn(self) -> None:
        """Let KLayout handle its events (redraw, timers, clicks) and refresh the bar when
        due; raises :class:`adk.klayout.plugin.Cancelled` once Cancel has been pressed."""
        pya.Application.instance().process_events()
        if time.monotonic() - self._refreshed_at < REFRESH_SECONDS:
            return
        try:
            self._refresh()
        except Exception:  # KLayout's progress raises once its Cancel button is pressed
            raise plugin.Cancelled() from None

    def _refresh(self) -> None:
        """Draw what was handed over last time, then hand over the newest (see the class)."""
        desc, percent = self._wanted
        self._refreshed_at = time.monotonic()
        self._bar.set(10 * self._handed[1] + 1, True)  # a change, and a yield: drawn
        if desc != self._handed[0]:
            self._bar.desc = desc
        self._bar.set(10 * percent, True)
        self._handed = self._wanted

    def close(self) -> None:
        self._bar._destroy()


def describe(step: Step) -> str:
    """A step as the bar says it: ``RDL1.S (rule 2 of 11), tile 5 of 16``; once the last
    rule's last tile is done, what comes then."""
    if step.rule == step.rules - 1 and step.tiles_done == step.tiles:
        return "writing the marker database"
    tiles = f", tile {step.tiles_done} of {step.tiles}" if step.tiles > 1 else ""
    return f"{step.rule_id} (rule {step.rule + 1} of {step.rules}){tiles}"


def check(view: Any, deck: str, report: str, options: dict[str, Any], bar: Bar) -> Finished:
    """Check the view's layout against ``deck`` and write the marker database to
    ``report``, in a worker process if one can start, else here; ``options`` for
    :func:`adk.klayout.plugin.check_on_view`. Returns what to show; raises
    :class:`adk.klayout.plugin.Cancelled` when Cancel is pressed."""
    if _running:
        raise AdkError("a run is in progress: wait for it, or cancel it")
    loaded = plugin.loaded_layout(view)
    try:
        worker = Worker.start(loaded, deck, report, options)
    except NoWorker as exc:
        window = pya.Application.instance().main_window()
        if window is not None:
            window.message(f"ADK: {exc}: checking in KLayout itself", 10000)
        return _here(view, deck, report, options, bar)
    _running.append(worker)
    try:
        return _watched(worker, bar)
    finally:
        _running.clear()
        worker.close()


def running() -> Worker | None:
    """The worker of the run in progress, if any."""
    return _running[0] if _running else None


def _watched(worker: Worker, bar: Bar) -> Finished:
    """Turn the event loop, showing the worker's progress, until it ends."""
    while True:
        for what in worker.steps():
            bar.show(what)
        done = worker.poll()
        if done is not None:
            move_into_place(worker.job.report, done.report)
            return done
        bar.turn()
        time.sleep(POLL_SECONDS)


def _here(view: Any, deck: str, report: str, options: dict[str, Any], bar: Bar) -> Finished:
    """The run in this process: the bar moves, and Cancel is seen, between tiles."""

    def step(what: Step) -> None:
        bar.show(what)
        bar.turn()

    _running.append(None)
    try:
        run = plugin.check_on_view(view, deck, **options, output=report, tile_progress=step)
    finally:
        _running.clear()
    return finished(run)
