"""opens_shorts: across an interface, each net of the top part reaches its own net below, and one net only.

    rule HBM.OS "HBM nets neither open nor shorted on the interposer" : opens_shorts(HBM_NET, IP_NET, within HBM_DIE) <= 20 um
    rule C4.OS "C4 nets neither open nor shorted on the substrate" : opens_shorts(C4_NET, SUB_NET) <= 150 um

The two layers hold texts whose strings are nets, one at the centre of each bump
and pad: the bump maps of an assembly put them there (docs/assembly.md). TOP is
the first layer, the bumps of the part above; BOT the second, the pads below.
Texts on a derived layer are none.

Each TOP text lands on the nearest BOT text within the tolerance (among equally
near ones, to 1e-12 relative, the first by x, then y); an offset exactly at the
tolerance lands. A TOP net is judged by the BOT nets its texts land on, and a
BOT net by the TOP nets landing on its texts. Each TOP text landing on a BOT
text of another net is one marker, the edge from it to that text:

- a short when its TOP net lands on two BOT nets or more: ``short: net VDD (TOP)
  lands on nets VDD, VSS (BOT)`` (every net it lands on, sorted);
- else a short when the BOT net it lands on is landed on by two TOP nets or
  more: ``short: net VDD (BOT) is landed on by nets VDD, VSS (TOP)`` (sorted);
- else an open: ``open: net DQ0 (TOP) lands on net DQ1 (BOT)``.

So a short seen from both sides (a VSS bump on a VDD pad, where both nets have
bumps and pads of their own) is one marker, in the TOP net's words. A TOP net
none of whose texts lands on anything is floating, one marker for the net (a
point at its text, or the box around its texts): ``floating: net DQ0 (TOP)
lands on no BOT``; a net some of whose texts land has each text landing on
nothing marked as an open, a point at the text: ``open: net DQ0 (TOP) has a bump
landing on no BOT``.

A text landing on its own net is never marked. With ``within R`` (merged first)
only the texts inside R, or on its boundary, take part. BOT texts no TOP text
lands on pass (spare and test pads). Each marker names the nets it involves, so
a waiver can name one (docs/reports.md)."""

from __future__ import annotations

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, layer_param
from adk.checks.kinds.bump_map import nearest
from adk.checks.kinds.nets import net_shape
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
    nets = _Nets(bumps, pads, _landings(bumps, pads, check))
    markers = [_floating(bumps, pads, net, points) for net, points in nets.floating(bumps)]
    for k in nets.open_bumps().tolist():
        net = str(bumps.nets[k])
        text = f"open: net {net} ({bumps.name}) has a bump landing on no {pads.name}"
        markers.append(Marker(_edge(bumps.points[k], bumps.points[k]), None, text, nets=(net,)))
    markers += [_crossing(bumps, pads, k, pad, nets) for k, pad in nets.crossings()]
    return ordered(markers)


def _landings(bumps: _Side, pads: _Side, check: Check) -> np.ndarray:
    """For each bump text, the index of the pad text it lands on, or -1."""
    if not len(bumps.points) or not len(pads.points):
        return np.full(len(bumps.points), -1)
    distance, index = nearest(bumps.points, pads.points)
    return np.where(passes(check.constraints, distance), index, -1)


class _Nets:
    """The nets of both sides as integer codes (one code per net name, shared by the two
    sides), and which nets each side's texts land on: sorted arrays of (net, net) pairs,
    so that a million bumps are judged without a loop over them."""

    def __init__(self, bumps: _Side, pads: _Side, landing: np.ndarray):
        codes: dict[str, int] = {}
        both = [*bumps.nets.tolist(), *pads.nets.tolist()]
        coded = np.fromiter((codes.setdefault(n, len(codes)) for n in both), np.int64, len(both))
        self.names = list(codes)
        self.count = max(1, len(codes))
        self.top, self.bottom = coded[: len(bumps.nets)], coded[len(bumps.nets) :]
        self.landing = landing
        self.landed = np.flatnonzero(landing >= 0)
        top, bottom = self.top[self.landed], self.bottom[landing[self.landed]]
        self.down = np.unique(top * self.count + bottom)  # top net, bottom net it lands on
        self.up = np.unique(bottom * self.count + top)  # bottom net, top net landing on it

    def floating(self, bumps: _Side) -> list[tuple[str, np.ndarray]]:
        """The top nets none of whose texts lands, by name, each with its texts' points."""
        idle = np.flatnonzero(~np.isin(self.top, self.down // self.count))
        order = idle[np.argsort(self.top[idle], kind="stable")]
        nets, starts = np.unique(self.top[order], return_index=True)
        groups = np.split(order, starts[1:])
        return sorted((self.names[n], bumps.points[k]) for n, k in zip(nets.tolist(), groups))

    def open_bumps(self) -> np.ndarray:
        """The bumps landing on nothing whose nets land elsewhere."""
        unlanded = np.flatnonzero(self.landing < 0)
        return unlanded[np.isin(self.top[unlanded], self.down // self.count)]

    def crossings(self) -> list[tuple[int, int]]:
        """Each bump landing on a pad of another net, with that pad."""
        pads = self.landing[self.landed]
        crossing = self.top[self.landed] != self.bottom[pads]
        return list(zip(self.landed[crossing].tolist(), pads[crossing].tolist()))

    def reached(self, bump: int) -> list[str]:
        """The bottom nets the bump's net lands on, sorted."""
        return self._partners(self.down, int(self.top[bump]))

    def landed_on(self, pad: int) -> list[str]:
        """The top nets landing on the pad's net, sorted."""
        return self._partners(self.up, int(self.bottom[pad]))

    def _partners(self, pairs: np.ndarray, net: int) -> list[str]:
        first, last = np.searchsorted(pairs, [net * self.count, (net + 1) * self.count])
        return sorted(self.names[n] for n in (pairs[first:last] % self.count).tolist())


def _floating(bumps: _Side, pads: _Side, net: str, points: np.ndarray) -> Marker:
    """The marker of a top net none of whose texts lands: at its text, or around its texts."""
    text = f"floating: net {net} ({bumps.name}) lands on no {pads.name}"
    return Marker(net_shape(points), None, text, nets=(net,))


def _crossing(bumps: _Side, pads: _Side, bump: int, pad: int, nets: _Nets) -> Marker:
    """The marker of a bump landing on a pad of another net: a short of the top net when it
    lands on several, else of the pad's net when several land on it, else an open."""
    net, pad_net = str(bumps.nets[bump]), str(pads.nets[pad])
    reached, landed_on = nets.reached(bump), nets.landed_on(pad)
    if len(reached) > 1:
        text = f"short: net {net} ({bumps.name}) lands on nets {', '.join(reached)} ({pads.name})"
        involved = tuple(dict.fromkeys([net, *reached]))
    elif len(landed_on) > 1:
        listed = ", ".join(landed_on)
        text = f"short: net {pad_net} ({pads.name}) is landed on by nets {listed} ({bumps.name})"
        involved = tuple(dict.fromkeys([pad_net, *landed_on]))
    else:
        text = f"open: net {net} ({bumps.name}) lands on net {pad_net} ({pads.name})"
        involved = (net, pad_net)
    start, end = bumps.points[bump], pads.points[pad]
    return Marker(_edge(start, end), float(np.hypot(*(end - start))), text, nets=involved)


def _edge(start: np.ndarray, end: np.ndarray) -> kdb.DEdge:
    (x1, y1), (x2, y2) = start.tolist(), end.tolist()
    return kdb.DEdge(x1, y1, x2, y2)
