"""`adk check --timeout SECONDS` and `--max-memory SIZE`: a run past them stops with one
line and exit code 5, as does a run the system kills for want of memory; a crash outside
the reading of the layout is an internal error (docs/robustness.md)."""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
import threading
import time

import klayout.db as kdb
import pytest

import adk.api
from adk.cli.common import memory_size, seconds, size_text
from adk.layout import reader
from tests.hostile import (
    BUMP_DECK,
    one_line,
    run_cli,
    write_deck,
    write_layout,
    write_repetition_bomb,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the memory limit is Linux's address space"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("limits")


@pytest.fixture(scope="module")
def deck(folder):
    return write_deck(folder)


@pytest.fixture(scope="module")
def bump_deck(folder):
    return write_deck(folder, BUMP_DECK, "bumps.adk")


@pytest.fixture(scope="module")
def billion(folder):
    """A GDS of a few hundred bytes: a 32767 × 32767 array of 1 um squares 30 um apart,
    a billion shapes, within the coordinates adk checks."""

    def draw(layout, top):
        dot = layout.create_cell("DOT")
        dot.shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 1000, 1000))
        step_x, step_y = kdb.Vector(30000, 0), kdb.Vector(0, 30000)
        top.insert(kdb.CellInstArray(dot.cell_index(), kdb.Trans(), step_x, step_y, 32767, 32767))
        top.shapes(layout.layer(2, 0)).insert(kdb.Box(0, 0, 3000, 3000))

    return write_layout(str(folder / "billion.gds"), draw)


# a time limit on the tests whose layouts could otherwise run for ever
FENCE = ("--timeout", "30")


@pytest.fixture(scope="module")
def small(folder):
    """A 1 um wide bar on M1 (a width violation) and a square on M2."""

    def draw(layout, top):
        top.shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 1000, 9000))
        top.shapes(layout.layer(2, 0)).insert(kdb.Box(0, 0, 9000, 9000))

    return write_layout(str(folder / "small.gds"), draw)


def check(capfd, layout, deck, *more):
    """``adk check`` with the check in a child process, as the program runs it."""
    report = os.path.join(os.path.dirname(layout), "report.lyrdb")
    started = time.monotonic()
    status, _, err = run_cli(
        capfd, "check", layout, "--deck", deck, "-o", report, *more, isolated=True
    )
    return status, one_line(err), time.monotonic() - started


def test_the_timeout_stops_a_long_check(billion, deck, capfd):
    status, line, took = check(capfd, billion, deck, "--timeout", "1")
    assert (status, line) == (5, "adk: error: stopped at --timeout 1 s")
    assert took < 3


def test_the_memory_limit_stops_klayouts_reader(folder, deck, capfd):
    bomb = write_repetition_bomb(str(folder / "bomb.oas"))
    status, line, took = check(capfd, bomb, deck, "--max-memory", "300M", *FENCE)
    assert status == 5
    assert (
        line == f"adk: error: {bomb}: out of memory reading the layout (within --max-memory 300M)"
    )
    assert took < 10


def test_the_memory_limit_stops_a_python_allocation(billion, bump_deck, capfd):
    status, line, _ = check(capfd, billion, bump_deck, "--max-memory", "500M", *FENCE)
    assert status == 5
    assert line.startswith("adk: error: out of memory: Unable to allocate")
    assert line.endswith("(within --max-memory 500M)")


def test_klayouts_out_of_memory_in_a_check_is_one_line(small, deck, capfd, monkeypatch):
    def check_out_of_memory(*args, **kwargs):
        raise RuntimeError("std::bad_alloc in Region.merged")  # as KLayout raises it

    monkeypatch.setattr(adk.api, "check", check_out_of_memory)
    status, line, _ = check(capfd, small, deck, "--max-memory", "300M")
    assert status == 5
    assert line == "adk: error: out of memory in KLayout's Region.merged (within --max-memory 300M)"


