"""pitch: minimum centre-to-centre distance from each bump to its nearest neighbour, or between every pair.

    rule UB.P "micro-bump pitch" : pitch(UBUMP) >= 40 um
    rule UB.PA "micro-bumps apart, every pair" : pitch(UBUMP, pairs all) >= 40 um

A bump's centre is the centre of its bounding box; every shape counts, so two
bumps drawn on top of each other are at pitch 0. A pitch exactly at a ``>=``
limit passes; a ``>`` limit fails at the limit itself.
Marker: the edge between the two centres, with the distance; each unordered pair
of bumps once. Pairs are never joined (pitch takes no ``markers``): in a row or
an array of bumps too close each pair is a defect of its own, fixed by moving
one of its bumps, and its edge shows which two bumps and how far apart.

With ``pairs nearest`` (the default), each bump is checked against its nearest
neighbour: a pair is reported when one of its bumps is a nearest neighbour of
the other and their distance breaks the limit. A bump with several nearest
neighbours at the same distance (ties, equal to 1e-12 relative) is paired with
each. In a staggered array the nearest neighbour is the diagonal one, so its
pitch is the diagonal and only diagonal pairs are reported, even where the
step along its rows and columns breaks the limit too. Bumps stacked on one spot
are each other's nearest neighbours, at 0: n of them give n(n-1)/2 pairs at 0,
and a bump whose nearest neighbour is the stack is paired with each of its n
bumps. A 3 x 3 array at pitch 30 um checked against 45 um gives its 12 pairs of
row and column neighbours, not its diagonals at 42.43 um.

With ``pairs all``, every pair of bumps whose distance breaks the limit is
reported (closer than it; for ``>``, at it too), nearest neighbours or not: the
same 3 x 3 array gives its 12 row and column pairs and its 8 diagonal pairs; a
staggered array its diagonal pairs and, when the step along its rows and
columns breaks the limit too, those pairs as well; n stacked bumps give
n(n-1)/2 pairs at 0, and each of them is paired with every other bump that
breaks the limit with it. A limit far above the drawn pitch puts each bump in
many pairs.

Pitches are distances between centres in µm, kept to 1e-9 µm without the
floating-point noise of subtracting coordinates (38.5, not 38.500000000000014);
one within 1e-9 (relative) of a limit is the limit. The centre of a box placed
at multiples of 90° lies on the grid or half a database unit off it, so a pitch
along x or y is an exact multiple of half a unit; a diagonal one is exact to
1e-9 µm. Texts show up to 4 decimals."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, violation_text
from adk.checks.polygon import largest_limit
from adk.lang.model import Constraint
from adk.lang.signature import MIN, WORD, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks, passes, snapped

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

SPEC = CheckSpec(
    "pitch",
    "minimum bump pitch: to each bump's nearest neighbour, or between every pair",
    ("bumps",),
    (Prop("pitch", Dim.LENGTH, MIN),),
    (
        Param(
            "pairs",
            WORD,
            choices=("nearest", "all"),
            doc="`nearest` (default): each bump with its nearest neighbours; `all`: every "
            "pair of bumps that breaks the limit",
        ),
    ),
    polygon=False,
)

NOT_EXPORTED = "bump centres and nearest neighbours have no DRC equivalent"

# neighbours fetched at once; more ties than this (only with stacked duplicates) are looked up
_K = 8

# Close pairs are listed outright (one range search: about 3x faster than asking every
# bump for its nearest neighbour) unless a sample shows more than this many bumps within
# the limit of each bump: a limit far above the drawn pitch would list tens of pairs per bump.
_DENSE = 8.0
_SAMPLE = 2048

# the same distance computed between other coordinates may differ in the last bits
_TIE = 1e-12

# `passes` takes a value within 1e-9 (relative) of a limit as at the limit, so a pair that
# much beyond a `>` limit breaks it: the search reaches further than that
_AT_LIMIT = 1e-8

# decimals (µm) distances are kept to: far below any grid, far above floating-point noise
_DIGITS = 9


Distances = TypeVar("Distances", np.ndarray, float)


def _widened(distance: Distances) -> Distances:
    return distance * (1 + _TIE) + _TIE


def _tree(points: np.ndarray) -> cKDTree:
    from scipy.spatial import cKDTree  # here: its half-second import is for bump checks only

    return cKDTree(points, balanced_tree=False, compact_nodes=False)  # 2.5x faster to build


def _distances(points: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    return np.hypot(*(points[pairs[:, 1]] - points[pairs[:, 0]]).T)


def _is_dense(points: np.ndarray, reach: float, tree: cKDTree) -> bool:
    """Whether bumps have, on average, more than ``_DENSE`` others within ``reach``."""
    rng = np.random.default_rng(0)
    sample = points[rng.choice(len(points), min(_SAMPLE, len(points)), replace=False)]
    return float(np.mean(tree.query_ball_point(sample, reach, return_length=True))) - 1 > _DENSE


def _nearest_pairs(
    points: np.ndarray, rows: np.ndarray, reach: np.ndarray, tree: cKDTree
) -> np.ndarray:
    """Pairs (i, j), i < j, of each ``rows[k]`` with every other point within ``reach[k]``,
    as (P, 2) sorted rows, each pair once."""
    k = min(_K, len(points))
    dist, idx = tree.query(points[rows], k=k)
    near = (dist <= reach[:, None]) & (idx != rows[:, None])
    found = [np.column_stack([np.broadcast_to(rows[:, None], idx.shape)[near], idx[near]])]
    if k < len(points):
        for row, radius in zip(rows[near[:, -1]], reach[near[:, -1]]):
            others = np.array([j for j in tree.query_ball_point(points[row], radius) if j != row])
            found.append(np.column_stack([np.full(len(others), row), others]))
    pairs = np.sort(np.concatenate(found).astype(np.int64), axis=1)
    codes = np.unique(pairs[:, 0] * len(points) + pairs[:, 1])
    return np.column_stack([codes // len(points), codes % len(points)])


def _pairs_within(tree: cKDTree, reach: float) -> np.ndarray:
    """Every pair (i, j), i < j, of the tree's points at most ``reach`` apart, (P, 2)."""
    return tree.query_pairs(reach, output_type="ndarray").astype(np.int64).reshape(-1, 2)


