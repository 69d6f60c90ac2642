"""Markers filed in the cell where the violation lives (docs/checking.md, "Markers in
cells"): a violation inside a cell placed 5,000 times is one marker in that cell with its
placements counted, not 5,000 markers in the top cell.

The checks stay flat: this reads a rule's final markers (tiles joined) and the layout's
hierarchy, and files a marker in a cell C when the same marker, in C's coordinates, is
found at every placement of C. It is exact: geometry is compared on a grid of half a
database unit (bump centres lie on it), and only placements by whole database units,
without magnification, are considered.

A cell's placements are numpy arrays, array instances expanded arithmetically, so a bump
array of a million elements costs a few arrays, and a rule without markers costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import klayout.db as kdb
import numpy as np

from adk.checks.base import Filing, Geometry, Marker

# the eight orientations of a placement, in KLayout's order (rotations, then mirrored)
_ORIENTATIONS = (
    kdb.Trans.R0,
    kdb.Trans.R90,
    kdb.Trans.R180,
    kdb.Trans.R270,
    kdb.Trans.M0,
    kdb.Trans.M45,
    kdb.Trans.M90,
    kdb.Trans.M135,
)


def _matrix(trans: kdb.Trans) -> tuple[int, int, int, int]:
    """The rotation part of ``trans`` as ``(m00, m01, m10, m11)``."""
    x, y = trans * kdb.Point(1, 0), trans * kdb.Point(0, 1)
    origin = trans * kdb.Point(0, 0)
    return (x.x - origin.x, y.x - origin.x, x.y - origin.y, y.y - origin.y)


_MATRICES = np.array([_matrix(t) for t in _ORIENTATIONS], dtype=np.int64).reshape(8, 2, 2)
_CODE = {_matrix(t): code for code, t in enumerate(_ORIENTATIONS)}
# the orientation of (outer * inner): _PRODUCT[outer, inner]
_PRODUCT = np.array(
    [[_CODE[_matrix(outer * inner)] for inner in _ORIENTATIONS] for outer in _ORIENTATIONS]
)
# measured values are the same to this many significant digits: a pitch computed from the
# bump centres of two placements differs in its last bits
_VALUE_DIGITS = 9


def orientation(trans: kdb.Trans) -> int:
    """The code (0 to 7) of the rotation and mirroring of ``trans``."""
    return _CODE[_matrix(trans)]


@dataclass(frozen=True)
class Placements:
    """Every placement of a cell in the top cell: ``codes`` (N,) orientations, ``shifts``
    (N, 2) displacements in database units, sorted by x, then y, then orientation; the
    first is the placement a marker of the cell is shown at."""

    codes: np.ndarray
    shifts: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def sorted(self) -> Placements:
        """The placements by x, then y, then orientation: an order the hierarchy's
        drawing does not change."""
        order = np.lexsort((self.codes, self.shifts[:, 1], self.shifts[:, 0]))
        return Placements(self.codes[order], self.shifts[order])

    def then(self, inner: Placements) -> Placements:
        """Every ``self[k] * inner[m]``, k-major: ``inner`` placements of a cell inside
        the cell placed by ``self``."""
        turned = np.einsum("kab,mb->kma", _MATRICES[self.codes], inner.shifts)
        return Placements(
            _PRODUCT[self.codes[:, None], inner.codes[None, :]].reshape(-1),
            (turned + self.shifts[:, None, :]).reshape(-1, 2),
        )

    def boxes(self, box: kdb.Box) -> tuple[np.ndarray, np.ndarray]:
        """``box`` (database units) at every placement: (N, 2) lower-left and upper-right
        corners."""
        corners = np.array(
            [[box.left, box.bottom], [box.right, box.bottom], [box.left, box.top],
             [box.right, box.top]],
            dtype=np.int64,
        )  # fmt: skip
        placed = np.einsum("nab,cb->nca", _MATRICES[self.codes], corners)
        placed += self.shifts[:, None, :]
        return placed.min(axis=1), placed.max(axis=1)

    def trans(self, k: int, dbu: float) -> kdb.DCplxTrans:
        """Placement ``k`` in µm."""
        x, y = (int(v) for v in self.shifts[k])
        turn = kdb.DTrans(_ORIENTATIONS[int(self.codes[k])])
        return kdb.DCplxTrans(kdb.DTrans(kdb.DVector(x * dbu, y * dbu)) * turn)


TOP = Placements(np.zeros(1, dtype=np.int64), np.zeros((1, 2), dtype=np.int64))


def elements(inst: kdb.CellInstArray) -> Placements:
    """The placements of an instance (array) in its parent: array elements expanded."""
    base = inst.trans
    code, shift = orientation(base), (base.disp.x, base.disp.y)
    if inst.is_regular_array():
        i, j = (
            axis.ravel()
            for axis in np.meshgrid(np.arange(inst.na), np.arange(inst.nb), indexing="ij")
        )
        shifts = np.stack(
            [shift[0] + i * inst.a.x + j * inst.b.x, shift[1] + i * inst.a.y + j * inst.b.y], 1
        )
        return Placements(np.full(len(i), code, dtype=np.int64), shifts.astype(np.int64))
    each = list(inst.each_trans())
    return Placements(
        np.array([orientation(t) for t in each], dtype=np.int64),
        np.array([(t.disp.x, t.disp.y) for t in each], dtype=np.int64).reshape(-1, 2),
    )


@dataclass(frozen=True)
class Cell:
    """A cell under the top: how many times it is placed in the top cell (arrays
    expanded), how deep (the longest chain of instances from the top), and whether every
    placement is exact (whole database units, a multiple of 90°, no magnification)."""

    index: int
    name: str
    depth: int
    count: int
    exact: bool


class Hierarchy:
    """The cells under a top cell, and the placements of those a marker may be filed in.

    Counting the placements walks the instances once, and only when asked (a run whose
    rules found fewer than two markers each never does); a cell's placements are
    expanded only for cells placed no more often than a rule has markers."""

    def __init__(self, layout: kdb.Layout, top: kdb.Cell):
        self.layout = layout
        self.top = top
        self.dbu = layout.dbu
        self._placements: dict[int, Placements] = {top.cell_index(): TOP}
        self._grids: dict[int, _Grid] = {}

    @cached_property
    def _placed(self) -> dict[int, Cell]:
        """The top and every cell under it, by index."""
        top = self.top.cell_index()
        count, exact, depth = {top: 1}, {top: True}, {top: 0}
        for index in self.layout.each_cell_top_down():
            times = count.get(index)
            if not times:
                continue
            for inst in self.layout.cell(index).each_inst():
                child = inst.cell_index
                count[child] = count.get(child, 0) + times * inst.size()
                exact[child] = exact.get(child, True) and exact[index] and not inst.is_complex()
                depth[child] = max(depth.get(child, 0), depth[index] + 1)
        return {
            index: Cell(index, self.layout.cell(index).name, depth[index], times, exact[index])
            for index, times in count.items()
        }

    @cached_property
    def cells(self) -> list[Cell]:
        """Every cell placed under the top, deepest first, then by name."""
        below = [cell for cell in self._placed.values() if cell.index != self.top.cell_index()]
        return sorted(below, key=lambda cell: (-cell.depth, cell.name))

    def candidates(self, markers: int) -> list[Cell]:
        """The cells a rule with ``markers`` markers may file some in: placed exactly, at
        least twice (one placement says nothing of where a violation comes from) and no
        more often than the rule has markers, with shapes."""
        return [
            cell
            for cell in self.cells
            if cell.exact
            and 2 <= cell.count <= markers
            and not self.layout.cell(cell.index).bbox().empty()
        ]

    def placements(self, index: int) -> Placements:
        """Every placement of cell ``index`` in the top, sorted (see :class:`Placements`);
        none for a cell not under the top."""
        if index not in self._placements:
            # a parent's placements in any order: the child's are sorted
            parts = [
                self.placements(parent.parent_cell_index()).then(
                    elements(parent.child_inst().cell_inst)
                )
                for parent in self.layout.cell(index).each_parent_inst()
                if parent.parent_cell_index() in self._placed
            ]
            joined = Placements(
                np.concatenate([p.codes for p in parts] + [TOP.codes[:0]]),
                np.concatenate([p.shifts for p in parts] + [TOP.shifts[:0]]),
            )
            self._placements[index] = joined.sorted()
        return self._placements[index]

    def grid(self, cell: Cell) -> _Grid:
        """The placed bounding boxes of ``cell``, for finding those holding a marker."""
        if cell.index not in self._grids:
            box = self.layout.cell(cell.index).bbox()
            self._grids[cell.index] = _Grid(self.placements(cell.index), box)
        return self._grids[cell.index]


class _Grid:
    """A cell's placed bounding boxes in half database units, bucketed by their lower left
    corners on a grid as large as the largest box: the boxes that can hold a given box
    then lie in at most four buckets."""

    def __init__(self, placements: Placements, box: kdb.Box):
        corners = 2 * np.array(
            [[box.left, box.bottom], [box.right, box.bottom], [box.left, box.top],
             [box.right, box.top]],
            dtype=np.int64,
        )  # fmt: skip
        placed = np.einsum("nab,cb->nca", _MATRICES[placements.codes], corners)
        placed += 2 * placements.shifts[:, None, :]
        self.low, self.high = placed.min(axis=1), placed.max(axis=1)
        self.origin = self.low.min(axis=0)
        self.step = np.maximum((self.high - self.low).max(axis=0), 1)
        cells = (self.low - self.origin) // self.step
        self.rows = int(cells[:, 1].max()) + 1
        self.columns = int(cells[:, 0].max()) + 1
        buckets = cells[:, 0] * self.rows + cells[:, 1]
        self.order = np.argsort(buckets, kind="stable")
        self.buckets = buckets[self.order]

    def _bucket(self, points: np.ndarray, dx: int, dy: int) -> np.ndarray:
        """The buckets of ``points`` moved by (dx, dy) buckets; -1 off the grid."""
        cells = (points - self.origin) // self.step + (dx, dy)
        on = (cells >= 0).all(axis=1) & (cells[:, 0] < self.columns) & (cells[:, 1] < self.rows)
        return np.where(on, cells[:, 0] * self.rows + cells[:, 1], -1)

    def holding(self, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pairs (marker, placement) where the placement's box holds the marker's box
        (``low``, ``high``: (M, 2) corners in half database units), boundary included."""
        rows, found = [], []
        # a box holding the marker has its lower left corner at most one box size below
        # and left of the marker's: in the marker's bucket or the ones below and left
        for dx in (0, -1):
            for dy in (0, -1):
                keys = self._bucket(low, dx, dy)
                start = np.searchsorted(self.buckets, keys, side="left")
                counts = np.searchsorted(self.buckets, keys, side="right") - start
                total = int(counts.sum())
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                rows.append(np.repeat(np.arange(len(low)), counts))
                found.append(self.order[np.repeat(start, counts) + offsets])
        row, placement = np.concatenate(rows), np.concatenate(found)
        inside = np.all(self.low[placement] <= low[row], axis=1) & np.all(
            high[row] <= self.high[placement], axis=1
        )
        return row[inside], placement[inside]


