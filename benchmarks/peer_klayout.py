"""The benchmark deck written for KLayout itself, with the klayout Python module's Region API.

Modes: ``flat`` (merged flat regions), ``deep`` (hierarchical regions in a deep shape
store) and ``unmerged`` (flat, RDL and bumps not merged: correct only when no shapes
of a layer overlap or touch). Prints one JSON object: marker count per rule id.

    python benchmarks/peer_klayout.py LAYOUT MODE
"""

from __future__ import annotations

import json
import math
import sys

import klayout.db as kdb
from generate import LAYERS, RDL

LIMIT = 2.0  # RDL width and space, um
PITCH = 36.0  # minimum bump pitch, um
DENSITY = 400e-6  # minimum bumps per um2
OVERLAP = 200.0  # minimum bridge overlap on a die, um


def regions(
    layout: kdb.Layout, top: kdb.Cell, mode: str, store: kdb.DeepShapeStore | None
) -> dict[str, kdb.Region]:
    result = {}
    for name, (layer, datatype) in LAYERS.items():
        shapes = top.begin_shapes_rec(layout.layer(layer, datatype))
        region = kdb.Region(shapes, store) if store is not None else kdb.Region(shapes)
        if mode == "unmerged" and name in RDL + ("UBUMP",):
            region.merged_semantics = False
        result[name] = region
    return result


def check(layout: kdb.Layout, top: kdb.Cell, mode: str) -> dict[str, int]:
    """Marker count per rule of ``bench.adk``."""
    dbu = layout.dbu
    store = kdb.DeepShapeStore() if mode == "deep" else None  # must outlive the regions
    r = regions(layout, top, mode, store)
    counts = {}
    limit = round(LIMIT / dbu)
    for name in RDL:
        counts[f"{name}.W"] = distinct(r[name].width_check(limit))
        counts[f"{name}.S"] = distinct(r[name].space_check(limit))
    counts["KOZ.RDL"] = distinct((r["RDL1"] + r["RDL2"] + r["RDL3"]) & r["KOZ"])
    counts["KOZ.UB"] = distinct(r["UBUMP"] & r["KOZ"])
    # bump centres as 2 x 2 dbu boxes: centre distance < pitch <=> box space < pitch - 2 dbu
    centres = _centres(r["UBUMP"])
    counts["UB.P"] = distinct(centres.space_check(round(PITCH / dbu) - 2))
    counts["UB.DEN"] = _density(r["FIELD"], centres, dbu)
    counts["BR.PL"] = _bridges(r["BRIDGE"], r["DIE"], dbu)
    return counts


def distinct(markers: kdb.Region | kdb.EdgePairs) -> int:
    """Markers counted once each: deep mode reports a pair seen from two cells twice."""
    return len({str(marker) for marker in markers.each()})


def _centres(bumps: kdb.Region) -> kdb.Region:
    """A 2 x 2 dbu box at the centre of each bump's bounding box."""
    boxes = bumps.extents()
    boxes.merged_semantics = bumps.merged_semantics
    return boxes.sized(-(round(_bump_size(bumps) / 2) - 1))


def _bump_size(bumps: kdb.Region) -> int:
    first = next(iter(bumps.each()), None)
    return first.bbox().width() if first is not None else 2


def _density(fields: kdb.Region, centres: kdb.Region, dbu: float) -> int:
    """Fields holding fewer bumps than the density asks for, grouped by field area."""
    areas = sorted({polygon.area() for polygon in fields.each()})
    failing = 0
    for area in areas:
        group = fields.with_area(area, area + 1, False)
        needed = math.ceil(DENSITY * area * dbu * dbu - 1e-9)
        failing += group.interacting(centres, 1, needed - 1).count()
        failing += group.not_interacting(centres).count()
    return failing


def _bridges(bridges: kdb.Region, dies: kdb.Region, dbu: float) -> int:
    """Bridges not over exactly two dies, and landings shorter than the overlap limit
    along the bridge's long side."""
    wrong = bridges.not_overlapping(dies).count() + bridges.overlapping(dies, 1, 1).count()
    wrong += bridges.overlapping(dies, 3).count()
    limit = round(OVERLAP / dbu)
    across = bridges.with_relative_height(0, 1.0, False)  # wider than high: along x
    along = bridges - across
    wrong += (across & dies).with_bbox_width(0, limit, False).count()
    wrong += (along & dies).with_bbox_height(0, limit, False).count()
    return wrong


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    layout = kdb.Layout()
    layout.read(path)
    print(json.dumps(check(layout, layout.top_cell(), mode)))


if __name__ == "__main__":
    main()
