"""nets: bumps land on pads of their own nets, and every net lands somewhere.

    rule HBM.NETS "HBM bumps on pads of their nets" : nets(HBM_NET, to IP_NET) <= 20 um
    rule HBM.NETS.BOTH "nets agree both ways under the HBM" : nets(HBM_NET, both IP_NET, within HBM_DIE) <= 20 um

The two layers hold texts whose strings are nets, one at the centre of each bump
and pad: the bump maps of an assembly put them there (docs/assembly.md). Texts
on a derived layer are none. Below, BUMP is the first layer and PAD the other.

Each BUMP text lands on the nearest PAD text within the tolerance (among equally
near ones the first by x, then y); one with no PAD text that near lands on
nothing, which align reports as a bump off its pad. A tolerance of about half
the bump pitch tells which pad a bump meets even where it is further off than
the alignment allows, so a shifted die shows as misaligned, not as a net error.
An offset exactly at the tolerance lands.

- a BUMP text landing on a PAD text of another net is a marker: the edge from
  the bump to the pad, with the offset: ``net VDD (BUMP) on net VSS (PAD)``;
- a net of BUMP none of whose texts lands on a PAD text of the same net is a
  marker, ``net DQ0 of BUMP lands on no PAD of its net``: a point at its text,
  or the box around its texts when it has several.

With ``both PAD`` every PAD text lands on the nearest BUMP text in the same way,
and a PAD net that no BUMP of its net lands on is marked too (``net DQ0 of PAD
lands on no BUMP of its net``), as is a PAD text landing on a BUMP of another
net, unless that bump landing on this pad is marked already. With ``to PAD``
pads without a bump of their net pass (spare and test pads). With ``within R``
(merged first) only the texts inside R, or on its boundary, take part: the
interface between a die and the pads of its carrier that serve other dies."""

from __future__ import annotations

from collections.abc import Mapping

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, layer_param
from adk.checks.polygon import ordered
from adk.checks.within import inside_region
from adk.lang.model import Constraint, LayerExpr, ParamValue, layer_label
from adk.lang.signature import LAYER, MAX, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import passes

# distances this close (relative) are equal: ties between nearest texts
_SAME = 1e-12


def _one_direction(params: Mapping[str, ParamValue], _: tuple[Constraint, ...]) -> str | None:
    if ("to" in params) == ("both" in params):
        return (
            "nets needs one direction: 'to LAYER' (every bump's net lands) "
            "or 'both LAYER' (every net of either side lands)"
        )
    return None


SPEC = CheckSpec(
    "nets",
    "bumps on pads of their nets, every net landing",
    ("bumps",),
    (Prop("offset", Dim.LENGTH, MAX, positive=False, doc="how near a pad a bump lands on it"),),
    (
        Param("to", LAYER, doc="the net texts of the pads the bumps land on"),
        Param("both", LAYER, doc="as `to`, and every net of this layer lands too"),
        Param("within", LAYER, doc="only texts whose positions lie inside this layer"),
    ),
    polygon=False,
    validate=_one_direction,
)

NOT_EXPORTED = "texts matched to the nearest text of another layer have no DRC equivalent"


class _Side:
    """One layer's net texts: positions (µm) and strings, with its name for messages."""

    def __init__(self, points: np.ndarray, nets: list[str], name: str):
        self.points = points
        self.nets = np.array(nets, dtype=object)
        self.name = name


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    other, both_ways = _partner(check)
    region = layer_param(check, "within")
    interface = None if region is None else ctx.region(region)
    bumps, pads = (_side(layer, interface, ctx) for layer in (check.layers[0], other))
    tolerance = check.constraints
    bump_to_pad = _landings(bumps, pads, tolerance)
    markers = _wrong_nets(bumps, pads, bump_to_pad, set())
    markers += _unlanded(bumps, pads, bump_to_pad)
    if both_ways:
        pad_to_bump = _landings(pads, bumps, tolerance)
        shown = {(int(p), int(b)) for b, p in enumerate(bump_to_pad) if p >= 0}
        markers += _wrong_nets(pads, bumps, pad_to_bump, shown)
        markers += _unlanded(pads, bumps, pad_to_bump)
    return ordered(markers)