@pytest.mark.parametrize(
    "error, line",
    [
        (MemoryError("Unable to allocate 8 GiB"), "out of memory: Unable to allocate 8 GiB"),
        (RuntimeError("std::bad_alloc in Region.sized"), "out of memory in KLayout's Region.sized"),
        (MemoryError(), "out of memory"),
    ],
)
def test_out_of_memory_without_a_limit_is_one_line(small, deck, capfd, monkeypatch, error, line):
    def check_out_of_memory(*args, **kwargs):
        raise error

    monkeypatch.setattr(adk.api, "check", check_out_of_memory)
    status, _, err = run_cli(capfd, "check", small, "--deck", deck, "-o", small + ".lyrdb")
    assert (status, one_line(err)) == (5, f"adk: error: {line}")


def test_within_its_limits_a_run_is_as_without(small, deck, capfd):
    report = small.replace(".gds", ".lyrdb")
    status, out, err = run_cli(
        capfd, "check", small, "--deck", deck, "-o", report, "--timeout", "60", "--max-memory", "1G"
    )
    assert (status, err) == (1, "") and "M1.W" in out


def _die(signum):
    def die(*args, **kwargs):
        faulthandler.disable()  # pytest's would print a traceback
        os.kill(os.getpid(), signum)

    return die


def test_a_run_killed_by_the_system_is_a_limit(folder, deck, capfd, monkeypatch):
    layout = write_layout(str(folder / "killed.gds"), lambda layout, top: None)
    monkeypatch.setattr(reader, "_read_into", _die(signal.SIGKILL))  # as the OOM killer does
    status, line, _ = check(capfd, layout, deck)
    assert status == 5
    assert line == (
        f"adk: error: {layout}: killed by the system (SIGKILL) while reading the layout, "
        "most likely for want of memory; --max-memory stops a run before that"
    )


def test_a_crash_outside_the_reader_is_an_internal_error(small, deck, capfd, monkeypatch):
    monkeypatch.setattr(adk.api, "check", _die(signal.SIGSEGV))
    status, line, _ = check(capfd, small, deck)
    assert (status, line) == (
        3,
        "adk: internal error: the check crashed (SIGSEGV); please report it",
    )


def test_limits_need_the_child_process(folder, deck, capfd):
    layout = write_layout(str(folder / "threads.gds"), lambda layout, top: None)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        status, line, _ = check(capfd, layout, deck, "--timeout", "5")
        assert status == 2
        assert line == (
            "adk: error: --timeout and --max-memory need a child process: other threads are running"
        )
        # without limits, the check runs in this process
        report = str(folder / "threads.lyrdb")
        status, _, err = run_cli(
            capfd, "check", layout, "--deck", deck, "-o", report, "--allow-unchecked", isolated=True
        )
        assert status == 0 and "holds no shapes" in err
    finally:
        release.set()
        thread.join()


@pytest.mark.parametrize(
    "option, value",
    [("--max-memory", "2000"), ("--max-memory", "0M"), ("--max-memory", "lots"),
     ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "inf"), ("--timeout", "soon")],
)  # fmt: skip
def test_bad_limits_are_usage_errors(folder, deck, capfd, option, value):
    layout = write_layout(str(folder / "usage.gds"), lambda layout, top: None)
    with pytest.raises(SystemExit) as stopped:
        run_cli(capfd, "check", layout, "--deck", deck, option, value)
    assert stopped.value.code == 2
    assert f"adk: error: argument {option}: expected" in capfd.readouterr().err


def test_sizes_and_seconds_read_as_written():
    assert memory_size("500M") == 500 * 2**20
    assert memory_size("2G") == memory_size("2GB") == memory_size("2 GiB") == 2 * 2**30
    assert memory_size("1.5g") == 3 * 2**29
    assert [size_text(memory_size(text)) for text in ("500M", "2G", "1.5G", "64K")] == [
        "500M",
        "2G",
        "1.5G",
        "64K",
    ]
    assert seconds("2.5") == 2.5
    with pytest.raises(argparse.ArgumentTypeError):
        memory_size("2")
