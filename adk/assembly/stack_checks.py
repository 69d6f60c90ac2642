"""The connections and path assertions of a 3Dblox stack (``Connection``, ``Path``) or an
assembly file (``connections``, ``paths``), checked on the assembled package: each
connection bonds bumps to pads, each path assertion holds (docs/assembly.md,
"Connections and paths"). Their rule ids are ``3DBLOX.*`` whichever file declares them.

The semantics are those of OpenROAD's 3Dblox checker. The stack's regions are the
nodes of a graph whose edges are

- each connection with a bottom region (one bonded to nothing, ``bot: ~``, joins no
  two regions);
- inside each chiplet, read as a black box (adk reads no chiplet netlist): the front
  regions of a die with each other (every region of a die with TSVs with every other),
  the front regions of an rdl or substrate with its back regions, or, when it has
  internal regions, each of front and back with each internal region (and each
  internal_ext one: OpenROAD joins such a region to the nearer of front and back by
  height; adk reads no heights and joins it to both); an ip joins none.

A path lists regions, some written ``NOT REGION``. It holds when every region it
requires (the others) is reached from the first one without passing through a region
it avoids (the ``NOT`` ones); a required region that is also avoided breaks it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

import klayout.db as kdb
import numpy as np

from adk.assembly.builder import Assembled
from adk.assembly.model import NET_LAYER, Assembly, Chiplet, Connection, PathAssertion
from adk.checks.base import Marker
from adk.lang.model import Check, Rule, Span
from adk.layout.bumps import centres as bump_centres
from adk.layout.bumps import outlines, transform
from adk.layout.texts import texts
from adk.run.result import RuleOutcome

PREFIX = "3DBLOX."
PATH_RULE = "3DBLOX.PATH."
CONNECTION_RULE = "3DBLOX.CONN."
_LISTED = 4  # regions named in a marker's text before "..."

Region = tuple[str, str]  # (part, region)


def stack_rule_ids(assembly: Assembly) -> list[str]:
    """The rule ids of the stack's assertions: one per bonded connection, one per path."""
    bonded = [c for c in assembly.connections if c.bottom is not None]
    return [CONNECTION_RULE + c.name for c in bonded] + [PATH_RULE + p.name for p in assembly.paths]


def check_stack(
    assembly: Assembly, assembled: Assembled, only: Iterable[str] | None = None
) -> list[RuleOutcome]:
    """The outcome of each connection and path assertion of the stack (those of ``only``
    when given): connections first, in file order, then paths."""
    wanted = None if only is None else set(only)
    regions = RegionShapes(assembled)
    outcomes = []
    for connection in assembly.connections:
        rule_id = CONNECTION_RULE + connection.name
        if connection.bottom is not None and (wanted is None or rule_id in wanted):
            started = time.perf_counter()
            markers = _connection_markers(connection, regions)
            rule = _connection_rule(assembly, connection)
            outcomes.append(RuleOutcome(rule, markers, seconds=time.perf_counter() - started))
    graph = region_graph(assembly)
    for path in assembly.paths:
        if wanted is None or PATH_RULE + path.name in wanted:
            started = time.perf_counter()
            markers = _path_markers(path, graph, regions)
            rule = _path_rule(assembly, path)
            outcomes.append(RuleOutcome(rule, markers, seconds=time.perf_counter() - started))
    return outcomes


# ---------------------------------------------------------------- rules
def _span(assembly: Assembly, span: Span | None) -> Span:
    return span or Span(assembly.path, 1, 1, 1, 1)


def _connection_rule(assembly: Assembly, connection: Connection) -> Rule:
    assert connection.bottom is not None
    top, bottom = _name(connection.top), _name(connection.bottom)
    text = f"3Dblox connection {connection.name}: bumps of {top} land on pads of {bottom}"
    span = _span(assembly, connection.span)
    return _stack_rule(CONNECTION_RULE + connection.name, text, "3dblox_connection", span)


def _path_rule(assembly: Assembly, path: PathAssertion) -> Rule:
    entries = ", ".join(("NOT " if negated else "") + f"{p}.{r}" for p, r, negated in path.entries)
    text = f"3Dblox path {path.name}: {entries}"
    return _stack_rule(PATH_RULE + path.name, text, "3dblox_path", _span(assembly, path.span))


def _stack_rule(rule_id: str, text: str, kind: str, span: Span) -> Rule:
    """An error rule of a stack check ``kind``, which reads no layer, declared at ``span``."""
    return Rule(rule_id, text, "error", Check(kind, (), (), (), span), span)


