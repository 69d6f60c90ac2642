"""align: bumps land on their partners (pads, marks) within a tolerance, one way or both.

    rule POP.ALIGN "top-package balls land on backside pads" : align(TOP_BALL, to TOP_PAD) <= 15 um
    rule UB.ALIGN "micro-bumps on interposer pads, a bump on every pad" : align(UBUMP, both IP_PAD) <= 1 um
    rule HBM1.ALIGN "HBM1 on its interposer pads" : align(HBM1_BUMP, both IP_PAD, within HBM1_DIE) <= 1 um

The direction is part of the call, and exactly one is given; below, BALL is
the first layer and PAD the other. With ``to PAD`` every BALL has a PAD within
the tolerance, and pads without a ball pass (thermal, dummy and test pads).
With ``both PAD`` every PAD has a BALL within it too.

Each shape is its bounding box's centre (bump arrays are read as arrays).
Every BALL is matched to the nearest PAD centre, its partner (among equally
near ones, to 1e-12 relative, the first by x, then y), and every PAD to the
nearest BALL; an offset exactly at the tolerance passes. Matching is not
exclusive: two balls may land on one pad and both pass.

With ``within R`` only the balls and pads whose centres lie inside R, or on
its boundary, take part (R is merged first): the interface between a die and
the pads of its carrier, whose other pads serve other dies. Without it, every
shape of both layers does.

Markers, with the texts of ``<= 1 um`` (``nearer than 1 um`` for ``< 1 um``):

- a BALL whose partner is too far: the edge from the ball's centre to its
  partner's, with the offset: ``offset 1.5 um > 1 um (BALL to nearest PAD)``;
- with ``both``, a PAD whose nearest BALL is too far: a point at the pad's
  centre, with the distance to that ball: ``PAD with no BALL within 1 um``;
  except where one of its nearest balls has this pad for partner, so that the
  ball's marker joins the same two centres: a ball off its pad is one marker,
  not two. A pad whose nearest balls all have other partners is a marker of
  its own, even where some other ball, off its own pad, has its marker end
  there;
- when the other layer has no shapes, a point at each centre, without a value:
  ``BALL with no PAD within 1 um`` (and, with ``both``, ``PAD with no BALL
  within 1 um`` when there is no ball)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from adk.checks.base import Check, CheckContext, Marker, layer_param
from adk.checks.kinds.pitch import edge_markers, value_texts
from adk.checks.polygon import largest_limit
from adk.checks.within import restricted
from adk.lang.model import Constraint, LayerExpr, ParamValue, layer_label
from adk.lang.signature import LAYER, MAX, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import passes

# distances this close (relative) are equal: ties between partners, and the same pair
# measured from either end, which may differ in the last bit
_SAME = 1e-12


def _one_direction(params: Mapping[str, ParamValue], _: tuple[Constraint, ...]) -> str | None:
    if "to" in params and "both" in params:
        return "align takes one direction, 'to LAYER' or 'both LAYER', not the two"
    if "to" not in params and "both" not in params:
        return (
            "align needs the direction: 'to LAYER' (every bump has a partner) "
            "or 'both LAYER' (partners both ways)"
        )
    return None


SPEC = CheckSpec(
    "align",
    "bumps land on their partners, one way or both",
    ("bumps",),
    (Prop("offset", Dim.LENGTH, MAX, positive=False),),
    (
        Param("to", LAYER, doc="every bump has a centre of this layer within the tolerance"),
        Param("both", LAYER, doc="as `to`, and every shape of this layer has a bump within it"),
        Param("within", LAYER, doc="only bumps and partners whose centres lie inside this layer"),
    ),
    polygon=False,
    validate=_one_direction,
)

NOT_EXPORTED = "bump centres matched to the nearest one of the other layer have no DRC equivalent"


@dataclass(frozen=True)
class _Found:
    """Markers as the arguments of :func:`edge_markers`."""

    starts: np.ndarray
    ends: np.ndarray
    values: np.ndarray
    texts: list[str]
    text_index: np.ndarray


_NONE = _Found(np.empty((0, 2)), np.empty((0, 2)), np.empty(0), [], np.empty(0, dtype=int))


def _partner(check: Check) -> tuple[LayerExpr, bool]:
    """The layer the bumps align to, and whether its shapes need a bump too."""
    to, both = layer_param(check, "to"), layer_param(check, "both")
    if to is not None and both is None:
        return to, False
    if both is not None and to is None:
        return both, True
    raise ValueError("align needs exactly one of 'to' and 'both'")


def ambit(check: Check) -> float:
    return largest_limit(check.constraints)


def marker_reach(check: Check, marker: Marker) -> float:
    """An edge depends on every partner nearer than the one it shows; a pad's point also
    on the nearest pad of its nearest bump, up to twice as far; no value: on everything."""
    if marker.measured is None:
        return math.inf
    box = marker.shape.bbox()
    if box.width() == 0 and box.height() == 0:
        return ambit(check) + 2 * marker.measured
    return ambit(check) + marker.measured


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    partner_layer, both_ways = _partner(check)
    bumps, partners = ctx.bumps(check.layers[0]), ctx.bumps(partner_layer)
    region = layer_param(check, "within")
    if region is not None:
        interface = ctx.region(region)
        bumps, partners = (restricted(p, interface, ctx.dbu) for p in (bumps, partners))
    # named by their layers: the same check aligns balls, pads and alignment marks
    bump_name, partner_name = (
        layer_label(layer, ctx.length_unit) for layer in (check.layers[0], partner_layer)
    )
    within = _within(check.constraints, ctx.length_unit)
    bumps_alone = f"{bump_name} with no {partner_name} {within}"
    partners_alone = f"{partner_name} with no {bump_name} {within}"
    if not len(partners):
        return _markers(_alone(bumps, None, bumps_alone))
    if not len(bumps):
        return _markers(_alone(partners, None, partners_alone) if both_ways else _NONE)
    distance, nearest = _nearest(bumps, partners)
    off = np.flatnonzero(~passes(check.constraints, distance))
    suffix = f" ({bump_name} to nearest {partner_name})"
    offsets = _offsets(bumps[off], partners[nearest[off]], distance[off], check, ctx, suffix)
    if not both_ways:
        return _markers(offsets)
    rows, distances = _lonely_partners(partners, bumps, nearest[off], distance[off], check)
    return _markers(offsets, _alone(partners[rows], distances, partners_alone))


def _nearest(points: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distance from each of ``points`` to the nearest of ``others`` (not empty) and its
    index. Among equally near ones the first by x, then y (the arrays' order), so the
    partner shown does not depend on the points a tile's tree holds."""
    from scipy.spatial import cKDTree  # here: its half-second import is for bump checks only

    tree = cKDTree(others)
    distances, indices = tree.query(points, k=[1, 2])  # no second: infinite
    distance, nearest = distances[:, 0], indices[:, 0]
    tied = np.flatnonzero(distances[:, 1] <= distance * (1 + _SAME))
    if len(tied):
        candidates = tree.query_ball_point(points[tied], distance[tied] * (1 + _SAME))
        nearest[tied] = [min(found) for found in candidates]
    return distance, nearest


