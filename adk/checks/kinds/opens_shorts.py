"""opens_shorts: across an interface, each net of the top part reaches its own net below, and one net only.

    rule HBM.OS "HBM nets neither open nor shorted on the interposer" : opens_shorts(HBM_NET, IP_NET, within HBM_DIE) <= 20 um
    rule C4.OS "C4 nets neither open nor shorted on the substrate" : opens_shorts(C4_NET, SUB_NET) <= 150 um

The two layers hold texts whose strings are nets, one at the centre of each bump
and pad: the bump maps of an assembly put them there (docs/assembly.md). TOP is
the first layer, the bumps of the part above; BOT the second, the pads below.
Texts on a derived layer are none.

Each TOP text lands on the nearest BOT text within the tolerance (among equally
near ones, to 1e-12 relative, the first by x, then y); an offset exactly at the
tolerance lands. A net of TOP is judged by the BOT nets its texts land on:

- it lands on two BOT nets or more: a short. Each of its texts landing on a BOT
  text of another net than its own is a marker, the edge from it to that text:
  ``short: net VDD (TOP) lands on nets VDD, VSS (BOT)`` (every net it lands on,
  sorted);
- otherwise each of its texts landing on a BOT text of another net is an open:
  the edge, ``open: net DQ0 (TOP) lands on net DQ1 (BOT)``;
- each of its texts landing on nothing is an open, a point at the text: ``open:
  net DQ0 (TOP) has a bump landing on no BOT``.

A text landing on its own net is never marked. With ``within R`` (merged first)
only the texts inside R, or on its boundary, take part. BOT texts no TOP text
lands on pass (spare and test pads), and a BOT net that two TOP nets land on is
not a short of its own: each TOP net is judged by what it lands on."""

from __future__ import annotations

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, layer_param
from adk.checks.kinds.bump_map import nearest
from adk.checks.polygon import ordered
from adk.checks.within import inside_region
from adk.lang.model import LayerExpr, layer_label
from adk.lang.signature import LAYER, MAX, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import passes

SPEC = CheckSpec(
    "opens_shorts",
    "each top net reaches its own net below, and one net only",
    ("bumps", "pads"),
    (Prop("offset", Dim.LENGTH, MAX, positive=False, doc="how near a pad a bump lands on it"),),
    (Param("within", LAYER, doc="only texts whose positions lie inside this layer"),),
    polygon=False,
)

NOT_EXPORTED = "nets joined through texts matched to the nearest text have no DRC equivalent"


class _Side:
    """One layer's net texts: positions (µm) and strings, with its name for messages."""

    def __init__(self, layer: LayerExpr, interface: kdb.Region | None, ctx: CheckContext):
        points, nets = ctx.texts(layer)
        keep = (
            np.ones(len(points), dtype=bool)
            if interface is None or not len(points)
            else inside_region(points, interface, ctx.dbu)
        )
        self.points = points[keep]
        self.nets = np.array(nets, dtype=object)[keep] if nets else np.empty(0, dtype=object)
        self.name = layer_label(layer, ctx.length_unit)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    region = layer_param(check, "within")
    interface = None if region is None else ctx.region(region)
    bumps, pads = (_Side(layer, interface, ctx) for layer in check.layers)
    landing = _landings(bumps, pads, check)
    reached = _reached(bumps, pads, landing)
    markers = []
    for k, net in enumerate(bumps.nets.tolist()):
        pad = int(landing[k])
        if pad < 0:
            text = f"open: net {net} ({bumps.name}) has a bump landing on no {pads.name}"
            markers.append(Marker(_edge(bumps.points[k], bumps.points[k]), None, text))
        elif pads.nets[pad] != net:
            markers.append(_crossing(bumps, pads, k, pad, reached[net]))
    return ordered(markers)


def _landings(bumps: _Side, pads: _Side, check: Check) -> np.ndarray:
    """For each bump text, the index of the pad text it lands on, or -1."""
    if not len(bumps.points) or not len(pads.points):
        return np.full(len(bumps.points), -1)
    distance, index = nearest(bumps.points, pads.points)
    return np.where(passes(check.constraints, distance), index, -1)


def _reached(bumps: _Side, pads: _Side, landing: np.ndarray) -> dict[str, list[str]]:
    """Each bump net with the pad nets its texts land on, sorted."""
    reached: dict[str, set[str]] = {net: set() for net in bumps.nets.tolist()}
    for k in np.flatnonzero(landing >= 0).tolist():
        reached[bumps.nets[k]].add(pads.nets[landing[k]])
    return {net: sorted(found) for net, found in reached.items()}


def _crossing(bumps: _Side, pads: _Side, bump: int, pad: int, reached: list[str]) -> Marker:
    """The marker of a bump landing on a pad of another net: a short when its net lands
    on several, an open otherwise."""
    net = bumps.nets[bump]
    if len(reached) > 1:
        text = f"short: net {net} ({bumps.name}) lands on nets {', '.join(reached)} ({pads.name})"
    else:
        text = f"open: net {net} ({bumps.name}) lands on net {pads.nets[pad]} ({pads.name})"
    start, end = bumps.points[bump], pads.points[pad]
    return Marker(_edge(start, end), float(np.hypot(*(end - start))), text)


def _edge(start: np.ndarray, end: np.ndarray) -> kdb.DEdge:
    (x1, y1), (x2, y2) = start.tolist(), end.tolist()
    return kdb.DEdge(x1, y1, x2, y2)
