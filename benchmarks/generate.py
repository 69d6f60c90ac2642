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

A :class:`Variant` departs from that package in orientation and shape mix: one RDL
layer drawn as vertical buses, dies placed rotated by 90°, a layer where some lines
are drawn as two pieces that overlap or abut, the whole package rotated or mirrored.
The planted violations stay the same, so every variant expects the same markers.

    python benchmarks/generate.py 100k -o /tmp/bench_100k.gds
    python benchmarks/generate.py 100k --vertical RDL2 --orient r90 -o /tmp/bench_v.gds
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import klayout.db as kdb
import numpy as np

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
DENSITY_WINDOW = 1000 * UM  # UB.DEN.W: windows of 1 mm over each die
DENSITY_MIN = 400  # bumps per mm2
BUMP = 20 * UM  # bump octagon, across the flats
FIELD_GAP, DIE_MARGIN = 300 * UM, 500 * UM
DIE_GAP_X, DIE_GAP_Y = 100 * UM, 400 * UM
BRIDGE = (1000 * UM, 400 * UM)
W = 2 * UM  # RDL line width
LINES = 64  # lines per RDL block
SLOT_H = 450 * UM  # RDL block slot height
KOZ_EVERY = 37  # every n-th RDL slot is a keep-out zone
BEVEL = 415  # half-width offset of a 45° bend: keeps 45° parts >= 2 um wide
PLANTED_LINES = (10, 20)  # lines of a straight bundle that carry the width and space violations
ORIENTATIONS = {
    "r0": kdb.Trans.R0,
    "r90": kdb.Trans.R90,
    "r180": kdb.Trans.R180,
    "r270": kdb.Trans.R270,
    "m0": kdb.Trans.M0,
    "m45": kdb.Trans.M45,
    "m90": kdb.Trans.M90,
    "m135": kdb.Trans.M135,
}


@dataclass(frozen=True)
class Variant:
    """How a package departs from the default one; the default values change nothing.

    ``vertical``: the RDL layer drawn as vertical buses (the package's grid of bundles
    turned by 90° about its centre, without the bundles that would meet a keep-out
    zone; the jogs at a place of their own in each bundle). ``touching``: the RDL layer
    on which every ``touch_every``-th line of each bundle is drawn as two pieces, in turn
    abutting and overlapping (merged, they are the line). ``rotate_dies``: every die turned by a
    further 90°. ``orient``: the whole package rotated or mirrored (a key of
    ``ORIENTATIONS``)."""

    overlap_every: int = 0
    vertical: str = ""
    touching: str = ""
    touch_every: int = 10
    rotate_dies: bool = False
    orient: str = "r0"

    def tag(self) -> str:
        """A file name suffix naming what departs from the default; empty for it."""
        parts = []
        if self.overlap_every:
            parts.append(f"overlap{self.overlap_every}")
        if self.vertical:
            parts.append(f"vertical{self.vertical}")
        if self.touching:
            parts.append(f"touching{self.touching}x{self.touch_every}")
        if self.rotate_dies:
            parts.append("diesr90")
        if self.orient != "r0":
            parts.append(self.orient)
        return "".join("_" + part for part in parts)

    def transform(self) -> kdb.Trans:
        """The transformation of the whole package."""
        return kdb.Trans(ORIENTATIONS[self.orient])


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