# ---------------------------------------------------------------- markers as numbers
@dataclass(frozen=True)
class _Kind:
    """Markers of one kind of geometry with the same number of points: their points in
    half database units (M, P, 2), and the rest of what makes two markers the same."""

    name: str  # box, edge, pair, polygon
    rows: np.ndarray  # the markers' positions in the rule's list
    points: np.ndarray
    extra: np.ndarray  # (M, 4): text, symmetric (pairs), the value's digits and power

    def boxes(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points.min(axis=1), self.points.max(axis=1)


def _outline(shape: Geometry) -> tuple[str, list[tuple[float, float]], bool] | None:
    """The geometry's kind and points; None for a polygon with holes (never filed)."""
    if isinstance(shape, kdb.DEdgePair):
        edges = (shape.first, shape.second)
        points = [point for e in edges for point in ((e.x1, e.y1), (e.x2, e.y2))]
        return "pair", points, shape.symmetric
    if isinstance(shape, kdb.DEdge):
        return "edge", [(shape.x1, shape.y1), (shape.x2, shape.y2)], False
    if isinstance(shape, kdb.DBox):
        return "box", [(shape.left, shape.bottom), (shape.right, shape.top)], False
    if shape.holes():
        return None
    return "polygon", [(p.x, p.y) for p in shape.each_point_hull()], False


def _kinds(markers: Sequence[Marker], dbu: float) -> list[_Kind]:
    """The markers as numbers, grouped by kind and number of points."""
    texts: dict[str, int] = {}
    groups: dict[tuple[str, int], tuple[list[int], list, list, list]] = {}
    for row, marker in enumerate(markers):
        outline = _outline(marker.shape)
        if outline is None:
            continue
        name, points, symmetric = outline
        rows, all_points, extras, values = groups.setdefault((name, len(points)), ([], [], [], []))
        rows.append(row)
        all_points.append(points)
        extras.append((texts.setdefault(marker.text, len(texts)), int(symmetric)))
        values.append(float("nan") if marker.measured is None else marker.measured)
    return [
        _Kind(
            name,
            np.array(rows, dtype=np.int64),
            np.rint(np.array(points, dtype=float) * (2 / dbu)).astype(np.int64),
            np.concatenate([np.array(extras, dtype=np.int64), _digits(np.array(values))], 1),
        )
        for (name, _), (rows, points, extras, values) in sorted(groups.items())
    ]


def _digits(values: np.ndarray) -> np.ndarray:
    """Values (M,) as (M, 2) integers, equal when the values agree to ``_VALUE_DIGITS``
    significant digits: the digits and the power of ten. No value (NaN) and infinities:
    0 and powers no finite float has."""
    finite = np.isfinite(values) & (values != 0)
    power = np.zeros(len(values), dtype=np.int64)
    power[finite] = np.floor(np.log10(np.abs(values[finite]))).astype(np.int64)
    digits = np.zeros(len(values), dtype=np.int64)
    digits[finite] = np.rint(values[finite] / 10.0 ** (power[finite] - _VALUE_DIGITS + 1))
    power[np.isnan(values)] = 1000
    power[np.isposinf(values)], power[np.isneginf(values)] = 1001, 1002
    return np.stack([digits, power], 1)


def _normalised(name: str, points: np.ndarray, symmetric: np.ndarray) -> np.ndarray:
    """Points (M, P, 2) as rows that are equal exactly when the geometries are: a box's
    corners, an edge's ends and a polygon's vertices in an order that does not depend on
    how the shape was turned, mirrored or started."""
    if name == "box":
        return np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)
    if name == "edge":
        return _ordered_ends(points).reshape(len(points), -1)
    if name == "pair":
        count = len(points)
        first, second = _ordered_ends(points[:, :2]), _ordered_ends(points[:, 2:])
        swap = symmetric.astype(bool) & _less(second.reshape(count, -1), first.reshape(count, -1))
        first[swap], second[swap] = second[swap].copy(), first[swap].copy()
        return np.concatenate([first, second], axis=1).reshape(count, -1)
    return _ring(points)