def _name(region: Region) -> str:
    return f"{region[0]}.{region[1]}"


def _listed(regions: list[Region]) -> str:
    names = [_name(r) for r in regions[:_LISTED]]
    return ", ".join(names + (["..."] if len(regions) > _LISTED else []))


# ---------------------------------------------------------------- region shapes
class RegionShapes:
    """What a region holds in the package (its layer in the assembled layout, and its bump
    map's net layer): bump centres, pad boxes, net texts, and the region's extent."""

    def __init__(self, assembled: Assembled):
        self.assembled = assembled

    def _index(self, layer: tuple[str, str]) -> int | None:
        """The assembled layer of ``(part, layer)``; None when the part's layout lacks it."""
        bound = self.assembled.layers.get(layer[0], {}).get(layer[1])
        if bound is None:
            return None
        index = self.assembled.layout.find_layer(bound.layer, bound.datatype)
        return None if index is None or index < 0 else index

    def centres(self, region: Region) -> np.ndarray:
        """The centres of the region's shapes, (N, 2) µm."""
        index = self._index(region)
        if index is None:
            return np.empty((0, 2))
        return bump_centres(self.assembled.layout, self.assembled.top, index)

    def boxes(self, region: Region) -> np.ndarray:
        """The bounding boxes of the region's shapes as placed, (N, 4) left, bottom,
        right, top in µm (arrays read as arrays)."""
        index = self._index(region)
        if index is None:
            return np.empty((0, 4))
        found = [np.empty((0, 4))]
        for outline in outlines(self.assembled.layout, self.assembled.top, index):
            placed = transform(outline.placements, outline.hull())
            found.append(np.hstack([placed.min(axis=1), placed.max(axis=1)]))
        return np.concatenate(found) * self.assembled.layout.dbu

    def texts(self, region: Region) -> tuple[np.ndarray, list[str]]:
        """The net texts of the region's bump map (its layer ``REGION_net``, else the
        part's one bump map, ``net``), (N, 2) µm and their nets."""
        part, name = region
        own = f"{name}_{NET_LAYER}"
        bound = self.assembled.layers.get(part, {})
        return self.layer_texts(
            (part, own if own in bound or NET_LAYER not in bound else NET_LAYER)
        )

    def layer_texts(self, layer: tuple[str, str]) -> tuple[np.ndarray, list[str]]:
        """The texts of a part's layer ``(part, layer)``: (N, 2) µm and their strings."""
        index = self._index(layer)
        if index is None:
            return np.empty((0, 2)), []
        return texts(self.assembled.layout, self.assembled.top, index)

    def extent(self, region: Region) -> kdb.DBox:
        """The bounding box of the region's shapes, else (none) its part's."""
        index = self._index(region)
        if index is not None:
            box = self.assembled.top.dbbox(index)
            if not box.empty():
                return box
        return self.assembled.extents[region[0]]


# ---------------------------------------------------------------- connections
def _connection_markers(connection: Connection, regions: RegionShapes) -> list[Marker]:
    """A marker when no bump of the top region lands on a pad of the bottom one: its
    centre within a pad's bounding box, the boundary included."""
    assert connection.bottom is not None
    top, bottom = connection.top, connection.bottom
    bumps, pads = regions.centres(top), regions.boxes(bottom)
    if len(bumps) and len(pads) and _landing(bumps, pads).any():
        return []
    if not len(bumps):
        why = f"{_name(top)} has no bumps"
    elif not len(pads):
        why = f"{_name(bottom)} has no pads"
    else:
        why = f"none of the {len(bumps)} bumps of {_name(top)} lands on a pad of {_name(bottom)}"
    text = f"connection {connection.name}: {why} [{_parts([top, bottom])}]"
    return [Marker(_between(regions.extent(top), regions.extent(bottom)), None, text)]


def _landing(bumps: np.ndarray, pads: np.ndarray) -> np.ndarray:
    """For each bump centre, whether it lies within the box of its nearest pad centre."""
    return within(bumps, pads[nearest_pads(bumps, pads)])


def nearest_pads(points: np.ndarray, pads: np.ndarray) -> np.ndarray:
    """For each point, the index of the pad (a box row) whose centre is nearest."""
    from scipy.spatial import cKDTree  # here: its import is for bump checks only

    return cKDTree((pads[:, :2] + pads[:, 2:]) / 2).query(points)[1]


