"""Bump maps: a part's bumps (or pads) with their nets, as CSV.

    # HBM stack, micro-bumps as seen from its face (the layout's coordinates, um)
    name,net,x,y
    A1,VSS,40,40
    A2,DQ0,80,40

A header row names the columns ``name``, ``net``, ``x`` and ``y``, in any order; other
columns are ignored, as are empty lines and lines starting with ``#``. Positions are in
µm in the part's own layout, before it is placed. Every row is checked, so one reading
reports every fault, each as ``file:line:col: error: ...``.

A file ending ``.bmap`` is a 3Dblox bump map instead: one bump a line, six words
separated by spaces, ``name cell x y port net`` (``-`` for no port or net; a bump
without a net has the net ``-``), ``#`` comments, no header. A file ending ``.xml`` or
``.cdx`` is a CDX pin map (:mod:`adk.assembly.cdx`).
"""

from __future__ import annotations

import csv
import math
import re

import numpy as np

from adk.assembly import cdx
from adk.assembly.bump_table import MAX_COORDINATE, MAX_ERRORS, WORD, BumpMap
from adk.errors import AdkError, DeckError, Diagnostic
from adk.textfile import TextFault, read_text

COLUMNS = ("name", "net", "x", "y")
MAX_BYTES = 256 * 1024 * 1024  # ten million bumps at some 25 bytes a row


def load_bump_map(path: str) -> BumpMap:
    """Read the bump map at ``path`` (CSV, 3Dblox for ``.bmap``, CDX for ``.xml`` and
    ``.cdx``); DeckError listing its faults."""

    if path.lower().endswith(".bmap"):
        return parse_bmap(_read_text(path), path)
    if cdx.is_cdx(path):
        return cdx.parse_cdx(_read_text(path), path)
    return parse_bump_map(_read_text(path), path)


def _read_text(path: str) -> str:
    try:
        return read_text(path, MAX_BYTES)
    except TextFault as fault:
        if fault.kind == "not utf-8":
            fault_at = Diagnostic(path, fault.line, 1, "bump map is not UTF-8 text")
            raise DeckError([fault_at]) from None
        if fault.kind == "unreadable":
            raise AdkError(f"{path}: cannot read bump map: {fault.detail}") from None
        raise AdkError(f"{path}: bump map over the limit of {fault.detail}") from None


