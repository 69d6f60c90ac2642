"""align: every top bump lands on a bottom pad within a tolerance.

    rule UB.ALIGN "top die bumps on interposer pads" : align(TOP_BUMP, BOT_PAD) <= 1 um

Centres (of bounding boxes) are matched to the nearest centre on the other
layer; matching is not exclusive, so two bumps may land on one pad. A top bump
with no bottom pad within the tolerance and a bottom pad with no top bump
within it are both markers; an offset exactly at the tolerance passes.
Marker: the edge from the bump's centre to its nearest partner's, with the
offset and the two layers (``offset 1.5 um > 1 um (BOT_PAD to nearest
TOP_BUMP)``); a point at the centre when the other layer is empty (``TOP_BUMP
with no BOT_PAD``)."""

from __future__ import annotations

import math

import numpy as np

from adk.checks.base import Check, CheckContext, Marker
from adk.checks.kinds.pitch import edge_markers, value_texts
from adk.checks.polygon import largest_limit
from adk.lang.model import layer_label
from adk.lang.signature import MAX, CheckSpec, Prop
from adk.lang.units import Dim
from adk.layout.bumps import passes

SPEC = CheckSpec(
    "align",
    "top bumps land on bottom pads",
    ("top", "bottom"),
    (Prop("offset", Dim.LENGTH, MAX, positive=False),),
    polygon=False,
)

NOT_EXPORTED = "bump centres matched to the nearest one of the other layer have no DRC equivalent"


def _unmatched(
    points: np.ndarray, others: np.ndarray, check: Check, ctx: CheckContext, what: str, partner: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """The points whose nearest point of ``others`` is too far, as the arguments of
    :func:`edge_markers`; offset NaN when ``others`` is empty."""
    if not len(others):
        return (
            points,
            points,
            np.full(len(points), np.nan),
            [f"{what} with no {partner}"],
            np.zeros(len(points), dtype=int),
        )
    if not len(points):
        return points, points, np.empty(0), [], np.empty(0, dtype=int)
    from scipy.spatial import cKDTree  # here: its half-second import is for bump checks only

    offsets, nearest = cKDTree(others).query(points)
    rows = np.flatnonzero(~passes(check.constraints, offsets))
    # arrays have few distinct offsets: one text each
    values, text_index = np.unique(offsets[rows], return_inverse=True)
    suffix = f" ({what} to nearest {partner})"
    texts = value_texts("offset", values, check.constraints, ctx.length_unit, suffix)
    return points[rows], others[nearest[rows]], offsets[rows], texts, text_index.reshape(-1)


def ambit(check: Check) -> float:
    return largest_limit(check.constraints)


def marker_reach(check: Check, marker: Marker) -> float:
    """A marker depends on every partner nearer than the one it shows (none: anywhere)."""
    return math.inf if marker.measured is None else ambit(check) + marker.measured


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    top, bottom = (ctx.bumps(layer) for layer in check.layers[:2])
    # named by their layers: the same check aligns balls, pads and alignment marks
    top_name, bottom_name = (layer_label(layer, ctx.length_unit) for layer in check.layers[:2])
    tops = _unmatched(top, bottom, check, ctx, top_name, bottom_name)
    bottoms = _unmatched(bottom, top, check, ctx, bottom_name, top_name)
    starts, ends, offsets = (np.concatenate([tops[k], bottoms[k]]) for k in range(3))
    return edge_markers(
        starts,
        ends,
        offsets,
        tops[3] + bottoms[3],
        np.concatenate([tops[4], bottoms[4] + len(tops[3])]),
    )
