"""bump_map: a bump map agrees with the bumps drawn: an entry at every bump, a bump at every entry.

    rule HBM1.MAP "HBM1's bump map against its bumps" : bump_map(HBM1_BUMP, map HBM1_NET) <= 1 um
    rule UB.MAP "the micro-bump map against the micro-bumps" : bump_map(UBUMP, map UBUMP_NET) < 0.5 um

BUMP is the first layer, its shapes the bumps drawn, each its bounding box's
centre (bump arrays are read as arrays). MAP holds the bump map as texts, a
text per entry whose string is the entry's net, at the entry's position: the
net layer an assembly draws from a part's bump map (docs/assembly.md). Texts
on BUMP are the layout's own net labels; texts on a derived layer are none.

- every MAP entry has a bump whose centre is within the tolerance of it (an
  offset exactly at the tolerance passes); otherwise a point at the entry, with
  the distance to the nearest bump (none when BUMP has no shapes): ``map entry
  VDD (MAP) has no BUMP within 1 um``;
- every bump has a MAP entry within the tolerance of its centre; otherwise a
  point at the centre, with the distance to the nearest entry (none when MAP has
  no texts): ``BUMP with no MAP entry within 1 um``;
- every label of BUMP within the tolerance of an entry carries the net of the
  nearest one (among equally near ones, to 1e-12 relative, the first by x, then
  y); otherwise the edge from the label to that entry, with its length:
  ``label VSS (BUMP) disagrees with map entry VDD (MAP)``. A label with no entry
  that near is not compared: its bump, if any, has no entry and is marked so.

Matching is not exclusive: two entries near one bump both pass, as do two
bumps near one entry. The layout holds an entry's net and position, not its
name, so markers name the net."""

from __future__ import annotations

from collections.abc import Sequence

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Marker, layer_param
from adk.checks.polygon import ordered
from adk.lang.model import Constraint, layer_label
from adk.lang.signature import LAYER, MAX, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import passes

# distances this close (relative) are equal: ties between nearest entries
_SAME = 1e-12

SPEC = CheckSpec(
    "bump_map",
    "a bump map against the bumps drawn, and their labels",
    ("bumps",),
    (Prop("offset", Dim.LENGTH, MAX, positive=False, doc="how far from its entry a bump may lie"),),
    (
        Param(
            "map",
            LAYER,
            required=True,
            doc="the bump map's entries: texts of their nets at their positions",
        ),
    ),
    polygon=False,
)

NOT_EXPORTED = "bump centres matched to the nearest text of another layer have no DRC equivalent"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    map_layer = layer_param(check, "map")
    if map_layer is None:
        raise ValueError("bump_map needs 'map LAYER'")
    bump_name, map_name = (layer_label(e, ctx.length_unit) for e in (check.layers[0], map_layer))
    bumps = ctx.bumps(check.layers[0])
    entries, nets = ctx.texts(map_layer)
    labels, label_nets = ctx.texts(check.layers[0])
    within = _within(check.constraints, ctx.length_unit)
    markers = [
        Marker(
            _point(entries[k]),
            distance,
            f"map entry {nets[k]} ({map_name}) has no {bump_name} {within}",
            nets=(nets[k],),
        )
        for k, distance in _unmatched(entries, bumps, check.constraints)
    ]
    markers += [
        Marker(_point(bumps[k]), distance, f"{bump_name} with no {map_name} entry {within}")
        for k, distance in _unmatched(bumps, entries, check.constraints)
    ]
    markers += _disagreeing(
        labels, label_nets, entries, nets, check.constraints, (bump_name, map_name)
    )
    return ordered(markers)


def _unmatched(
    points: np.ndarray, others: np.ndarray, constraints: tuple[Constraint, ...]
) -> list[tuple[int, float | None]]:
    """The points with none of ``others`` within the tolerance: each index with the
    distance to the nearest other, None when there are no others."""
    if not len(others):
        return [(k, None) for k in range(len(points))]
    distance, _ = nearest(points, others)
    off = np.flatnonzero(~passes(constraints, distance))
    return [(k, float(distance[k])) for k in off.tolist()]


def _disagreeing(
    labels: np.ndarray,
    label_nets: Sequence[str],
    entries: np.ndarray,
    nets: Sequence[str],
    constraints: tuple[Constraint, ...],
    names: tuple[str, str],
) -> list[Marker]:
    """An edge from each label to its nearest entry within the tolerance, where their
    nets differ."""
    if not len(labels) or not len(entries):
        return []
    distance, partner = nearest(labels, entries)
    near = np.flatnonzero(passes(constraints, distance))
    label_net, entry_net = (np.array(n, dtype=object) for n in (label_nets, nets))
    markers = []
    for k in near[label_net[near] != entry_net[partner[near]]].tolist():
        entry = int(partner[k])
        (x1, y1), (x2, y2) = labels[k].tolist(), entries[entry].tolist()
        text = f"label {label_nets[k]} ({names[0]}) disagrees with map entry {nets[entry]} ({names[1]})"
        pair = tuple(dict.fromkeys((label_nets[k], nets[entry])))
        markers.append(Marker(kdb.DEdge(x1, y1, x2, y2), float(distance[k]), text, nets=pair))
    return markers


def nearest(points: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distance from each of ``points`` to the nearest of ``others`` (not empty) and its
    index; among equally near ones the first by x, then y (the order of ``others``)."""
    from scipy.spatial import cKDTree  # here: its import is for bump checks only

    tree = cKDTree(others)
    distances, indices = tree.query(points, k=[1, 2])  # no second: infinite
    distance, index = distances[:, 0], indices[:, 0].copy()
    tied = np.flatnonzero(distances[:, 1] <= distance * (1 + _SAME))
    if len(tied):
        found = tree.query_ball_point(points[tied], distance[tied] * (1 + _SAME))
        index[tied] = [min(candidates) for candidates in found]
    return distance, index


def _point(point: np.ndarray) -> kdb.DEdge:
    x, y = point.tolist()
    return kdb.DEdge(x, y, x, y)


def _within(constraints: tuple[Constraint, ...], unit: str) -> str:
    """``within 1 um``: the tightest limit, which every offset that fails breaks."""
    tightest = min(constraints, key=lambda c: (c.limit.value, c.op == "<="))
    words = "within" if tightest.op == "<=" else "nearer than"
    return f"{words} {tightest.limit.format(unit)}"
