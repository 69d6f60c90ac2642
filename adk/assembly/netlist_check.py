"""A package's structural netlist against the nets its bump maps build across the
connections of a 3Dblox stack or an assembly file (docs/assembly.md, "A netlist").

A part's ports are the nets of its bump maps: the netlist's instance named after a part
connects its ports to the package's wires. Across each connection with a bottom region,
a bump of the top region lands on a pad of the bottom region when its centre lies within
the pad's bounding box (the pad nearest it), and it joins its net to the net of the
bottom region's bump-map entry in that box. Nets are ``(part, net)``: a part's net is one
node whichever region carries it. Then

- a bump joining two nets the netlist puts on different wires is a short;
- a bump joining a net the netlist leaves unconnected (its instance has no such port, or
  ``.PORT()``) is extra;
- a bump-map entry of net ``-`` (a 3Dblox bump map's "none") carries no net: it joins
  nothing;
- a wire whose ports the joined nets do not all connect is open: a marker per group of
  its ports cut off from its first port's (joined through any net, on the wire or not);
- a port on a wire whose part carries no such net in its bump maps is missing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

import klayout.db as kdb
import numpy as np

from adk.assembly.builder import Assembled
from adk.assembly.model import Assembly
from adk.assembly.stack_checks import RegionShapes, nearest_pads, within
from adk.assembly.verilog import Netlist
from adk.checks.base import Marker
from adk.lang.model import Check, Rule, Span
from adk.run.result import RuleOutcome

NETLIST_RULE = "3DBLOX.NETLIST"

Net = tuple[str, str]  # (part, net)
NO_NET = "-"  # a .bmap entry's net when it has none


def check_netlist(
    assembly: Assembly, assembled: Assembled, netlist: Netlist
) -> tuple[RuleOutcome, list[str]]:
    """The netlist's outcome, and warnings for its instances that are no part."""
    parts = {part.name for part in assembly.parts}
    compared = [i for i in netlist.instances if i.name in parts]
    warnings = [
        f"netlist {netlist.path}:{i.line}: instance {i.name} ({i.cell}) is no part of the "
        "stack: not compared"
        for i in netlist.instances
        if i.name not in parts
    ]
    wires = {
        (i.name, c.port): c.net for i in compared for c in i.connections if c.net
    }  # (part, port) -> wire
    regions = RegionShapes(assembled)
    joins = _joins(assembly, regions)
    carried = _carried(assembly, regions)
    instances = {i.name for i in compared}
    markers = _joined_markers(joins, wires, instances)
    markers += _open_markers(joins, wires, carried)
    markers += _missing_markers(wires, carried, assembled)
    rule = _rule(netlist)
    return RuleOutcome(rule, sorted(markers, key=Marker.sort_key)), warnings


def _rule(netlist: Netlist) -> Rule:
    span = Span(netlist.path, 1, 1, 1, 1)
    name = os.path.basename(netlist.path)
    return Rule(
        NETLIST_RULE,
        f"the netlist {name} ({netlist.module}) against the nets across the stack",
        "error",
        Check("3dblox_netlist", (), (), (), span),
        span,
    )


# ---------------------------------------------------------------- nets joined by bumps
def _joins(assembly: Assembly, regions: RegionShapes) -> dict[tuple[Net, Net], _Where]:
    """Each pair of nets bumps join across the connections, with where the bumps lie."""
    found: dict[tuple[Net, Net], _Where] = {}
    for connection in assembly.connections:
        if connection.bottom is None:
            continue
        bumps, bump_nets = regions.texts(connection.top)
        entries, entry_nets = regions.texts(connection.bottom)
        pads = regions.boxes(connection.bottom)
        if not len(bumps) or not len(entries) or not len(pads):
            continue
        box = pads[nearest_pads(bumps, pads)]
        entry = _nearest(bumps, entries)
        carries = np.array([net != NO_NET for net in bump_nets], bool)
        carries &= np.array([net != NO_NET for net in entry_nets], bool)[entry]
        landed = np.flatnonzero(within(bumps, box) & within(entries[entry], box) & carries)
        codes: dict[tuple[str, str], int] = {}
        partners = entry[landed].tolist()
        pairs = [(bump_nets[k], entry_nets[e]) for k, e in zip(landed.tolist(), partners)]
        coded = np.fromiter((codes.setdefault(p, len(codes)) for p in pairs), np.int64, len(pairs))
        top, bottom = connection.top[0], connection.bottom[0]
        for (net, other), where in zip(codes, _extents(bumps[landed], coded, len(codes))):
            pair = ((top, net), (bottom, other))
            found[pair] = found[pair].merged(where) if pair in found else where
    return found


@dataclass(frozen=True)
class _Where:
    """The bounding box of some bumps, µm, and how many they are."""

    box: tuple[float, float, float, float]
    count: int

    def merged(self, other: _Where) -> _Where:
        (a, b, c, d), (e, f, g, h) = self.box, other.box
        return _Where((min(a, e), min(b, f), max(c, g), max(d, h)), self.count + other.count)