def within(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether each point lies in its box (one row each), the boundary included."""
    slack = 1e-9 * max(1.0, float(np.abs(boxes).max())) if len(boxes) else 0.0
    return np.all((points >= boxes[:, :2] - slack) & (points <= boxes[:, 2:] + slack), axis=1)


def _between(first: kdb.DBox, second: kdb.DBox) -> kdb.DBox | kdb.DEdge:
    """Where two regions meet: their common area, else the edge between their centres."""
    common = first & second
    if not common.empty():
        return common
    a, b = first.center(), second.center()
    return kdb.DEdge(a.x, a.y, b.x, b.y)


def _parts(regions: list[Region]) -> str:
    return ", ".join(dict.fromkeys(part for part, _ in regions))


# ---------------------------------------------------------------- the region graph
def region_graph(assembly: Assembly) -> dict[Region, set[Region]]:
    """Each region of the stack with the regions it joins directly (module docstring)."""
    graph: dict[Region, set[Region]] = {}
    for part, chiplet in assembly.chiplets.items():
        for region in chiplet.sides:
            graph.setdefault((part, region), set())
        for first, second in _inside(chiplet):
            _join(graph, (part, first), (part, second))
    for connection in assembly.connections:
        if connection.bottom is not None:
            _join(graph, connection.top, connection.bottom)
    return graph


def _join(graph: dict[Region, set[Region]], first: Region, second: Region) -> None:
    if first != second:
        graph.setdefault(first, set()).add(second)
        graph.setdefault(second, set()).add(first)


def _inside(chiplet: Chiplet) -> list[tuple[str, str]]:
    """The pairs of regions a black-box chiplet joins inside it."""
    by_side: dict[str, list[str]] = {}
    for region, side in chiplet.sides.items():
        by_side.setdefault(side, []).append(region)
    front, back = by_side.get("front", []), by_side.get("back", [])
    inner = by_side.get("internal", []) + by_side.get("internal_ext", [])
    if chiplet.kind == "die":
        joined = list(chiplet.sides) if chiplet.tsv else front
        return [(a, b) for k, a in enumerate(joined) for b in joined[k + 1 :]]
    if chiplet.kind in ("rdl", "substrate"):
        if not inner:
            return [(a, b) for a in front for b in back]
        return [(a, b) for a in front + back for b in inner]
    return []


def _reached(
    graph: dict[Region, set[Region]], start: Region, avoided: set[Region]
) -> dict[Region, Region | None]:
    """Every region reached from ``start`` without entering ``avoided``, each with the
    region it was reached from (breadth first: along a shortest route)."""
    came: dict[Region, Region | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(graph.get(here, ())):
            if there not in came and there not in avoided:
                came[there] = here
                queue.append(there)
    return came


def _route(came: dict[Region, Region | None], end: Region) -> list[Region]:
    route = [end]
    while came[route[-1]] is not None:
        route.append(came[route[-1]])  # type: ignore[arg-type]
    return route[::-1]


# ---------------------------------------------------------------- paths
def _path_markers(
    path: PathAssertion, graph: dict[Region, set[Region]], regions: RegionShapes
) -> list[Marker]:
    required = list(dict.fromkeys((p, r) for p, r, negated in path.entries if not negated))
    avoided = {(p, r) for p, r, negated in path.entries if negated}
    clashing = [region for region in required if region in avoided]
    if clashing:
        return [_clash_marker(path, region, regions) for region in clashing]
    if not required:
        return []
    start = required[0]
    reached = _reached(graph, start, avoided)
    missed = [region for region in required[1:] if region not in reached]
    if not missed:
        return []
    free = _reached(graph, start, set())
    component = sorted(reached)
    markers = []
    for region in missed:
        shape = _link(regions.extent(start), regions.extent(region))
        if region in free:
            through = [r for r in _route(free, region) if r in avoided]
            why = f"{_name(start)} reaches {_name(region)} only through {_listed(through)}, avoided"
        else:
            why = (
                f"{_name(region)} is not reached from {_name(start)}: no connection joins "
                f"{_listed(component)} to {_listed(sorted(_reached(graph, region, avoided)))}"
            )
        parts = _parts([start, region])
        markers.append(Marker(shape, None, f"path {path.name} broken: {why} [{parts}]"))
    return markers


def _clash_marker(path: PathAssertion, region: Region, regions: RegionShapes) -> Marker:
    box = regions.extent(region)
    text = f"path {path.name} broken: {_name(region)} is both required and avoided [{region[0]}]"
    return Marker(box, None, text)


def _link(first: kdb.DBox, second: kdb.DBox) -> kdb.DEdge:
    a, b = first.center(), second.center()
    return kdb.DEdge(a.x, a.y, b.x, b.y)