def _partner(check: Check) -> tuple[LayerExpr, bool]:
    to, both = layer_param(check, "to"), layer_param(check, "both")
    if to is not None and both is None:
        return to, False
    if both is not None and to is None:
        return both, True
    raise ValueError("nets needs exactly one of 'to' and 'both'")


def _side(layer: LayerExpr, interface: kdb.Region | None, ctx: CheckContext) -> _Side:
    points, nets = ctx.texts(layer)
    side = _Side(points, nets, layer_label(layer, ctx.length_unit))
    if interface is not None and len(points):
        keep = inside_region(points, interface, ctx.dbu)
        side.points, side.nets = points[keep], side.nets[keep]
    return side


def _landings(texts: _Side, others: _Side, tolerance: tuple[Constraint, ...]) -> np.ndarray:
    """For each text, the index of the other side's text it lands on, or -1."""
    if not len(texts.points) or not len(others.points):
        return np.full(len(texts.points), -1)
    from scipy.spatial import cKDTree  # here: its import is for bump checks only

    tree = cKDTree(others.points)
    distances, indices = tree.query(texts.points, k=[1, 2])
    distance, nearest = distances[:, 0], indices[:, 0].copy()
    tied = np.flatnonzero(distances[:, 1] <= distance * (1 + _SAME))
    if len(tied):
        found = tree.query_ball_point(texts.points[tied], distance[tied] * (1 + _SAME))
        nearest[tied] = [min(candidates) for candidates in found]
    return np.where(passes(tolerance, distance), nearest, -1)


def _wrong_nets(
    texts: _Side, others: _Side, landing: np.ndarray, shown: set[tuple[int, int]]
) -> list[Marker]:
    """An edge for each text landing on a text of another net, but the pairs ``shown``
    (this side's index, the other's) already marked from the other side."""
    markers = []
    landed = np.flatnonzero(landing >= 0)
    wrong = landed[texts.nets[landed] != others.nets[landing[landed]]]
    for own in wrong.tolist():
        partner = int(landing[own])
        if (own, partner) in shown:
            continue
        (x1, y1), (x2, y2) = texts.points[own].tolist(), others.points[partner].tolist()
        own_net, other_net = str(texts.nets[own]), str(others.nets[partner])
        text = f"net {own_net} ({texts.name}) on net {other_net} ({others.name})"
        edge = kdb.DEdge(x1, y1, x2, y2)
        length = float(np.hypot(x2 - x1, y2 - y1))
        markers.append(Marker(edge, length, text, nets=(own_net, other_net)))
    return markers


def _unlanded(texts: _Side, others: _Side, landing: np.ndarray) -> list[Marker]:
    """A marker for each net of ``texts`` none of whose texts lands on one of its net."""
    landed = landing >= 0
    good = np.zeros(len(landing), dtype=bool)
    good[landed] = texts.nets[landed] == others.nets[landing[landed]]
    markers = []
    for net in sorted(set(texts.nets.tolist()) - set(texts.nets[good].tolist())):
        shape = net_shape(texts.points[texts.nets == net])
        text = f"net {net} of {texts.name} lands on no {others.name} of its net"
        markers.append(Marker(shape, None, text, nets=(net,)))
    return markers


def net_shape(points: np.ndarray) -> kdb.DEdge | kdb.DBox:
    """Where a marker of a net's texts (µm, (N, 2)) stands: a point at its one text, or
    the box around its texts."""
    (left, bottom), (right, top) = points.min(axis=0).tolist(), points.max(axis=0).tolist()
    if len(points) == 1:
        return kdb.DEdge(left, bottom, left, bottom)
    return kdb.DBox(left, bottom, right, top)
