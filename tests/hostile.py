"""Layouts that are broken, odd or hostile, and a way to run ``adk`` on them, shared by
tests/test_bad_layouts.py, tests/test_interrupts.py and tests/test_limits.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import klayout.db as kdb

from adk.api import load_deck
from adk.cli import main

# a deck on layers 1/0 and 2/0: what most layouts here are drawn on
DECK = """deck hostile "bad layouts" version "1.0"
units um
layer M1 = 1/0 "metal"
layer M2 = 2/0 "metal 2"
rule M1.W "M1 width" : width(M1) >= 2 um
rule M1.S "M1 space" : space(M1) >= 2 um
rule M2.W "M2 width" : width(M2) >= 2 um
"""

BUMP_DECK = """deck bumps "bump pitch" version "1.0"
units um
layer UB = 1/0 "bump"
rule UB.P "bump pitch" : pitch(UB) >= 40 um
"""


def write_deck(folder: os.PathLike[str] | str, text: str = DECK, name: str = "deck.adk") -> str:
    """The deck in a file, loaded once here: each check's child process inherits the
    parsed grammar instead of building it again."""
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
    load_deck(path)
    return path


def run_cli(capfd, *argv: str, isolated: bool | None = None) -> tuple[int, str, str]:
    """``adk ARGV`` from this process (``isolated``: the check in a forked child, as the
    program runs it); output is captured at the file descriptors, so whatever KLayout
    prints is caught too."""
    capfd.readouterr()
    status = main(list(argv), isolated=isolated)
    out, err = capfd.readouterr()
    return status, out, err


def run_adk(*argv: str, **popen) -> subprocess.CompletedProcess[str]:
    """``python -m adk ARGV`` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "adk", *argv], capture_output=True, text=True, **popen
    )


def one_line(err: str) -> str:
    """The only line of ``err``; fails on a traceback or on more lines."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


def write_layout(path: str, draw: Callable[[kdb.Layout, kdb.Cell], None]) -> str:
    """A layout with a TOP cell at 1 nm, drawn by ``draw(layout, top)``."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    draw(layout, layout.create_cell("TOP"))
    layout.write(path)
    return path


def write_dot_array(path: str, columns: int, rows: int, pitch: int = 3000) -> str:
    """A cell array of 1 × 1 um squares on 1/0, ``pitch`` database units apart: every
    square violates M1.W, so the run's markers grow with the array."""

    def draw(layout: kdb.Layout, top: kdb.Cell) -> None:
        dot = layout.create_cell("DOT")
        dot.shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 1000, 1000))
        step_x, step_y = kdb.Vector(pitch, 0), kdb.Vector(0, pitch)
        array = kdb.CellInstArray(dot.cell_index(), kdb.Trans(), step_x, step_y, columns, rows)
        top.insert(array)
        top.shapes(layout.layer(2, 0)).insert(kdb.Box(0, 0, 3000, 3000))

    return write_layout(path, draw)


# ---------------------------------------------------------------- OASIS by hand
def _uint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _sint(value: int) -> bytes:
    return _uint(abs(value) << 1 | (value < 0))


def _string(text: bytes) -> bytes:
    return _uint(len(text)) + text


def oasis_file(records: bytes) -> bytes:
    """An OASIS file: START (1 nm, tables at START), one CELL named TOP, ``records``, END."""
    start = b"\x01" + _string(b"1.0") + b"\x00" + _uint(1000) + _uint(0) + b"\x00" * 12
    end = b"\x02" + _string(b"\x00" * 252) + _uint(0)  # END is 256 bytes long
    return b"%SEMI-OASIS\r\n" + start + b"\x0e" + _string(b"TOP") + records + end


def oasis_rectangle(x: int, y: int, size: int, repeat: int = 1, layer: bool = True) -> bytes:
    """A RECTANGLE on 1/0, repeated ``repeat`` × ``repeat`` times at twice its size; with
    ``layer`` False, its layer and datatype are left to modal variables."""
    info = 0x40 | 0x20 | 0x10 | 0x08 | (0x04 if repeat > 1 else 0) | (0x03 if layer else 0)
    record = b"\x14" + bytes([info]) + (_uint(1) + _uint(0) if layer else b"")
    record += _uint(size) + _uint(size) + _sint(x) + _sint(y)
    if repeat > 1:  # repetition type 1: a regular grid, counts less two
        record += _uint(1) + _uint(repeat - 2) + _uint(repeat - 2) + _uint(2 * size) * 2
    return record


def write_repetition_bomb(path: str, side: int = 30000) -> str:
    """About 300 bytes of OASIS that expand to ``side``² rectangles: KLayout's reader
    allocates until memory runs out (30000: 9·10⁸ shapes, tens of GB)."""
    with open(path, "wb") as stream:
        stream.write(oasis_file(oasis_rectangle(0, 0, 10, repeat=side)))
    return path


def first_record_after_start(data: bytes) -> int:
    """The offset of the record after START in an OASIS file KLayout wrote."""
    position = len(b"%SEMI-OASIS\r\n") + 1  # the magic, START's record id
    position += 1 + data[position]  # the version string
    real_type = data[position]
    position += 1
    assert real_type in (0, 1), "a unit written as a whole number"
    while data[position] & 0x80:
        position += 1
    position += 1
    offset_flag = data[position]
    position += 1
    assert offset_flag == 1, "tables at END, so nothing more in START"
    return position