def _lonely_partners(
    partners: np.ndarray,
    bumps: np.ndarray,
    shown_at: np.ndarray,
    shown: np.ndarray,
    check: Check,
) -> tuple[np.ndarray, np.ndarray]:
    """The partners with no bump within the tolerance, their indices and the distance to
    their nearest bump; but not those where a bump's marker (to the partner ``shown_at``,
    offset ``shown``) already joins them to a nearest bump of theirs."""
    from scipy.spatial import cKDTree

    distance = cKDTree(bumps).query(partners)[0]
    nearest_shown = np.full(len(partners), np.inf)
    np.minimum.at(nearest_shown, shown_at, shown)
    joined = nearest_shown <= distance * (1 + _SAME)
    rows = np.flatnonzero(~passes(check.constraints, distance) & ~joined)
    return rows, distance[rows]


def _offsets(
    starts: np.ndarray,
    ends: np.ndarray,
    offsets: np.ndarray,
    check: Check,
    ctx: CheckContext,
    suffix: str,
) -> _Found:
    """Edges from bumps to partners too far, each with its offset."""
    # arrays have few distinct offsets: one text each
    values, text_index = np.unique(offsets, return_inverse=True)
    texts = value_texts("offset", values, check.constraints, ctx.length_unit, suffix)
    return _Found(starts, ends, offsets, texts, text_index.reshape(-1))


def _alone(points: np.ndarray, distances: np.ndarray | None, text: str) -> _Found:
    """A point at each of ``points``, with its distance to the nearest partner (none:
    the other layer is empty)."""
    values = np.full(len(points), np.nan) if distances is None else distances
    return _Found(points, points, values, [text], np.zeros(len(points), dtype=int))


def _within(constraints: tuple[Constraint, ...], unit: str) -> str:
    """``within 1 um``: the tightest limit, which every offset that fails breaks."""
    tightest = min(constraints, key=lambda c: (c.limit.value, c.op == "<="))
    words = "within" if tightest.op == "<=" else "nearer than"
    return f"{words} {tightest.limit.format(unit)}"


def _markers(*parts: _Found) -> list[Marker]:
    texts: list[str] = []
    indices = []
    for part in parts:
        indices.append(part.text_index + len(texts))
        texts += part.texts
    return edge_markers(
        np.concatenate([part.starts for part in parts]),
        np.concatenate([part.ends for part in parts]),
        np.concatenate([part.values for part in parts]),
        texts,
        np.concatenate(indices),
    )