def _extents(points: np.ndarray, groups: np.ndarray, count: int) -> list[_Where]:
    """The box and number of the points of each group (0 .. count - 1)."""
    low = np.full((count, 2), np.inf)
    high = np.full((count, 2), -np.inf)
    np.minimum.at(low, groups, points)
    np.maximum.at(high, groups, points)
    sizes = np.bincount(groups, minlength=count).tolist()
    boxes = np.hstack([low, high]).tolist()
    return [_Where(tuple(box), size) for box, size in zip(boxes, sizes)]


def _nearest(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree  # here: its import is for bump checks only

    return cKDTree(others).query(points)[1]


def _carried(assembly: Assembly, regions: RegionShapes) -> dict[Net, np.ndarray]:
    """Each net of each part's bump maps, with the position of its first entry."""
    carried: dict[Net, np.ndarray] = {}
    for part in assembly.parts:
        for layer in part.bump_maps:
            points, nets = regions.layer_texts((part.name, layer))
            for point, net in zip(points, nets):
                if net != NO_NET:
                    carried.setdefault((part.name, net), point)
    return carried


# ---------------------------------------------------------------- markers
def _joined_markers(
    joins: dict[tuple[Net, Net], _Where], wires: dict[Net, str], instances: set[str]
) -> list[Marker]:
    """Bumps joining nets the netlist keeps apart, or leaves unconnected."""
    markers = []
    for (top, bottom), where in joins.items():
        if top[0] not in instances or bottom[0] not in instances or top == bottom:
            continue
        wire_top, wire_bottom = wires.get(top), wires.get(bottom)
        joined = f"{_net(top)} to {_net(bottom)}"
        if wire_top is not None and wire_bottom is not None:
            if wire_top == wire_bottom:
                continue
            text = (
                f"netlist short: {_bumps(where)} {joined}, on wires {wire_top} and "
                f"{wire_bottom} in the netlist"
            )
        else:
            unconnected = top if wire_top is None else bottom
            text = (
                f"netlist: {_bumps(where)} {joined}, but the netlist connects no "
                f"{_net(unconnected)}"
            )
        parts = ", ".join(dict.fromkeys((top[0], bottom[0])))
        marker = Marker(_around(where), None, f"{text} [{parts}]", nets=(top[1], bottom[1]))
        markers.append(marker)
    return markers


def _open_markers(
    joins: dict[tuple[Net, Net], _Where], wires: dict[Net, str], carried: dict[Net, np.ndarray]
) -> list[Marker]:
    """A wire whose ports the bumps do not all join: a marker per cut-off group."""
    groups = _Groups()
    for top, bottom in joins:
        groups.join(top, bottom)
    by_wire: dict[str, list[Net]] = defaultdict(list)
    for port, wire in wires.items():
        if port in carried:
            by_wire[wire].append(port)
    markers = []
    for wire, ports in sorted(by_wire.items()):
        apart: dict[Net, list[Net]] = {}
        for port in ports:
            apart.setdefault(groups.find(port), []).append(port)
        first, *others = apart.values()
        for group in others:
            a, b = carried[first[0]], carried[group[0]]
            text = (
                f"netlist open: on wire {wire}, {_listed(group)} joined by no bump to "
                f"{_listed(first)}"
            )
            parts = ", ".join(dict.fromkeys(p for p, _ in group + first))
            edge = kdb.DEdge(float(a[0]), float(a[1]), float(b[0]), float(b[1]))
            nets = tuple(dict.fromkeys(n for _, n in first + group))
            markers.append(Marker(edge, None, f"{text} [{parts}]", nets=nets))
    return markers


def _missing_markers(
    wires: dict[Net, str], carried: dict[Net, np.ndarray], assembled: Assembled
) -> list[Marker]:
    """Ports on wires whose parts carry no such net."""
    markers = []
    for port, wire in sorted(wires.items()):
        if port not in carried:
            text = (
                f"netlist: wire {wire} connects {_net(port)}, which no bump of {port[0]} "
                f"carries [{port[0]}]"
            )
            markers.append(Marker(assembled.extents[port[0]], None, text, nets=(port[1],)))
    return markers


def _net(net: Net) -> str:
    return f"{net[0]}.{net[1]}"


def _listed(nets: list[Net]) -> str:
    return ", ".join(_net(n) for n in nets)


def _bumps(where: _Where) -> str:
    return "a bump joins" if where.count == 1 else f"{where.count} bumps join"


def _around(where: _Where) -> kdb.DBox | kdb.DEdge:
    left, bottom, right, top = where.box
    if where.count == 1:
        return kdb.DEdge(left, bottom, left, bottom)
    return kdb.DBox(left, bottom, right, top)


class _Groups:
    """Nets joined into groups (union-find)."""

    def __init__(self) -> None:
        self.parent: dict[Net, Net] = {}

    def find(self, net: Net) -> Net:
        root = net
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while net != root:  # every net on the way straight to the root
            up = self.parent[net]
            self.parent[net] = root
            net = up
        return root

    def join(self, first: Net, second: Net) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)
