"""Drawing example assemblies: parts as their teams draw them, each in its own layout.

A die is drawn in its own coordinates, as seen from its face; its carrier's pads are put
where the die's bumps land, through the placement the assembly file gives the die. That
placement is worked out here by plain arithmetic, the semantics docs/assembly.md states
(face down: x -> -x; then quarter turns counter-clockwise; then the offset), not through
:mod:`adk.assembly`, so an example that passes also checks the builder's transforms.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import klayout.db as kdb

DBU = 0.001
LAYERS = {"outline": (1, 0), "rdl": (10, 0), "pad": (20, 0), "bump": (30, 0), "c4": (35, 0)}
Point = tuple[float, float]
NetOf = Callable[[int, int], str]  # a bump's net by its column and row in its field


@dataclass(frozen=True)
class Where:
    """A part's placement on its carrier, as the assembly file writes it."""

    offset: Point = (0.0, 0.0)
    rotation: int = 0
    face: str = "up"
    on: str = "package"

    def to_carrier(self, point: Point) -> Point:
        x, y = point
        if self.face == "down":
            x = -x
        for _ in range(self.rotation // 90):
            x, y = -y, x
        return (x + self.offset[0], y + self.offset[1])

    def from_carrier(self, point: Point) -> Point:
        x, y = point[0] - self.offset[0], point[1] - self.offset[1]
        for _ in range(self.rotation // 90):
            x, y = y, -x
        return (-x if self.face == "down" else x, y)


@dataclass(frozen=True)
class Field:
    """A regular field of bumps in the part's own coordinates: the first centre, the
    counts along x and y and the step; ``size`` is the bump's or pad's width."""

    name: str
    origin: Point
    counts: tuple[int, int]
    step: float
    size: float
    nets: NetOf

    def centres(self) -> list[tuple[int, int, Point]]:
        (x, y), (nx, ny) = self.origin, self.counts
        return [
            (i, j, (x + i * self.step, y + j * self.step)) for j in range(ny) for i in range(nx)
        ]


@dataclass
class PartDrawing:
    """One part: its layout file, its outline and bump fields in its own coordinates, its
    placement, and pads (own coordinates) with their nets, added as dies land on it."""

    name: str
    file: str
    top: str
    outline: tuple[float, float, float, float]
    where: Where
    bumps: list[Field] = field(default_factory=list)
    c4: list[Field] = field(default_factory=list)
    pads: list[tuple[Point, float, str]] = field(default_factory=list)
    wires: list[tuple[Point, Point]] = field(default_factory=list)
    # bump map files: by the layer each describes, or "" for one of every bump and pad
    bump_maps: dict[str, str] = field(default_factory=dict)
    swapped: tuple[str, str] | None = None  # two bumps whose nets the bump maps swap


def to_package(parts: dict[str, PartDrawing], name: str, point: Point) -> Point:
    """A point of a part's own coordinates in the package, down the stack."""
    while name != "package":
        point = parts[name].where.to_carrier(point)
        name = parts[name].where.on
    return point


def from_package(parts: dict[str, PartDrawing], name: str, point: Point) -> Point:
    chain = []
    while name != "package":
        chain.append(name)
        name = parts[name].where.on
    for part in reversed(chain):
        point = parts[part].where.from_carrier(point)
    return point


def land(
    parts: dict[str, PartDrawing], die: str, carrier: str, inside: Callable[[Point], bool]
) -> None:
    """Pads on ``carrier`` under each bump of ``die`` whose package position passes
    ``inside``, with the bump's net and a pad a little larger than the bump."""
    drawing = parts[die]
    for bumps in drawing.bumps:
        for i, j, centre in bumps.centres():
            at = to_package(parts, die, centre)
            if inside(at):
                local = from_package(parts, carrier, at)
                parts[carrier].pads.append((local, bumps.size * 1.2, bumps.nets(i, j)))


def in_box(box: tuple[float, float, float, float]) -> Callable[[Point], bool]:
    left, bottom, right, top = box
    return lambda p: left <= p[0] <= right and bottom <= p[1] <= top


def package_box(parts: dict[str, PartDrawing], name: str) -> tuple[float, float, float, float]:
    """A part's outline in the package."""
    left, bottom, right, top = parts[name].outline
    corners = [to_package(parts, name, p) for p in ((left, bottom), (right, top))]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))


