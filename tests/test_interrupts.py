"""Ctrl-C and SIGTERM stop `adk check` within moments, even inside a long KLayout call,
with exit code 130 or 143 and one line, leaving no half-written report and the earlier
report in place (docs/robustness.md)."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from adk.layout.isolation import Ending, Limits, Stage, run_isolated, stage
from tests.hostile import write_deck, write_dot_array

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

EARLIER = "the report of an earlier run"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("interrupts")


@pytest.fixture(scope="module")
def deck(folder):
    return write_deck(folder)


@pytest.fixture(scope="module")
def slow_layout(folder):
    """40 000 squares too narrow: a check of several seconds."""
    return write_dot_array(str(folder / "slow.gds"), 200, 200)


@pytest.fixture(scope="module")
def wordy_layout(folder):
    """22 500 squares too narrow: a report of 8 MB, written for a few tenths of a second."""
    return write_dot_array(str(folder / "wordy.gds"), 150, 150)


def start_check(layout, deck, report, *more):
    return subprocess.Popen(
        [sys.executable, "-m", "adk", "check", layout, "--deck", deck, "-o", str(report), *more],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process, signum):
    """Send ``signum``; the seconds until the process ended, and what it wrote on stderr."""
    started = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    return time.monotonic() - started, err


def descendants(pid):
    """The processes below ``pid`` (Linux)."""
    found = []
    with contextlib.suppress(OSError):
        for child in children(pid):
            found += [child, *descendants(child)]
    return found


def state(pid):
    """``(state letter, start time)`` of process ``pid``, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            fields = stream.read().rsplit(") ", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[19])


def alive(pid, started):
    """Whether the process ``pid`` that started at ``started`` still runs: a zombie has
    ended, and a new process given the same number (they are reused) is another one."""
    now = state(pid)
    return now is not None and now[0] != "Z" and now[1] == started