def parse_bump_map(text: str, path: str) -> BumpMap:
    """The bump map ``text``, read as the file ``path``."""
    numbered = [
        (number, line)
        for number, line in enumerate(text.split("\n"), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    problems: list[Diagnostic] = []
    header = _header(numbered[0] if numbered else None, path, problems)
    if header is not None:
        fast = _well_formed(numbered[1:], header, path)
        if fast is not None:
            return fast
    names: list[str] = []
    nets: list[str] = []
    points: list[tuple[float, float]] = []
    seen: dict[str, int] = {}
    rows = csv.reader(line for _, line in numbered[1:])
    for (line, _), row in zip(numbered[1:], rows):
        if header is None or len(problems) >= MAX_ERRORS:
            break
        entry = _entry(row, header, line, path, problems)
        if entry is None:
            continue
        name, net, x, y = entry
        first = seen.setdefault(name, line)
        if first != line:
            problems.append(
                Diagnostic(path, line, 1, f"bump '{name}' is listed twice (first on line {first})")
            )
            continue
        names.append(name)
        nets.append(net)
        points.append((x, y))
    if problems:
        raise DeckError(problems, {path: text})
    return BumpMap(path, names, nets, np.array(points, dtype=float).reshape(-1, 2))


def _well_formed(
    numbered: list[tuple[int, str]], header: dict[str, int], path: str
) -> BumpMap | None:
    """The bump map when every row is sound, read column by column (a million rows in a
    second or two); None when a row is not, for the reading row by row that names it."""
    rows = list(csv.reader(line for _, line in numbered))
    width = max(header.values()) + 1
    if any(len(row) < width for row in rows):
        return None
    names, nets = ([row[header[c]].strip() for row in rows] for c in ("name", "net"))
    if len(set(names)) != len(names) or not all(WORD.fullmatch(w) for w in names + nets):
        return None
    try:
        points = np.array(
            [[row[header["x"]] for row in rows], [row[header["y"]] for row in rows]], dtype=float
        ).T.reshape(-1, 2)
    except ValueError:
        return None
    if not (np.isfinite(points).all() and (np.abs(points) <= MAX_COORDINATE).all()):
        return None
    return BumpMap(path, names, nets, points + 0.0)


def _header(
    first: tuple[int, str] | None, path: str, problems: list[Diagnostic]
) -> dict[str, int] | None:
    """Column name -> its index, from the header row."""
    if first is None:
        problems.append(
            Diagnostic(path, 1, 1, f"a bump map needs a header row: {','.join(COLUMNS)}")
        )
        return None
    line, text = first
    cells = [cell.strip().lower() for cell in next(csv.reader([text]), [])]
    missing = [column for column in COLUMNS if column not in cells]
    if missing:
        message = (
            f"the header row names no column {', '.join(missing)} "
            f"(a bump map's columns: {','.join(COLUMNS)})"
        )
        problems.append(Diagnostic(path, line, 1, message))
        return None
    return {column: cells.index(column) for column in COLUMNS}


def _entry(
    row: list[str], header: dict[str, int], line: int, path: str, problems: list[Diagnostic]
) -> tuple[str, str, float, float] | None:
    """One row's bump, or None with its faults added to ``problems``."""
    width = max(header.values()) + 1
    if len(row) < width:
        problems.append(Diagnostic(path, line, 1, f"expected {width} columns, found {len(row)}"))
        return None
    before = len(problems)
    name, net = row[header["name"]].strip(), row[header["net"]].strip()
    for column, value in (("name", name), ("net", net)):
        if not WORD.fullmatch(value):
            message = f"'{column}' must be a word without spaces, not {value!r}"
            problems.append(Diagnostic(path, line, 1, message))
    x, y = (_coordinate(row[header[c]], c, line, path, problems) for c in ("x", "y"))
    if len(problems) > before or x is None or y is None:
        return None
    return name, net, x, y


def _coordinate(
    text: str, column: str, line: int, path: str, problems: list[Diagnostic]
) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        message = f"'{column}' must be a number in um, not {text.strip()!r}"
        problems.append(Diagnostic(path, line, 1, message))
        return None
    return value + 0.0


BMAP_COLUMNS = ("name", "cell", "x", "y", "port", "net")


def parse_bmap(text: str, path: str) -> BumpMap:
    """The 3Dblox bump map ``text``, read as the file ``path``: ``name cell x y port net``."""
    problems: list[Diagnostic] = []
    rows: list[tuple[str, str, float, float, str, str]] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(text.split("\n"), 1):
        if len(problems) >= MAX_ERRORS:
            break
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        row = _bmap_row(raw, line, path, problems)
        if row is None:
            continue
        first = seen.setdefault(row[0], line)
        if first != line:
            message = f"bump '{row[0]}' is listed twice (first on line {first})"
            problems.append(Diagnostic(path, line, _column(raw, 0), message, len(row[0])))
            continue
        rows.append(row)
    if problems:
        raise DeckError(problems, {path: text})
    points = np.array([(r[2], r[3]) for r in rows], dtype=float).reshape(-1, 2)
    return BumpMap(
        path, [r[0] for r in rows], [r[5] for r in rows], points,
        [r[1] for r in rows], [r[4] for r in rows],
    )  # fmt: skip


def _bmap_row(
    raw: str, line: int, path: str, problems: list[Diagnostic]
) -> tuple[str, str, float, float, str, str] | None:
    words = raw.split()
    if len(words) != len(BMAP_COLUMNS):
        message = (
            f"expected {len(BMAP_COLUMNS)} columns ({' '.join(BMAP_COLUMNS)}), found {len(words)}"
        )
        problems.append(Diagnostic(path, line, _column(raw, 0), message))
        return None
    before = len(problems)
    x, y = (_bmap_coordinate(raw, words, i, line, path, problems) for i in (2, 3))
    if len(problems) > before or x is None or y is None:
        return None
    return words[0], words[1], x, y, words[4], words[5]


def _bmap_coordinate(
    raw: str, words: list[str], index: int, line: int, path: str, problems: list[Diagnostic]
) -> float | None:
    try:
        value = float(words[index])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE:
        message = f"'{BMAP_COLUMNS[index]}' must be a number in um, not {words[index]!r}"
        column = _column(raw, index)
        problems.append(Diagnostic(path, line, column, message, len(words[index])))
        return None
    return value + 0.0


def _column(raw: str, index: int) -> int:
    """The 1-based column where the ``index``-th word of ``raw`` starts."""
    return [m.start() for m in re.finditer(r"\S+", raw)][index] + 1


def bmap_text(bumps: BumpMap) -> str:
    """``bumps`` as a 3Dblox bump map; ports default to the nets, cells to ``BUMP``."""
    cells = bumps.cells or ["BUMP"] * len(bumps)
    ports = bumps.ports or bumps.nets
    lines = [
        f"{name} {cell} {x:.4f} {y:.4f} {port} {net}"
        for name, cell, (x, y), port, net in zip(
            bumps.names, cells, bumps.points.tolist(), ports, bumps.nets
        )
    ]
    return "".join(line + "\n" for line in lines)