def line(kind: int, i: int, length: int, jog_shift: int = 0) -> kdb.Polygon:
    """Line ``i`` of a bundle at the origin: straight at 2/2 um, 45° jogs at 6 um pitch
    (2.2 um space across the 45° parts), or square jogs at 2/2 um; the jogs moved
    along the line by ``jog_shift``."""
    if kind == 0:
        return straight(0, length, i * 4 * UM)
    if kind == 1:
        return jog45(0, length // 3 + jog_shift, length, i * 6 * UM, 20 * UM)
    shift = i * 4 * UM
    return jog90(0, length // 2 + 130 * UM - shift + jog_shift, length, shift, 10 * UM)


def pieces(polygon: kdb.Polygon, cut: int, overlap: int) -> list[kdb.Polygon]:
    """``polygon`` cut across at x = ``cut`` into two pieces that overlap by ``overlap``
    (0: they abut)."""
    whole, box = kdb.Region(polygon), polygon.bbox()
    left = whole & kdb.Region(kdb.Box(box.left, box.bottom, cut + overlap, box.top))
    right = whole & kdb.Region(kdb.Box(cut, box.bottom, box.right, box.top))
    return [*left.each(), *right.each()]


def block(
    kind: int, length: int, overlap_every: int = 0, touch_every: int = 0, jog_shift: int = 0
) -> kdb.Region:
    """One bundle of lines at the origin (:func:`line`). ``touch_every``: every n-th line
    drawn as two pieces, cut 60 um before its end (past every jog), in turn abutting
    and overlapping by 10 um."""
    region = kdb.Region()
    for i in range(LINES):
        drawn = line(kind, i, length, jog_shift)
        if touch_every and i % touch_every == touch_every - 1 and i not in PLANTED_LINES:
            overlap = 10 * UM * (i // touch_every % 2)
            for piece in pieces(drawn, length - 60 * UM, overlap):
                region.insert(piece)
        else:
            region.insert(drawn)
        if kind == 0 and overlap_every and i % overlap_every == 0:
            # a line drawn as two overlapping pieces
            region.insert(straight(length - 10 * UM, length + 20 * UM, i * 4 * UM))
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


def _die_placement(c: int, r: int, side: int, rotate: bool) -> kdb.Trans:
    """Where die (c, r) goes: some dies turned by 180°; with ``rotate`` every die turned
    by a further 90° about its place."""
    x, y = c * (side + DIE_GAP_X), r * (side + DIE_GAP_Y)
    half_turn = (c * 7 + r) % 4 == 3
    if not rotate:
        return kdb.Trans(2, False, x + side, y + side) if half_turn else kdb.Trans(x, y)
    return kdb.Trans(3, False, x, y + side) if half_turn else kdb.Trans(1, False, x + side, y)


def generate(bumps: int, variant: Variant | None = None) -> Package:
    """A package with about ``bumps`` micro-bumps and as many RDL lines.

    ``variant``: how it departs from the default package (:class:`Variant`); by default
    no RDL shapes overlap or touch."""
    variant = variant or Variant()
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
            trans = _die_placement(c, r, side, variant.rotate_dies)
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
    bundles, zone_slots = _rdl(package, top, layers, width, height, zones, fields, variant)
    _rdl_violations(package, top, layers, bundles, zone_slots, len(placed))
    if variant.orient != "r0":
        top.transform(variant.transform())  # shapes and instances: the package as a whole
    package.plant("UB.DEN.W", _sparse_windows(layout, top, layers))
    return package


def _window_starts(low: int, high: int, size: int) -> list[int]:
    """Where windows of ``size`` start along an extent: every window side from ``low``,
    the last one at ``high - size`` (adk's grid, ``adk/checks/windows.py``)."""
    if high - low <= size:
        return [low]
    return [*range(low, high - size, size), high - size]


def _sparse_windows(layout: kdb.Layout, top: kdb.Cell, layers: dict[str, int]) -> int:
    """The 1 mm windows over the dies holding fewer bumps than 400 /mm2 ask for, counted
    from every bump's centre as placed (boundaries included). Counted after the package
    is turned: the windows start at each die's lower-left corner, so a turned package
    lays another grid over its bumps and fails another number of windows."""
    centres = []
    shapes = top.begin_shapes_rec(layers["UBUMP"])
    while not shapes.at_end():
        centres.append(shapes.shape().bbox().transformed(shapes.trans()).center())
        shapes.next()
    xs = np.array([c.x for c in centres], dtype=np.int64)
    ys = np.array([c.y for c in centres], dtype=np.int64)
    failing, size = 0, DENSITY_WINDOW
    for die in kdb.Region(top.begin_shapes_rec(layers["DIE"])).each_merged():
        box = die.bbox()
        columns = [(x, min(x + size, box.right)) for x in _window_starts(box.left, box.right, size)]
        rows = [(y, min(y + size, box.top)) for y in _window_starts(box.bottom, box.top, size)]
        in_columns = np.array([(xs >= low) & (xs <= high) for low, high in columns], dtype=np.int64)
        in_rows = np.array([(ys >= low) & (ys <= high) for low, high in rows], dtype=np.int64)
        counts = in_columns @ in_rows.T  # bumps per window, column by row
        areas = np.outer([h - lo for lo, h in columns], [h - lo for lo, h in rows]) / UM**2
        failing += int((counts / areas * 1e6 < DENSITY_MIN).sum())
    return failing


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


@dataclass
class Bundles:
    """Where the RDL bundles of one layer lie: slots in the coordinates of ``frame``
    (the layout's own, or turned by 90° about the package's centre for vertical buses)."""

    slots: list[kdb.Box] = field(default_factory=list)
    frame: kdb.Trans = field(default_factory=kdb.Trans)
    jog_shifts: int = 1  # how many places the jogs take along the lines, bundle by bundle


RING = 2000 * UM  # RDL runs out past the dies by this much
JOG_STEP = 2 * UM  # between the places of the jogs of vertical buses
JOG_SHIFTS = 64  # places of the jogs of vertical buses, 0 to 126 um along the lines


def _slot(c: int, r: int, slot_w: int) -> kdb.Box:
    return kdb.Box(
        c * slot_w - RING, r * SLOT_H - RING, (c + 1) * slot_w - RING, (r + 1) * SLOT_H - RING
    )


def _fill(
    package: Package,
    shapes: kdb.Shapes,
    bundles: Bundles,
    k: int,
    blocks: Callable[[int, int], kdb.Region],
) -> None:
    """Layer number ``k``'s bundles into its slots: the kinds in turn, shifted per layer;
    the jogs in a place that changes from bundle to bundle when there are several."""
    for number, slot in enumerate(bundles.slots):
        kind = (number + k) % 3
        jog_shift = (number * 37) % bundles.jog_shifts * JOG_STEP
        place = bundles.frame * kdb.Trans(slot.left + 50 * UM, slot.bottom + 30 * UM)
        shapes.insert(blocks(kind, jog_shift), kdb.ICplxTrans(place))
        package.rdl_shapes += blocks(kind, jog_shift).count()


def _block_maker(
    length: int, overlap_every: int, touch_every: int
) -> Callable[[int, int], kdb.Region]:
    """:func:`block` of a kind and a jog shift, each made once."""

    @functools.cache
    def made(kind: int, jog_shift: int) -> kdb.Region:
        return block(kind, length, overlap_every, touch_every, jog_shift)

    return made


def _rdl(
    package: Package,
    top: kdb.Cell,
    layers: dict[str, int],
    width: int,
    height: int,
    bump_zones: list[kdb.Box],
    fields: list[kdb.Box],
    variant: Variant,
) -> tuple[dict[str, Bundles], list[kdb.Box]]:
    """RDL blocks on a grid of slots over the package, about one line per bump in all;
    every n-th slot away from the bump fields is an empty keep-out zone instead.
    Returns each layer's bundles and the zones."""
    per_layer = max(LINES, package.bumps // 3)
    rows = max(1, (height + 2 * RING) // SLOT_H)
    needed = -(-per_layer // LINES)
    columns = max(1, -(-needed * KOZ_EVERY // (KOZ_EVERY - 1) // rows))
    slot_w = (width + 2 * RING) // columns
    keep_clear = [zone.enlarged(kdb.Vector(50 * UM, 50 * UM)) for zone in bump_zones]
    koz = top.shapes(layers["KOZ"])
    filled, zones = Bundles(), []
    free = 0  # slots away from the bump fields, candidates for zones
    for number in range(rows * columns):
        slot = _slot(number % columns, number // columns, slot_w)
        free += not any(slot.overlaps(f) for f in fields)
        if free % KOZ_EVERY == KOZ_EVERY // 2 and not any(slot.overlaps(f) for f in fields):
            zone = slot.enlarged(kdb.Vector(-50 * UM, -50 * UM))
            koz.insert(zone)
            zones.append(zone)
            continue
        if len(filled.slots) >= needed or any(slot.overlaps(z) for z in keep_clear):
            continue
        filled.slots.append(slot)
    bundles = dict.fromkeys(RDL, filled)
    if variant.vertical:
        blocked = keep_clear + [zone.enlarged(kdb.Vector(50 * UM, 50 * UM)) for zone in zones]
        bundles[variant.vertical] = _vertical_bundles(width, height, columns, needed, blocked)
    for k, name in enumerate(RDL):
        slot = bundles[name].slots[0]
        touch_every = variant.touch_every if name == variant.touching else 0
        blocks = _block_maker(slot.width() - 100 * UM, variant.overlap_every, touch_every)
        _fill(package, top.shapes(layers[name]), bundles[name], k, blocks)
    return bundles, zones


def _vertical_bundles(
    width: int, height: int, columns: int, needed: int, blocked: list[kdb.Box]
) -> Bundles:
    """``needed`` slots for a layer of vertical buses: the package's grid of slots turned
    by 90° about the package's centre, leaving out every slot that meets ``blocked``,
    with rows beyond the grid as it takes more. Their jogs lie at a place of their own
    in each bundle, as those of routed buses do (horizontal bundles share theirs)."""
    cx, cy = width // 2, height // 2
    bundles = Bundles(frame=kdb.Trans(1, False, cx + cy, cy - cx), jog_shifts=JOG_SHIFTS)
    slot_w = (width + 2 * RING) // columns
    number = 0
    while len(bundles.slots) < needed:
        slot = _slot(number % columns, number // columns, slot_w)
        if not any(slot.transformed(bundles.frame).overlaps(b) for b in blocked):
            bundles.slots.append(slot)
        number += 1
    return bundles


def _rdl_violations(
    package: Package,
    top: kdb.Cell,
    layers: dict[str, int],
    bundles: dict[str, Bundles],
    zones: list[kdb.Box],
    dies: int,
) -> None:
    """Per die and layer: a 1.6 um wide line and a line 0.4 um off its place (1.6 um space)
    in a straight bundle, and a line running into an empty keep-out zone."""
    for k, name in enumerate(RDL):
        shapes, frame = top.shapes(layers[name]), bundles[name].frame
        straight_slots = [s for i, s in enumerate(bundles[name].slots) if (i + k) % 3 == 0]
        for d in range(dies):
            slot = straight_slots[(d * len(straight_slots)) // dies]
            x0, x1, y0 = slot.left + 50 * UM, slot.right - 50 * UM, slot.bottom + 30 * UM
            narrow, shifted = (y0 + line * 4 * UM for line in PLANTED_LINES)
            for old, new in (
                (straight(x0, x1, narrow), straight(x0, x1, narrow, 1600)),
                (straight(x0, x1, shifted), straight(x0, x1, shifted + 400)),
            ):
                _replace(shapes, old.transformed(frame), new.transformed(frame))
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


def add_variant_options(parser: argparse.ArgumentParser) -> None:
    """The command-line options that choose a :class:`Variant`."""
    parser.add_argument(
        "--overlap-every",
        type=int,
        default=0,
        help="draw every n-th straight RDL line as two overlapping pieces",
    )
    parser.add_argument(
        "--vertical", choices=RDL, default="", help="draw this RDL layer as vertical buses"
    )
    parser.add_argument(
        "--touching",
        choices=RDL,
        default="",
        help="on this RDL layer draw every n-th line (--touch-every) as two pieces that "
        "abut or overlap",
    )
    parser.add_argument("--touch-every", type=int, default=10)
    parser.add_argument(
        "--rotate-dies", action="store_true", help="turn every die by a further 90°"
    )
    parser.add_argument(
        "--orient",
        choices=ORIENTATIONS,
        default="r0",
        help="rotate or mirror the whole package (KLayout's names: r90, m45, ...)",
    )


def variant_of(args: argparse.Namespace) -> Variant:
    return Variant(
        overlap_every=args.overlap_every,
        vertical=args.vertical,
        touching=args.touching,
        touch_every=args.touch_every,
        rotate_dies=args.rotate_dies,
        orient=args.orient,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=sorted(SCALES, key=lambda scale: SCALES[scale]))
    parser.add_argument("-o", "--output", required=True, help=".gds or .oas")
    add_variant_options(parser)
    args = parser.parse_args()
    package = generate(SCALES[args.scale], variant_of(args))
    write(package, args.output)
    print(
        f"{args.output}: {package.bumps} bumps, {package.rdl_shapes} RDL shapes, "
        f"expected {package.expected}"
    )


if __name__ == "__main__":
    main()