def close_pairs(points: np.ndarray, reach: float) -> np.ndarray:
    """Pairs (i, j), i < j, (P, 2), holding every pair of points at most ``reach`` apart
    that are nearest neighbours of one another or of one of the two; maybe more."""
    tree = _tree(points)
    if not _is_dense(points, reach, tree):
        return _pairs_within(tree, reach)
    nearest = tree.query(points, k=2, distance_upper_bound=reach)[0][:, 1]
    rows = np.flatnonzero(np.isfinite(nearest))
    return _nearest_pairs(points, rows, _widened(nearest[rows]), tree)


def nearest_neighbour_pairs(points: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j), i < j, of points at most ``reach`` apart where one is a nearest
    neighbour of the other (ties: each), and their distances."""
    pairs = close_pairs(points, _widened(reach))
    distances = _distances(points, pairs)
    nearest = np.full(len(points), np.inf)
    np.minimum.at(nearest, pairs[:, 0], distances)
    np.minimum.at(nearest, pairs[:, 1], distances)
    keep = (distances <= _widened(nearest[pairs[:, 0]])) | (
        distances <= _widened(nearest[pairs[:, 1]])
    )
    return pairs[keep], distances[keep]


def all_pairs(points: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i < j, of points at most ``reach`` apart, and their distances."""
    pairs = _pairs_within(_tree(points), _widened(reach))
    return pairs, _distances(points, pairs)


def edge_markers(
    starts: np.ndarray,
    ends: np.ndarray,
    values: np.ndarray,
    texts: list[str],
    text_index: np.ndarray,
) -> list[Marker]:
    """Markers for the edges ``starts[k]``-``ends[k]`` (µm) with ``values[k]`` (NaN: none) and
    ``texts[text_index[k]]``, in :meth:`Marker.sort_key` order.

    Sorting with numpy keeps a million markers affordable."""
    low, high = np.minimum(starts, ends), np.maximum(starts, ends)
    rank = np.argsort(np.argsort(np.array(texts, dtype=object)))
    order = np.lexsort((rank[text_index], high[:, 1], high[:, 0], low[:, 1], low[:, 0]))
    rows = zip(
        starts[order].tolist(),
        ends[order].tolist(),
        values[order].tolist(),
        text_index[order].tolist(),
    )
    return [
        Marker(kdb.DEdge(x1, y1, x2, y2), None if value != value else value, texts[t])
        for (x1, y1), (x2, y2), value, t in rows
    ]


def value_texts(
    prop: str,
    values: np.ndarray,
    constraints: tuple[Constraint, ...],
    unit: str,
    suffix: str = "",
) -> list[str]:
    """The violation text of each of ``values``, every one breaking ``constraints``."""
    texts = []
    for value in values.tolist():
        constraint = breaks(constraints, value)
        assert constraint is not None, f"{prop} {value} breaks no constraint"
        texts.append(violation_text(prop, value, constraint, unit, suffix))
    return texts


def _every_pair(check: Check) -> bool:
    return check.param("pairs", "nearest") == "all"


def ambit(check: Check) -> float:
    """How far apart two bumps may be and break the limit: a marker is no longer, and
    with ``pairs nearest`` the nearest neighbours of its ends lie no further."""
    return largest_limit(check.constraints) * (1 + _AT_LIMIT)


def marker_reach(check: Check, marker: Marker) -> float:
    """With ``pairs all`` a marker depends on its two bumps alone, its own ends."""
    return 0.0 if _every_pair(check) else ambit(check)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    points = ctx.bumps(check.layers[0])
    if len(points) < 2:
        return []
    found = all_pairs if _every_pair(check) else nearest_neighbour_pairs
    pairs, distances = found(points, ambit(check))
    # the value shown is the value compared: noise dropped, a pitch at a limit at it
    distances = snapped(check.constraints, np.round(distances, _DIGITS))
    broken = ~passes(check.constraints, distances)
    starts, ends = points[pairs[broken, 0]], points[pairs[broken, 1]]
    # arrays have few distinct distances: one text each
    values, text_index = np.unique(distances[broken], return_inverse=True)
    texts = value_texts("pitch", values, check.constraints, ctx.length_unit)
    return edge_markers(starts, ends, distances[broken], texts, text_index.reshape(-1))