def leftovers(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.parametrize(
    "signum, code, line",
    [
        (signal.SIGINT, 130, "adk: interrupted (SIGINT)"),
        (signal.SIGTERM, 143, "adk: terminated (SIGTERM)"),
    ],
)
def test_a_signal_stops_a_check_at_once(slow_layout, deck, tmp_path, signum, code, line):
    report = tmp_path / "slow.lyrdb"
    report.write_text(EARLIER)
    process = start_check(slow_layout, deck, report)
    time.sleep(1.0)
    assert process.poll() is None, "the check should still be running"
    seconds, err = stop(process, signum)
    assert process.returncode == code
    assert err == line + "\n"
    assert seconds < 2
    assert report.read_text() == EARLIER and leftovers(tmp_path) == []


def start_with_workers(layout, deck, report):
    """``adk check --jobs 3``, once its two worker processes run; and every process below
    the program then (the child, its watcher, the workers)."""
    process = start_check(layout, deck, report, "--jobs", "3")
    deadline = time.monotonic() + 20
    while len(workers(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers(process.pid)) == 2 and process.poll() is None
    return process, {
        pid: now[1] for pid in descendants(process.pid) if (now := state(pid)) is not None
    }


def workers(pid):
    """The worker processes below the program ``pid``: forked by its child, they write
    where it writes (the child's watcher writes nowhere)."""

    def output(process):
        with contextlib.suppress(OSError):
            return os.readlink(f"/proc/{process}/fd/2")
        return os.devnull

    return [
        worker
        for child in children(pid)
        for worker in children(child)
        if output(worker) != os.devnull
    ]


def children(pid):
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as stream:
                found += map(int, stream.read().split())
    return found


def gone(processes, within=10.0):
    """Whether every process of ``{pid: start time}`` has ended within ``within`` s."""
    deadline = time.monotonic() + within
    while any(alive(*entry) for entry in processes.items()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not any(alive(*entry) for entry in processes.items())


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="lists processes in /proc")
def test_sigterm_stops_the_worker_processes_too(slow_layout, deck, tmp_path):
    process, below = start_with_workers(slow_layout, deck, tmp_path / "jobs.lyrdb")
    seconds, err = stop(process, signal.SIGTERM)
    assert (process.returncode, err) == (143, "adk: terminated (SIGTERM)\n")
    assert seconds < 2
    assert gone(below, within=2)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="lists processes in /proc")
def test_the_check_and_its_workers_die_with_a_killed_program(slow_layout, deck, tmp_path):
    process, below = start_with_workers(slow_layout, deck, tmp_path / "killed.lyrdb")
    process.kill()  # SIGKILL: the program itself can clean nothing up
    process.wait()
    assert gone(below)


def test_an_interrupted_report_write_leaves_the_earlier_report(wordy_layout, deck, tmp_path):
    report = tmp_path / "wordy.lyrdb"
    report.write_text(EARLIER)
    process = start_check(wordy_layout, deck, report)
    while not leftovers(tmp_path) and process.poll() is None:
        time.sleep(0.001)  # until the temporary report appears: it is being written
    assert process.poll() is None, "the run ended before its report was seen being written"
    _, err = stop(process, signal.SIGINT)
    assert (process.returncode, err) == (130, "adk: interrupted (SIGINT)\n")
    assert report.read_text() == EARLIER and leftovers(tmp_path) == []


def test_a_closed_output_pipe_ends_the_run_quietly(folder, deck, tmp_path):
    squares = write_dot_array(str(folder / "squares.gds"), 40, 40)  # a summary of 0.5 MB
    process = subprocess.Popen(
        [sys.executable, "-m", "adk", "check", squares, "--deck", deck, "--format", "json",
         "-o", str(tmp_path / "piped.lyrdb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout.read(1) == b"{"
    process.stdout.close()  # as `adk check ... | head -c 1` does
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141 and err == b""  # 128 + SIGPIPE, as a shell has it


def test_two_runs_writing_one_report_never_interleave(folder, deck, tmp_path):
    """Two checks of different layouts write the same marker database and JSON report at
    once: each file is then whole, and one run's (never a mix), with no temporary file
    left; each rename replaces the file in one step."""
    layouts = [
        write_dot_array(str(folder / "small.gds"), 30, 30),  # 900 markers
        write_dot_array(str(folder / "large.gds"), 60, 60),  # 3600 markers
    ]
    report, summary = tmp_path / "shared.lyrdb", tmp_path / "shared.json"

    def written() -> tuple[bytes, bytes]:
        return report.read_bytes(), summary.read_bytes()

    alone = []
    for layout in layouts:
        assert start_check(layout, deck, report, "--report", f"json:{summary}").wait(60) == 1
        alone.append(written())
    for _ in range(3):
        runs = [
            start_check(layout, deck, report, "--report", f"json:{summary}") for layout in layouts
        ]
        assert [run.wait(timeout=120) for run in runs] == [1, 1]
        database, json_report = written()
        assert _same_items(database, alone)
        assert json.loads(json_report)["rules"][0]["count"] in (900, 3600)
        assert leftovers(tmp_path) == []


def _same_items(database: bytes, alone: list[tuple[bytes, bytes]]) -> bool:
    """Whether a marker database holds the items of one of the runs made alone (its run
    time and date differ from theirs)."""

    def items(data: bytes) -> list[str]:
        return [line for line in data.decode().splitlines() if "<value>" in line]

    assert all(len(items(run[0])) >= 900 for run in alone)
    return items(database) in [items(run[0]) for run in alone]


# ---------------------------------------------------------------- the child process itself
def _interrupt_the_caller_while_writing(folder):
    def work():
        handle, _ = tempfile.mkstemp(suffix=".tmp", dir=folder)
        os.write(handle, b"half a report")
        os.kill(os.getppid(), signal.SIGINT)
        time.sleep(30)
        return 0

    return work


def test_a_stopped_child_leaves_no_temporary_file(tmp_path):
    started = time.monotonic()
    ending = run_isolated(_interrupt_the_caller_while_writing(str(tmp_path)))
    assert ending == Ending(interrupted=signal.SIGINT)
    assert time.monotonic() - started < 5
    assert leftovers(tmp_path) == []


def test_a_file_older_than_the_run_is_not_removed(tmp_path):
    older = tmp_path / "older.tmp"
    older.write_text("not the child's")
    os.utime(older, (0, 0))

    def work():
        with contextlib.suppress(FileExistsError):
            os.open(older, os.O_CREAT | os.O_EXCL)  # as mkstemp tries a name that is taken
        sys.audit("tempfile.mkstemp", str(older))
        os.kill(os.getppid(), signal.SIGTERM)
        time.sleep(30)
        return 0

    assert run_isolated(work).interrupted == signal.SIGTERM
    assert older.read_text() == "not the child's"


def test_a_stage_past_its_own_limit_is_stopped(tmp_path):
    def work():
        with stage("reading the layout", "slow.gds", 0.3):
            time.sleep(30)
        return 0

    started = time.monotonic()
    ending = run_isolated(work)
    assert ending == Ending(timed_out=0.3, stage=Stage("reading the layout", "slow.gds", 0.3))
    assert time.monotonic() - started < 5


def test_the_run_limit_replaces_a_stage_limit():
    def work():
        with stage("reading the layout", "slow.gds", 0.1):
            time.sleep(0.6)
        return 7

    assert run_isolated(work, Limits(seconds=10)) == Ending(code=7)


def test_a_crash_names_the_stage_it_happened_in():
    def work():
        faulthandler.disable()  # pytest's would print a traceback
        with stage("reading the layout", "bad.gds"):
            os.kill(os.getpid(), signal.SIGSEGV)
        return 0

    ending = run_isolated(work)
    assert ending == Ending(signal=signal.SIGSEGV, stage=Stage("reading the layout", "bad.gds"))


def test_output_reaches_streams_held_in_memory(capsys):
    def work():
        print("ünïcode out")
        print("an error", file=sys.stderr)
        return 3

    assert run_isolated(work) == Ending(code=3)
    assert capsys.readouterr() == ("ünïcode out\n", "an error\n")


def test_the_memory_limit_makes_allocations_fail_in_the_child():
    def work():
        try:
            bytearray(400 * 2**20)
        except MemoryError:
            return 9
        return 0

    if not sys.platform.startswith("linux"):
        pytest.skip("the address-space limit is read from /proc")
    assert run_isolated(work, Limits(memory=100 * 2**20)) == Ending(code=9)
    assert run_isolated(work) == Ending(code=0)
