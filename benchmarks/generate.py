"""Deterministic synthetic packages for the benchmark, with planted violations.

A package holds a grid of dies (cell instances, some rotated by 180°), each with
four micro-bump fields drawn as cell arrays of one 20 um octagon at 40 um pitch
(one field per die staggered on some dies, one sparse field on a few), silicon
bridges across the gaps between neighbouring dies, three fan-out RDL layers of
flat 2 um lines (straight bundles at 2/2 um, bundles with 45° jogs and bundles
with right-angle jogs, about one line per bump in all), and keep-out zones
(some empty of RDL, some over bump fields).

Planted violations, for every rule of ``bench.adk``, are counted as they are
drawn; :func:`generate` returns the expected marker count per rule.

    python benchmarks/generate.py 100k -o /tmp/bench_100k.gds
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field

import klayout.db as kdb

LAYERS = {
    "DIE": (1, 0),
    "RDL1": (10, 0),
    "RDL2": (11, 0),
    "RDL3": (12, 0),
    "UBUMP": (30, 0),
    "FIELD": (31, 0),
    "BRIDGE": (50, 0),
    "KOZ": (90, 0),
}
RDL = ("RDL1", "RDL2", "RDL3")
SCALES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "4M": 4_000_000}

UM = 1000  # database units per µm (1 nm grid)
PITCH = 40 * UM  # bump pitch
STAGGER = (20 * UM, 35 * UM)  # offset of the second array of a staggered field
SPARSE = 55 * UM  # pitch of a sparse field: 330 bumps/mm2 < 400
BUMP = 20 * UM  # bump octagon, across the flats
FIELD_GAP, DIE_MARGIN = 300 * UM, 500 * UM
DIE_GAP_X, DIE_GAP_Y = 100 * UM, 400 * UM
BRIDGE = (1000 * UM, 400 * UM)
W = 2 * UM  # RDL line width
LINES = 64  # lines per RDL block
SLOT_H = 450 * UM  # RDL block slot height
KOZ_EVERY = 37  # every n-th RDL slot is a keep-out zone
BEVEL = 415  # half-width offset of a 45° bend: keeps 45° parts >= 2 um wide


@dataclass
class Package:
    """What the generator built: the layout and the expected markers per rule."""

    layout: kdb.Layout
    expected: dict[str, int] = field(default_factory=dict)
    bumps: int = 0
    rdl_shapes: int = 0

    def plant(self, rule: str, count: int = 1) -> None:
        self.expected[rule] = self.expected.get(rule, 0) + count


# ---------------------------------------------------------------- shapes
def octagon(diameter: int) -> kdb.Polygon:
    r = diameter / 2 / math.cos(math.pi / 8)
    return kdb.Polygon(
        [
            kdb.Point(
                round(r * math.cos(math.pi / 8 + i * math.pi / 4)),
                round(r * math.sin(math.pi / 8 + i * math.pi / 4)),
            )
            for i in range(8)
        ]
    )


def straight(x0: int, x1: int, y: int, width: int = W) -> kdb.Polygon:
    return kdb.Polygon(kdb.Box(x0, y - width // 2, x1, y + width // 2))


def jog45(x0: int, xb: int, x1: int, y: int, rise: int) -> kdb.Polygon:
    """A line along y from x0, bending up by 45° at xb, rising by ``rise``, on to x1."""
    h, t = W // 2, BEVEL
    return kdb.Polygon(
        [
            kdb.Point(*p)
            for p in (
                (x0, y - h),
                (xb + t, y - h),
                (xb + t + rise, y - h + rise),
                (x1, y - h + rise),
                (x1, y + h + rise),
                (xb - t + rise, y + h + rise),
                (xb - t, y + h),
                (x0, y + h),
            )
        ]
    )


def jog90(x0: int, xb: int, x1: int, y: int, rise: int) -> kdb.Polygon:
    """A line along y from x0, stepping up square at xb by ``rise``, on to x1."""
    h = W // 2
    return kdb.Polygon(
        [
            kdb.Point(*p)
            for p in (
                (x0, y - h),
                (xb + h, y - h),
                (xb + h, y + rise - h),
                (x1, y + rise - h),
                (x1, y + rise + h),
                (xb - h, y + rise + h),
                (xb - h, y + h),
                (x0, y + h),
            )
        ]
    )


def block(kind: int, length: int, overlap_every: int = 0) -> kdb.Region:
    """One bundle of lines at the origin: straight at 2/2 um, 45° jogs at 6 um pitch
    (2.2 um space across the 45° parts), or square jogs at 2/2 um."""
    region = kdb.Region()
    for i in range(LINES):
        if kind == 0:
            region.insert(straight(0, length, i * 4 * UM))
            if overlap_every and i % overlap_every == 0:  # a line drawn as two overlapping pieces
                region.insert(straight(length - 10 * UM, length + 20 * UM, i * 4 * UM))
        elif kind == 1:
            region.insert(jog45(0, length // 3, length, i * 6 * UM, 20 * UM))
        else:
            shift = i * 4 * UM
            region.insert(jog90(0, length // 2 + 130 * UM - shift, length, shift, 10 * UM))
    return region


# ---------------------------------------------------------------- dies
@dataclass(frozen=True)
class DieKind:
    name: str
    staggered: bool = False
    sparse: bool = False


def _field_origins(n: int) -> list[tuple[int, int]]:
    span = n * PITCH + FIELD_GAP
    return [(DIE_MARGIN + i * span, DIE_MARGIN + j * span) for j in range(2) for i in range(2)]


def die_side(n: int) -> int:
    return 2 * n * PITCH + FIELD_GAP + 2 * DIE_MARGIN


def _die_cell(
    layout: kdb.Layout, kind: DieKind, n: int, bump: kdb.Cell, layers: dict[str, int]
) -> tuple[kdb.Cell, int]:
    """A die with four bump fields (field 0 always regular); returns the cell and its bump count."""
    cell = layout.create_cell(kind.name)
    side = die_side(n)
    cell.shapes(layers["DIE"]).insert(kdb.Box(0, 0, side, side))
    count = 0
    for number, (x, y) in enumerate(_field_origins(n)):
        size = n * PITCH
        cell.shapes(layers["FIELD"]).insert(kdb.Box(x, y, x + size, y + size))
        if kind.staggered and number == 3:
            step, rows = (PITCH, 2 * STAGGER[1]), size // (2 * STAGGER[1])
            for dx, dy in ((STAGGER[0], STAGGER[1] // 2), (2 * STAGGER[0], 3 * STAGGER[1] // 2)):
                cell.insert(
                    kdb.CellInstArray(
                        bump.cell_index(),
                        kdb.Trans(x + dx, y + dy),
                        kdb.Vector(step[0], 0),
                        kdb.Vector(0, step[1]),
                        n - 1,
                        rows,
                    )
                )
                count += (n - 1) * rows
        else:
            pitch = SPARSE if kind.sparse and number == 1 else PITCH
            m = size // pitch
            cx, cy = x + pitch // 2, y + pitch // 2
            cell.insert(
                kdb.CellInstArray(
                    bump.cell_index(),
                    kdb.Trans(cx, cy),
                    kdb.Vector(pitch, 0),
                    kdb.Vector(0, pitch),
                    m,
                    m,
                )
            )
            count += m * m
    return cell, count


def _die_kind(c: int, r: int, cols: int, rows: int) -> DieKind:
    if (c, r) == (cols - 1, rows - 1) or (c + 3 * r) % 8 == 5:
        return DieKind("DIE_SPARSE", sparse=True)
    return DieKind("DIE_STAGGERED", staggered=True) if (c + r) % 3 == 1 else DieKind("DIE_A")


# ---------------------------------------------------------------- package
def _grid(bumps: int) -> tuple[int, int]:
    """Dies per side and bumps per field side for about ``bumps`` bumps."""
    dies = 2 if bumps <= 100_000 else max(4, round(math.sqrt(bumps / 62_500)))
    return dies, max(5, round(math.sqrt(bumps / dies**2 / 4)))


def generate(bumps: int, overlap_every: int = 0) -> Package:
    """A package with about ``bumps`` micro-bumps and as many RDL lines.

    ``overlap_every``: draw every n-th line of the straight bundles as two overlapping
    pieces (0: no RDL shapes overlap or touch)."""
    layout = kdb.Layout()
    layout.dbu = 1.0 / UM
    layers = {name: layout.layer(*spec) for name, spec in LAYERS.items()}
    package = Package(layout)
    top = layout.create_cell("BENCH_TOP")
    bump = layout.create_cell("UBUMP20")
    bump.shapes(layers["UBUMP"]).insert(octagon(BUMP))
    dies, n = _grid(bumps)
    side = die_side(n)
    kinds: dict[str, tuple[kdb.Cell, int]] = {}
    placed: list[kdb.Trans] = []
    for r in range(dies):
        for c in range(dies):
            kind = _die_kind(c, r, dies, dies)
            if kind.name not in kinds:
                kinds[kind.name] = _die_cell(layout, kind, n, bump, layers)
            cell, count = kinds[kind.name]
            x, y = c * (side + DIE_GAP_X), r * (side + DIE_GAP_Y)
            trans = (
                kdb.Trans(2, False, x + side, y + side) if (c * 7 + r) % 4 == 3 else kdb.Trans(x, y)
            )
            top.insert(kdb.CellInstArray(cell.cell_index(), trans))
            placed.append(trans)
            package.bumps += count
            package.plant("UB.DEN", int(kind.sparse))
    _bridges(package, top, layers, dies, side)
    zones = _bump_keepouts(package, top, layers, placed, n)
    _pitch_violations(package, top, bump, placed, n)
    fields = [
        kdb.Box(
            x - 100 * UM, y - 100 * UM, x + n * PITCH + 100 * UM, y + n * PITCH + 100 * UM
        ).transformed(trans)
        for trans in placed
        for x, y in _field_origins(n)
    ]
    fields.append(kdb.Box(0, 0, 400 * UM, 400 * UM).transformed(placed[0]))
    width = dies * side + (dies - 1) * DIE_GAP_X
    height = dies * side + (dies - 1) * DIE_GAP_Y
    slots, zone_slots = _rdl(package, top, layers, width, height, zones, fields, overlap_every)
    _rdl_violations(package, top, layers, slots, zone_slots, len(placed))
    return package


def _bridges(package: Package, top: kdb.Cell, layers: dict[str, int], dies: int, side: int) -> None:
    """Two bridges across each horizontal die gap; on the first gap of each row one
    shifted to a 150 um overlap, and one more bridge on a single die."""
    shapes = top.shapes(layers["BRIDGE"])
    length, height = BRIDGE
    for r in range(dies):
        y0 = r * (side + DIE_GAP_Y)
        for c in range(dies - 1):
            gap = (c + 1) * side + c * DIE_GAP_X
            for k, y in enumerate((y0 + side // 4, y0 + 3 * side // 4 - height)):
                shift = 300 * UM if (c, k) == (0, 1) else 0  # left overlap 150 um
                left = gap - (length - DIE_GAP_X) // 2 + shift
                shapes.insert(kdb.Box(left, y, left + length, y + height))
                package.plant("BR.PL", int(shift > 0))
    shapes.insert(kdb.Box(-length // 2, side // 2, length // 2, side // 2 + height))
    package.plant("BR.PL")  # on one die only


def _bump_keepouts(
    package: Package, top: kdb.Cell, layers: dict[str, int], placed: list[kdb.Trans], n: int
) -> list[kdb.Box]:
    """A keep-out zone over 3 x 3 bumps at a corner of field 0 of every fourth die."""
    zones = []
    x, y = _field_origins(n)[0]
    low = PITCH // 2 - 15 * UM
    local = kdb.Box(x + low, y + low, x + low + 2 * PITCH + 30 * UM, y + low + 2 * PITCH + 30 * UM)
    for trans in placed[::4]:
        zone = local.transformed(trans)
        top.shapes(layers["KOZ"]).insert(zone)
        zones.append(zone)
        package.plant("KOZ.UB", 9)
    return zones


def _pitch_violations(
    package: Package, top: kdb.Cell, bump: kdb.Cell, placed: list[kdb.Trans], n: int
) -> None:
    """A bump 30 um from the corner bump of field 2 of each die, and a 5 x 5 array at
    30 um pitch in the margin of the first die (40 pairs)."""
    x, y = _field_origins(n)[2]
    corner = kdb.Point(x + PITCH // 2, y + PITCH // 2)
    for trans in placed:
        at = trans * (corner - kdb.Vector(30 * UM, 0))
        top.insert(kdb.CellInstArray(bump.cell_index(), kdb.Trans(at.x, at.y)))
        package.bumps += 1
        package.plant("UB.P")
    at = placed[0] * kdb.Point(100 * UM, 100 * UM)
    top.insert(
        kdb.CellInstArray(
            bump.cell_index(),
            kdb.Trans(at.x, at.y),
            kdb.Vector(30 * UM, 0),
            kdb.Vector(0, 30 * UM),
            5,
            5,
        )
    )
    package.bumps += 25
    package.plant("UB.P", 40)


def _rdl(
    package: Package,
    top: kdb.Cell,
    layers: dict[str, int],
    width: int,
    height: int,
    bump_zones: list[kdb.Box],
    fields: list[kdb.Box],
    overlap_every: int,
) -> tuple[list[kdb.Box], list[kdb.Box]]:
    """RDL blocks on a grid of slots over the package, about one line per bump in all;
    every n-th slot away from the bump fields is an empty keep-out zone instead.
    Returns the filled slots and the zones."""
    per_layer = max(LINES, package.bumps // 3)
    ring = 2000 * UM  # RDL runs out past the dies by this much
    rows = max(1, (height + 2 * ring) // SLOT_H)
    needed = -(-per_layer // LINES)
    columns = max(1, -(-needed * KOZ_EVERY // (KOZ_EVERY - 1) // rows))
    slot_w = (width + 2 * ring) // columns
    length = slot_w - 100 * UM
    blocks = [block(kind, length, overlap_every) for kind in range(3)]
    keep_clear = [zone.enlarged(kdb.Vector(50 * UM, 50 * UM)) for zone in bump_zones]
    koz = top.shapes(layers["KOZ"])
    filled, zones = [], []
    free = 0  # slots away from the bump fields, candidates for zones
    for number in range(rows * columns):
        c, r = number % columns, number // columns
        slot = kdb.Box(
            c * slot_w - ring, r * SLOT_H - ring, (c + 1) * slot_w - ring, (r + 1) * SLOT_H - ring
        )
        free += not any(slot.overlaps(f) for f in fields)
        if free % KOZ_EVERY == KOZ_EVERY // 2 and not any(slot.overlaps(f) for f in fields):
            zone = slot.enlarged(kdb.Vector(-50 * UM, -50 * UM))
            koz.insert(zone)
            zones.append(zone)
            continue
        if len(filled) >= needed or any(slot.overlaps(z) for z in keep_clear):
            continue
        for k, name in enumerate(RDL):
            kind = (len(filled) + k) % 3
            top.shapes(layers[name]).insert(
                blocks[kind], kdb.Trans(slot.left + 50 * UM, slot.bottom + 30 * UM)
            )
            package.rdl_shapes += blocks[kind].count()
        filled.append(slot)
    return filled, zones


def _rdl_violations(
    package: Package,
    top: kdb.Cell,
    layers: dict[str, int],
    slots: list[kdb.Box],
    zones: list[kdb.Box],
    dies: int,
) -> None:
    """Per die and layer: a 1.6 um wide line and a line 0.4 um off its place (1.6 um space)
    in a straight bundle, and a line running into an empty keep-out zone."""
    for k, name in enumerate(RDL):
        shapes = top.shapes(layers[name])
        straight_slots = [s for i, s in enumerate(slots) if (i + k) % 3 == 0]
        for d in range(dies):
            slot = straight_slots[(d * len(straight_slots)) // dies]
            x0, x1, y0 = slot.left + 50 * UM, slot.right - 50 * UM, slot.bottom + 30 * UM
            narrow, shifted = y0 + 10 * 4 * UM, y0 + 20 * 4 * UM
            _replace(shapes, straight(x0, x1, narrow), straight(x0, x1, narrow, 1600))
            _replace(shapes, straight(x0, x1, shifted), straight(x0, x1, shifted + 400))
            package.plant(f"{name}.W")
            package.plant(f"{name}.S")
            zone = zones[d % len(zones)]
            y = zone.bottom + (10 + 10 * (3 * (d // len(zones)) + k)) * UM
            shapes.insert(straight(zone.left - 40 * UM, zone.left + 60 * UM, y))
            package.plant("KOZ.RDL")
            package.rdl_shapes += 1


def _replace(shapes: kdb.Shapes, old: kdb.Polygon, new: kdb.Polygon) -> None:
    """Replace the flat shape equal to ``old`` by ``new``."""
    for shape in shapes.each_overlapping(old.bbox()):
        if shape.polygon == old:
            shapes.erase(shape)
            shapes.insert(new)
            return
    raise ValueError(f"no shape {old} to replace")


def write(package: Package, path: str) -> None:
    options = kdb.SaveLayoutOptions()
    options.format = "OASIS" if path.lower().endswith((".oas", ".oas.gz")) else "GDS2"
    package.layout.write(path, options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=sorted(SCALES, key=SCALES.get))
    parser.add_argument("-o", "--output", required=True, help=".gds or .oas")
    parser.add_argument(
        "--overlap-every",
        type=int,
        default=0,
        help="draw every n-th straight line as two overlapping pieces",
    )
    args = parser.parse_args()
    package = generate(SCALES[args.scale], args.overlap_every)
    write(package, args.output)
    print(
        f"{args.output}: {package.bumps} bumps, {package.rdl_shapes} RDL shapes, "
        f"expected {package.expected}"
    )


if __name__ == "__main__":
    main()