def _less(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise lexicographic ``a < b`` for (M, K) integer arrays."""
    differ = a != b
    first = np.argmax(differ, axis=1)
    rows = np.arange(len(a))
    return differ.any(axis=1) & (a[rows, first] < b[rows, first])


def _ordered_ends(points: np.ndarray) -> np.ndarray:
    """Edges (M, 2, 2) with the lesser end first."""
    swap = _less(points[:, 1], points[:, 0])
    ordered = points.copy()
    ordered[swap] = points[swap][:, ::-1]
    return ordered


def _ring(points: np.ndarray) -> np.ndarray:
    """Polygon hulls (M, P, 2) from their least vertex, in the direction that reads less."""
    count, size = points.shape[:2]
    rows = np.arange(count)
    x, y = points[..., 0], points[..., 1]
    least_x = x.min(axis=1, keepdims=True)
    start = np.argmin(np.where(x == least_x, y, np.iinfo(np.int64).max), axis=1)
    steps = np.arange(size)
    forward = points[rows[:, None], (start[:, None] + steps) % size].reshape(count, -1)
    backward = points[rows[:, None], (start[:, None] - steps) % size].reshape(count, -1)
    return np.where(_less(backward, forward)[:, None], backward, forward)


# ---------------------------------------------------------------- filing
def _groups(kind: _Kind, free: np.ndarray, cell: Placements, grid: _Grid) -> list[np.ndarray]:
    """The sets of markers of ``kind`` that are one marker of the cell at each of its N
    placements: as (N,) positions in the rule's list, in the order of the placements."""
    local = np.flatnonzero(free[kind.rows])
    if len(local) < len(cell):
        return []
    low, high = kind.boxes()
    row, placement = grid.holding(low[local], high[local])
    if len(row) < len(cell):
        return []
    row = local[row]
    # each marker in the cell's coordinates at each placement holding it: p = R·q + 2t
    back = np.transpose(_MATRICES[cell.codes[placement]], (0, 2, 1))
    seen = np.einsum("mab,mpb->mpa", back, kind.points[row] - 2 * cell.shifts[placement][:, None])
    keys = np.concatenate([_normalised(kind.name, seen, kind.extra[row, 1]), kind.extra[row]], 1)
    return _complete(keys, placement, kind.rows[row], len(cell))


def _complete(keys: np.ndarray, placement: np.ndarray, marker: np.ndarray, n: int) -> list:
    """The keys (rows of ``keys``) found at every one of the ``n`` placements, each by a
    marker of its own: their markers in placement order."""
    order = np.lexsort((placement, *keys.T[::-1]))
    keys, placement, marker = keys[order], placement[order], marker[order]
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    sizes = np.diff(np.r_[starts, len(keys)])
    found = []
    for start in starts[sizes == n]:
        places, members = placement[start : start + n], marker[start : start + n]
        # sorted by placement: every placement once; and no marker stands for two
        if np.all(places == np.arange(n)) and len(np.unique(members)) == n:
            found.append(members)
    return found


def file_in_cells(markers: list[Marker], hierarchy: Hierarchy) -> list[Marker]:
    """A rule's markers (flat, in top-cell coordinates) with those found alike at every
    placement of a cell filed in it, deepest cell first; in the order of their first
    placement's geometry, as flat markers are sorted."""
    if len(markers) < 2:
        return markers
    cells = hierarchy.candidates(len(markers))
    if not cells:
        return markers
    kinds = _kinds(markers, hierarchy.dbu)
    free = np.ones(len(markers), dtype=bool)
    filed: list[Marker] = []
    for cell in cells:
        if cell.count > free.sum():
            continue
        placements = hierarchy.placements(cell.index)
        grid = hierarchy.grid(cell)
        groups = [g for kind in kinds for g in _groups(kind, free, placements, grid)]
        for members in sorted(groups, key=lambda g: int(g.min())):
            if free[members].all():
                free[members] = False
                filed.append(_filed(markers, members, cell, placements, hierarchy.dbu))
    if not filed:
        return markers
    kept = [marker for marker, left in zip(markers, free) if left]
    return sorted(kept + filed, key=lambda m: m.sort_key())


def _filed(
    markers: list[Marker], members: np.ndarray, cell: Cell, placements: Placements, dbu: float
) -> Marker:
    placed = tuple(markers[int(k)] for k in members)
    first = placed[0]
    trans = placements.trans(0, dbu)
    filing = Filing(cell.name, first.shape.transformed(trans.inverted()), trans, placed)
    return replace(first, filed=filing)
