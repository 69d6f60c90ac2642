"""A run of the ADK menu in a worker process, so that KLayout's window stays responsive.

KLayout's C++ calls keep Python's interpreter lock while they run, so a check in a thread
of the application would freeze its window as one in its main thread does. So the menu
writes the layout as it is in memory, edits included (the current cell and every cell
under it, with the layout's layer list and database unit), to a temporary OASIS file and
starts the application once more in batch mode (``klayout -b``), which imports the same
adk, from the same folder, as the menu. The worker checks the copy as the view's layout
(reports and waivers go by the view's file name) and writes:

- a progress file, one JSON line as it reads the layout, as each rule starts and as each
  of its tiles ends (:mod:`adk.run.stepwise`), and as it writes the marker database;
- the marker database, into the run's temporary folder, which the menu moves into place
  (a worker killed while writing leaves no half file beside the layout);
- a result file: what the menu shows after the run, or the error that ended it.

The menu reads them between turns of the event loop (:mod:`adk.klayout.progress`); Cancel
kills the worker's process group at once. The worker ends when the menu's end of its
standard input closes, so a KLayout that quits or crashes leaves no check running on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from adk.errors import AdkError
from adk.klayout import plugin
from adk.layout.reader import LoadedLayout
from adk.run.stepwise import Step

# what the worker application runs: the adk package's folder first, then the worker's side
_BOOT = """\
import sys
sys.path.insert(0, {folder!r})
from adk.klayout.worker import main
main({job!r})
"""
_LOG_LINES = 5  # lines of the worker's output an error shows


@dataclass(frozen=True)
class Job:
    """Everything the worker needs: the copy of the layout and what it stands for (the
    view's file, its top cell, its layers and database unit), the deck, where the report
    goes (``report``: the file the worker writes; ``shown_report``: where the menu puts
    it), ``options`` for :func:`adk.klayout.plugin.check_on_view`, and the files it
    reports through."""

    layout: str
    shown_as: str
    top: str
    dbu: float
    layers: list[tuple[int, int, str]]
    deck: str
    report: str
    shown_report: str
    progress: str
    result: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    """What the menu shows after a run, made where the run ran: the deck's name, the marker
    database, the summary (:func:`adk.klayout.summary.run_summary`) and the rules failed."""

    deck: str
    report: str
    summary: str
    failed: int
    rules: int


def finished(run: plugin.ViewRun, report: str = "") -> Finished:
    """The menu's view of a run; ``report``: where its marker database ends up, if elsewhere."""
    from adk.klayout.summary import failed_rules, run_summary

    report = report or run.report
    return Finished(
        run.result.deck.name,
        report,
        run_summary(run.result, report, run.review),
        len(failed_rules(run.result, run.review)),
        len(run.result.outcomes),
    )


class NoWorker(AdkError):
    """No worker process can start here (no KLayout application to run in batch mode)."""


# ---------------------------------------------------------------- the menu's side
def klayout_executable() -> str | None:
    """The KLayout application to run the worker in: the one this Python runs in (its
    ``sys.executable``), else ``klayout`` on PATH."""
    if Path(sys.executable).name.lower().startswith("klayout") and os.access(
        sys.executable, os.X_OK
    ):
        return sys.executable
    return shutil.which("klayout")


class Worker:
    """A worker process checking a copy of a view's layout, as the menu watches it."""

    def __init__(self, job: Job, folder: str, process: subprocess.Popen[bytes], log: str):
        self.job = job
        self.folder = folder
        self.process = process
        self._log = log
        self._progress: TextIO | None = None
        self._pending = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, loaded: LoadedLayout, deck: str, report: str, options: dict[str, Any]) -> Worker:
        """Write the copy of ``loaded`` and start the worker on it; raises :class:`NoWorker`
        when no worker can start."""
        executable = klayout_executable()
        if executable is None:
            raise NoWorker("no KLayout application to run the check in")
        folder = tempfile.mkdtemp(prefix="adk-run-")
        try:
            job = _job(loaded, deck, report, options, folder)
            process, log = _launch(executable, job, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(job, folder, process, log)

    def steps(self) -> list[Step | str]:
        """What the worker reported since the last call: steps of the rules, and the names
        of the stages between them (``reading the layout``)."""
        if self._progress is None:
            if not os.path.exists(self.job.progress):
                return []
            self._progress = open(self.job.progress, encoding="utf-8")  # noqa: SIM115
        self._pending += self._progress.read()
        *lines, self._pending = self._pending.split("\n")
        return [_record(json.loads(line)) for line in lines if line]

    def poll(self) -> Finished | None:
        """The run's result once the worker has ended, None while it runs; raises the
        AdkError it ended with, or one for a worker that died without a result."""
        code = self.process.poll()
        if code is None:
            return None
        if not os.path.isfile(self.job.result):
            raise AdkError(
                f"the worker process ended (exit code {code}) without a result" + self._told()
            )
        with open(self.job.result, encoding="utf-8") as stream:
            record = json.load(stream)
        if "error" in record:
            raise AdkError(record["error"])
        return Finished(**record["finished"])

    def cancel(self) -> None:
        """Kill the worker and whatever it started, at once."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            if hasattr(os, "killpg"):
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """Stop the worker if it still runs and remove the run's temporary folder."""
        self.cancel()
        if self._progress is not None:
            self._progress.close()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _told(self) -> str:
        """The last lines the worker printed, for an error message."""
        with contextlib.suppress(OSError), open(self._log, encoding="utf-8") as stream:
            lines = [line.rstrip() for line in stream if line.strip()]
            if lines:
                return ":\n" + "\n".join(lines[-_LOG_LINES:])
        return ""


def move_into_place(source: str, target: str) -> None:
    """Move the worker's marker database to ``target``, replacing it at once: a reader of
    ``target`` sees the old file or the new one, never half of one."""
    from adk.report.atomic import save_atomically

    def copy(temporary: str) -> None:
        shutil.copyfile(source, temporary)

    save_atomically(target, copy, "marker database")


def _job(loaded: LoadedLayout, deck: str, report: str, options: dict[str, Any], folder: str) -> Job:
    """The job for the view's layout: the top cell placing the current cell is copied, as
    its markers are checked in that context (:func:`adk.run.focus.markers_of_cell`)."""
    from adk.run.focus import context_top

    copy = os.path.join(folder, "layout.oas")
    layout = loaded.layout
    context = context_top(layout, loaded.top)
    _write_copy(LoadedLayout(loaded.path, layout, context), copy)
    options = {**options, "cell": options.get("cell") or loaded.top.name}
    return Job(
        layout=copy,
        shown_as=loaded.path,
        top=context.name,
        dbu=layout.dbu,
        layers=[
            (info.layer, info.datatype, info.name)
            for info in layout.layer_infos()
            if info.layer >= 0 and info.datatype >= 0  # a deck's layers have numbers
        ],
        deck=os.path.abspath(deck),
        report=os.path.join(folder, "report.lyrdb"),
        shown_report=report,
        progress=os.path.join(folder, "progress.jsonl"),
        result=os.path.join(folder, "result.json"),
        options=options,
    )


def _write_copy(loaded: LoadedLayout, path: str) -> None:
    """The top cell and every cell under it as OASIS: fast to write and to read, and, unlike
    GDS, it keeps polygons of any number of points whole."""
    import klayout.db as kdb

    options = kdb.SaveLayoutOptions()
    options.format = "OASIS"
    options.write_context_info = False  # PCell and library references stay plain cells
    options.select_cell(loaded.top.cell_index())
    loaded.layout.write(path, options)


def _launch(executable: str, job: Job, folder: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start the application in batch mode on the job, in a process group of its own."""
    import adk

    job_file, boot, log = (os.path.join(folder, name) for name in ("job.json", "boot.py", "log"))
    Path(job_file).write_text(json.dumps(asdict(job)), encoding="utf-8")
    package_folder = str(Path(adk.__file__).resolve().parents[1])
    Path(boot).write_text(_BOOT.format(folder=package_folder, job=job_file), encoding="utf-8")
    with open(log, "wb") as output:
        try:
            process = subprocess.Popen(
                [executable, "-b", "-r", boot],
                stdin=subprocess.PIPE,  # its end closing tells the worker to stop
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise NoWorker(f"{executable}: cannot start: {exc.strerror or exc}") from None
    return process, log


def _record(record: dict[str, Any]) -> Step | str:
    if "stage" in record:
        return str(record["stage"])
    return Step(**record)


# ---------------------------------------------------------------- the worker's side
def main(job_file: str) -> None:
    """Run the job (in ``klayout -b``), write its result, and end at once: tearing the
    application down would only delay the menu."""
    job = Job(**json.loads(Path(job_file).read_text(encoding="utf-8")))
    _stop_with_the_menu(os.path.dirname(job_file))
    with open(job.progress, "a", encoding="utf-8") as progress:

        def report(record: dict[str, Any]) -> None:
            progress.write(json.dumps(record) + "\n")
            progress.flush()

        try:
            outcome: dict[str, Any] = {"finished": asdict(_run(job, report))}
        except Exception as exc:  # every failure reaches the menu as its message
            outcome = {"error": plugin.error_text(exc)}
    temporary = job.result + ".tmp"
    Path(temporary).write_text(json.dumps(outcome), encoding="utf-8")
    os.replace(temporary, job.result)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _run(job: Job, report: Any) -> Finished:
    """Check the copy as the view's layout and write the marker database."""
    report({"stage": "reading the layout"})
    loaded = _read_copy(job)
    run = plugin.check_on_view(
        loaded,
        job.deck,
        **job.options,
        output=job.report,
        tile_progress=lambda step: report(asdict(step)),
    )
    return finished(run, job.shown_report)


def _read_copy(job: Job) -> LoadedLayout:
    """The copy, read back as the layout it copies: its file name, its database unit (OASIS
    keeps it only to a rounding) and its layers, the empty ones too (a copy holds only
    layers with shapes, and a layer the layout has reads as empty, not as absent)."""
    import klayout.db as kdb

    from adk.layout.reader import read_layout

    loaded = read_layout(job.layout, job.top)
    loaded.layout.dbu = job.dbu
    for layer, datatype, name in job.layers:
        if loaded.layer_index(layer, datatype) is None:
            loaded.layout.layer(kdb.LayerInfo(layer, datatype, name))
    return LoadedLayout(job.shown_as, loaded.layout, loaded.top)


def _stop_with_the_menu(folder: str) -> None:
    """End this process, and remove the run's ``folder``, when the menu's end of its
    standard input closes (KLayout quit or died). The thread runs between KLayout's calls,
    so within one call's time."""

    def wait() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 1024):
                pass
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=wait, daemon=True).start()
