"""pitch: minimum centre-to-centre distance from each bump to its nearest neighbour.

    rule UB.P "micro-bump pitch" : pitch(UBUMP) >= 40 um

A bump's centre is the centre of its bounding box; every shape counts, so two
bumps drawn on top of each other are at pitch 0. In a staggered array the
nearest neighbour is the diagonal one, not the column step. A pitch exactly at
the limit passes.
Marker: the edge between the two centres, with the distance; each pair once.
A bump with several nearest neighbours at the same distance is paired with each."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, violation_text
from adk.checks.polygon import largest_limit
from adk.lang.model import Constraint
from adk.lang.signature import MIN, CheckSpec, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks, passes

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

SPEC = CheckSpec(
    "pitch",
    "minimum nearest-neighbour bump pitch",
    ("bumps",),
    (Prop("pitch", Dim.LENGTH, MIN),),
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


Distances = TypeVar("Distances", np.ndarray, float)


def _widened(distance: Distances) -> Distances:
    return distance * (1 + _TIE) + _TIE


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


def close_pairs(points: np.ndarray, reach: float) -> np.ndarray:
    """Pairs (i, j), i < j, (P, 2), holding every pair of points at most ``reach`` apart
    that are nearest neighbours of one another or of one of the two; maybe more."""
    from scipy.spatial import cKDTree  # here: its half-second import is for bump checks only

    tree = cKDTree(points, balanced_tree=False, compact_nodes=False)  # 2.5x faster to build
    if not _is_dense(points, reach, tree):
        return tree.query_pairs(reach, output_type="ndarray").astype(np.int64).reshape(-1, 2)
    nearest = tree.query(points, k=2, distance_upper_bound=reach)[0][:, 1]
    rows = np.flatnonzero(np.isfinite(nearest))
    return _nearest_pairs(points, rows, _widened(nearest[rows]), tree)


def nearest_neighbour_pairs(points: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j), i < j, of points at most ``reach`` apart where one is a nearest
    neighbour of the other (ties: each), and their distances."""
    pairs = close_pairs(points, _widened(reach))
    distances = np.hypot(*(points[pairs[:, 1]] - points[pairs[:, 0]]).T)
    nearest = np.full(len(points), np.inf)
    np.minimum.at(nearest, pairs[:, 0], distances)
    np.minimum.at(nearest, pairs[:, 1], distances)
    keep = (distances <= _widened(nearest[pairs[:, 0]])) | (
        distances <= _widened(nearest[pairs[:, 1]])
    )
    return pairs[keep], distances[keep]


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


def ambit(check: Check) -> float:
    """A pair is reported from the nearest neighbours of its ends, all within the limit."""
    return largest_limit(check.constraints)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    points = ctx.bumps(check.layers[0])
    if len(points) < 2:
        return []
    pairs, distances = nearest_neighbour_pairs(points, ambit(check))
    broken = ~passes(check.constraints, distances)
    starts, ends = points[pairs[broken, 0]], points[pairs[broken, 1]]
    # arrays have few distinct distances: one text each
    values, text_index = np.unique(distances[broken], return_inverse=True)
    texts = value_texts("pitch", values, check.constraints, ctx.length_unit)
    return edge_markers(starts, ends, distances[broken], texts, text_index.reshape(-1))