# ---------------------------------------------------------------- nets
def d2d_nets(prefix: str) -> NetOf:
    """A die-to-die field: a ground column first, then one signal per bump."""
    return lambda i, j: "VSS" if i == 0 else f"{prefix}{j * 100 + i}"


def power_nets(i: int, j: int) -> str:
    return "VDD" if (i + j) % 2 else "VSS"


# ---------------------------------------------------------------- writing
def layout_of(drawing: PartDrawing) -> kdb.Layout:
    """The part's layout: its outline, bump fields as arrays of a bump cell, pads as
    boxes, a few wires."""
    layout = kdb.Layout()
    layout.dbu = DBU
    index = {name: layout.layer(*numbers) for name, numbers in LAYERS.items()}
    top = layout.create_cell(drawing.top)
    top.shapes(index["outline"]).insert(_box(*drawing.outline))
    for layer, fields in (("bump", drawing.bumps), ("c4", drawing.c4)):
        for bumps in fields:
            _field_array(layout, top, index[layer], bumps)
    cells: dict[float, kdb.Cell] = {}
    for (x, y), size, _ in drawing.pads:
        if size not in cells:
            cells[size] = layout.create_cell(f"PAD{size:g}")
            cells[size].shapes(index["pad"]).insert(_box(-size / 2, -size / 2, size / 2, size / 2))
        top.insert(kdb.CellInstArray(cells[size].cell_index(), kdb.Trans(_vector(x, y))))
    for start, end in drawing.wires:
        path = kdb.DPath([kdb.DPoint(*start), kdb.DPoint(*end)], 2.0)
        top.shapes(index["rdl"]).insert(path.polygon().to_itype(DBU))
    return layout


def _field_array(layout: kdb.Layout, top: kdb.Cell, layer: int, bumps: Field) -> None:
    name = f"BUMP{bumps.size:g}"
    cell = layout.cell(name) or layout.create_cell(name)
    if cell.shapes(layer).is_empty():
        cell.shapes(layer).insert(_octagon(bumps.size))
    step = bumps.step
    array = kdb.CellInstArray(
        cell.cell_index(),
        kdb.Trans(_vector(*bumps.origin)),
        _vector(step, 0),
        _vector(0, step),
        *bumps.counts,
    )
    top.insert(array)


def bump_map_text(drawing: PartDrawing, layer: str = "") -> str:
    """A bump map of the part, in its own coordinates: of the bumps of ``layer`` (bump,
    c4, pad), or of all of them."""
    rows = []
    for name, fields in (("bump", drawing.bumps), ("c4", drawing.c4)):
        for bumps in fields if layer in ("", name) else ():
            rows += [
                (f"{bumps.name}_{i}_{j}", bumps.nets(i, j), x, y)
                for i, j, (x, y) in bumps.centres()
            ]
    if layer in ("", "pad"):
        rows += [(f"P{k}", net, x, y) for k, ((x, y), _, net) in enumerate(drawing.pads)]
    if drawing.swapped is not None:
        rows = _swap(rows, *drawing.swapped)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("name", "net", "x", "y"))
    writer.writerows((name, net, f"{x:.3f}", f"{y:.3f}") for name, net, x, y in rows)
    return out.getvalue()


def _swap(rows: list[tuple[str, str, float, float]], first: str, second: str) -> list:
    nets = {name: net for name, net, _, _ in rows}
    if first not in nets:
        return rows  # another of the part's bump maps
    swapped = {first: nets[second], second: nets[first]}
    return [(n, swapped.get(n, net), x, y) for n, net, x, y in rows]


def without_top_row(bumps: Field) -> Field:
    return replace(bumps, counts=(bumps.counts[0], bumps.counts[1] - 1))


def _vector(x: float, y: float) -> kdb.Vector:
    return kdb.DVector(x, y).to_itype(DBU)


def _box(x1: float, y1: float, x2: float, y2: float) -> kdb.Box:
    return kdb.DBox(x1, y1, x2, y2).to_itype(DBU)


def _octagon(diameter: float) -> kdb.Polygon:
    """A regular octagon centred on the origin, flat sides ``diameter`` apart."""
    half, corner = diameter / 2, diameter / 2 * math.tan(math.pi / 8)
    points = [(half, -corner), (half, corner), (corner, half), (-corner, half)]
    points += [(-x, -y) for x, y in points]
    return kdb.DPolygon([kdb.DPoint(x, y) for x, y in points]).to_itype(DBU)
