"""Layouts, a deck and runs shared by the report tests.

The layouts are small: a top cell holding instances of cells with a metal line 1 um
wide (a violation of M1.W each, an error rule) and, in the top cell, two lines 1 um apart
(a violation of M1.S, a warning rule). M2.W reads an optional layer the layouts lack.

Each line is a cell of its own, placed once, so that each is a marker of the top cell
(a cell placed twice would be one marker in that cell: docs/checking.md); those with
markers in cells are tests/report/test_filed_reports.py."""

from __future__ import annotations

from pathlib import Path

import klayout.db as kdb
import pytest

from adk.cli import main

DATA = Path(__file__).parent.parent / "data"
DECK = str(DATA / "reports" / "deck.adk")
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"


def write_layout(
    path: Path,
    *,
    top: str = "TOP",
    cell: str = "LINE",
    lines: tuple[tuple[float, float], ...] = ((0.0, 0.0), (50.0, 0.0)),
    shift: float = 0.0,
) -> str:
    """A layout with a thin line (1 um wide) placed at each of ``lines``, moved right
    by ``shift`` um, each a cell of its own (``cell``, then ``cell_2``, ...), and one pair
    of lines 1 um apart."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top_cell = layout.create_cell(top)
    metal = layout.layer(1, 0)
    for number, (x, y) in enumerate(lines or ((0.0, 0.0),), 1):
        line = layout.create_cell(cell if number == 1 else f"{cell}_{number}")
        line.shapes(metal).insert(kdb.DBox(0, 0, 1, 20))
        if lines:
            top_cell.insert(kdb.DCellInstArray(line.cell_index(), kdb.DTrans(x + shift, y)))
    top_cell.shapes(metal).insert(kdb.DBox(200, 0, 210, 20))
    top_cell.shapes(metal).insert(kdb.DBox(211, 0, 221, 20))
    layout.write(str(path))
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``adk ARGV`` in this process: exit code, standard output, standard error (bad
    usage exits through argparse, with code 2)."""
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def layout(tmp_path) -> str:
    return write_layout(tmp_path / "package.gds")


def write_text(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)
