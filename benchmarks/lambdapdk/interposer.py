"""Generated interposers for a lambdapdk stackup: a clean routed array with a planted
violation of every rule of the stackup's deck at known places.

    python benchmarks/lambdapdk/interposer.py 3ML_0400 --shapes 1M -o /tmp/ip.gds

The array is a grid of via stacks: on every metal a landing pad (1.5 wiring widths square)
at each grid point, the pads joined in pairs by a wire of the wiring width along the
metal's direction (a wire from a via up to a via down, as routing changes layers), a fill
square (datatype 30) between the rows, a pin (datatype 10) over every fifth pad of metal1 and
of the top metal, and a via of the nominal size at every pad on every via layer. Everything
in it sits at a rule's limit or clear of it: wires at the minimum width, vias at the nominal
size and exactly the minimum enclosure. All shapes are flat in the top cell, as routed
wiring is.

The planted sites lie beside the array, each alone in a square of its own: for every metal
a vertex 1 nm off the grid, a line one grid step too narrow, two lines one grid step too
close, a plate one grid step too wide (metals with a maximum) and a line in the 1 um band
inside the outline; for every via one off the grid, one in the band, one too small, one
too large, one 0.2 x 0.4 um (a via the wiring width long), two too close, and per metal it
joins one without that metal, one sticking out of it and one enclosed one grid step too
little. On metal1 three more read the pin and fill datatypes: a pin too narrow, a fill
square too close to a drawn line, a drawn plate and a pin that merge too wide. Next to them
clean spots at each limit (a line exactly at the minimum width and space, a plate exactly
5 um wide, vias exactly at the minimum space, shapes touching the band from inside).
Each site records the rules whose markers must cover it (``expect``) and the rules it
exercises without breaking (``pass``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import klayout.db as kdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lambdapdk.stackups import (
    DRAWN,
    FILL,
    GRID,
    MARGIN,
    OUTLINE,
    PIN,
    Metal,
    Stackup,
    Via,
    stackup,
)

DBU = 0.001  # um: coordinates below are in nm
ANNOTATION = (255, 0)
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Mark:
    """A planted spot: where ``rule`` must fire (``expect``) or is exercised clean (``pass``)."""

    kind: str
    rule: str
    x: float  # um
    y: float
    site: str  # what was planted there, such as "via1 long" (0.2 x 0.4 um on 3ML_0400)


@dataclass
class Interposer:
    layout: kdb.Layout
    marks: list[Mark] = field(default_factory=list)
    shapes: int = 0

    def expected(self) -> list[Mark]:
        return [mark for mark in self.marks if mark.kind == "expect"]


class Drawer:
    """Boxes on a stackup's layers, counted, and the marks of the sites drawn."""

    def __init__(self, stack: Stackup, pins_fill: bool):
        self.stack = stack
        self.pins_fill = pins_fill
        self.layout = kdb.Layout()
        self.layout.dbu = DBU
        self.top = self.layout.create_cell("INTERPOSER")
        self.numbers = {layer.name: layer.number for layer in stack.layers()}
        self.numbers["outline"] = OUTLINE[0]
        self.shapes: dict[tuple[str, int], kdb.Shapes] = {}
        self.count = 0
        self.marks: list[Mark] = []

    def box(self, layer: str, box: Box, datatype: int = DRAWN) -> None:
        key = (layer, datatype)
        if key not in self.shapes:
            number = self.numbers[layer]
            data = OUTLINE[1] if layer == "outline" else datatype
            self.shapes[key] = self.top.shapes(self.layout.layer(number, data))
        self.shapes[key].insert(kdb.Box(*box))
        self.count += 1

    def mark(self, kind: str, rule: str, x: float, y: float, site: str) -> None:
        self.marks.append(Mark(kind, rule, round(x * DBU, 4), round(y * DBU, 4), site))


# ---------------------------------------------------------------- the clean array
def pitch(stack: Stackup) -> int:
    """The array's grid step: six wiring widths, so fill fits between the rows."""
    return 6 * stack.wire


def unit_shapes(stack: Stackup) -> float:
    """Shapes per grid point: a pad, half a wire and a fill square on each metal, a via per
    via layer, pins."""
    return 2.5 * len(stack.metals) + len(stack.vias) + 2 / 5


def units_for(stack: Stackup, shapes: int) -> int:
    """Grid points along each side for about ``shapes`` shapes in all."""
    return max(2, math.ceil(math.sqrt(shapes / unit_shapes(stack))))


def draw_array(draw: Drawer, n: int) -> Box:
    """An n x n array of via stacks from the origin; its bounding box."""
    stack, step = draw.stack, pitch(draw.stack)
    for metal in stack.metals:
        _metal_array(draw, metal, n, step)
    for via in stack.vias:
        half = via.size // 2
        for i in range(n):
            for j in range(n):
                draw.box(via.name, _around(i * step, j * step, half))
    pad = 3 * stack.wire // 4
    return (-pad, -pad, (n - 1) * step + pad, (n - 1) * step + pad)


def _metal_array(draw: Drawer, metal: Metal, n: int, step: int) -> None:
    w, pad = metal.width, 3 * metal.width // 4
    pins = metal is draw.stack.metals[0] or metal is draw.stack.metals[-1]
    for i in range(n):
        for j in range(n):
            x, y = i * step, j * step
            draw.box(metal.name, (x - pad, y - pad, x + pad, y + pad))
            if pins and draw.pins_fill and (i + j) % 5 == 0:
                draw.box(metal.name, (x - pad, y - pad, x + pad, y + pad), PIN)
            if metal.horizontal and i % 2 == 0 and i + 1 < n:
                draw.box(metal.name, (x, y - w // 2, x + step, y + w // 2))
            if not metal.horizontal and j % 2 == 0 and j + 1 < n:
                draw.box(metal.name, (x - w // 2, y, x + w // 2, y + step))
            if draw.pins_fill and i + 1 < n and j + 1 < n:
                cx, cy = x + step // 2, y + step // 2
                draw.box(metal.name, (cx - w, cy - w, cx + w, cy + w), FILL)


# ---------------------------------------------------------------- planted sites
# A site draws itself around (x, y) and marks the rules it must break or passes.
Site = Callable[[Drawer, int, int], None]


def metal_sites(metal: Metal, first: bool) -> list[Site]:
    sites = [_off_grid(metal), _too_narrow(metal), _too_close(metal), _at_limits(metal)]
    if metal.max_width is not None:
        sites += [_too_wide(metal), _widest(metal)]
    if first:
        sites += [_pin_too_narrow(metal), _fill_too_close(metal), _pin_merges_too_wide(metal)]
    return sites


def _off_grid(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 4 * w + 1, y + 2 * w))
        for corner in (y, y + 2 * w):
            draw.mark("expect", f"{name}.ongrid", x + 4 * w + 1, corner, f"{name} vertex off grid")
        draw.mark("pass", f"{name}.ongrid", x, y, f"{name} vertex on grid")

    return site


def _too_narrow(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 5 * w, y + w - GRID))
        draw.mark("expect", f"{name}.min_width", x + 2.5 * w, y + (w - GRID) / 2, f"{name} narrow")

    return site


def _too_close(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 5 * w, y + w))
        draw.box(name, (x, y + 2 * w - GRID, x + 5 * w, y + 3 * w - GRID))
        gap = y + w + (w - GRID) / 2
        draw.mark("expect", f"{name}.min_space", x + 2.5 * w, gap, f"{name} close")

    return site


def _at_limits(metal: Metal) -> Site:
    """Two lines exactly at the minimum width, exactly the minimum space apart."""

    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 5 * w, y + w))
        draw.box(name, (x, y + 2 * w, x + 5 * w, y + 3 * w))
        draw.mark("pass", f"{name}.min_width", x + 2.5 * w, y + w / 2, f"{name} at min width")
        draw.mark("pass", f"{name}.min_space", x + 2.5 * w, y + 1.5 * w, f"{name} at min space")

    return site


def _too_wide(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        assert metal.max_width is not None
        wide = metal.max_width + GRID
        draw.box(metal.name, (x, y, x + wide, y + 8000))
        draw.mark("expect", f"{metal.name}.max_width", x + wide / 2, y + 4000, f"{metal.name} wide")

    return site


def _widest(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        assert metal.max_width is not None
        draw.box(metal.name, (x, y, x + metal.max_width, y + 8000))
        mid = (x + metal.max_width / 2, y + 4000)
        draw.mark("pass", f"{metal.name}.max_width", *mid, f"{metal.name} at max width")

    return site


def _pin_too_narrow(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 5 * w, y + w - GRID), PIN)
        draw.mark("expect", f"{name}.min_width", x + 2.5 * w, y + (w - GRID) / 2, f"{name} pin")

    return site


def _fill_too_close(metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        w, name = metal.width, metal.name
        draw.box(name, (x, y, x + 5 * w, y + w))
        draw.box(name, (x, y + 2 * w - GRID, x + 2 * w, y + 4 * w - GRID), FILL)
        gap = y + w + (w - GRID) / 2
        draw.mark("expect", f"{name}.min_space", x + w, gap, f"{name} fill to line")

    return site


def _pin_merges_too_wide(metal: Metal) -> Site:
    """A drawn plate and a pin 3 um wide each, overlapping into one 5.5 um plate."""

    def site(draw: Drawer, x: int, y: int) -> None:
        name = metal.name
        draw.box(name, (x, y, x + 3000, y + 8000))
        draw.box(name, (x + 2500, y, x + 5500, y + 8000), PIN)
        draw.mark("expect", f"{name}.max_width", x + 2750, y + 4000, f"{name} drawn and pin")

    return site


def via_sites(via: Via) -> list[Site]:
    sites = [_via_off_grid(via), _via_sized(via, -2 * GRID), _via_sized(via, 2 * GRID)]
    sites += [_via_long(via), _vias_close(via, GRID), _vias_close(via, 0)]
    for metal in (via.below, via.above):
        sites += [_via_without(via, metal), _via_out_of(via, metal), _via_thin(via, metal)]
    return sites


def _stack(draw: Drawer, via: Via, box: Box, below: Box | None, above: Box | None) -> None:
    draw.box(via.name, box)
    if below is not None:
        draw.box(via.below.name, below)
    if above is not None:
        draw.box(via.above.name, above)


def _around(x: int, y: int, half_x: int, half_y: int | None = None) -> Box:
    half_y = half_x if half_y is None else half_y
    return (x - half_x, y - half_y, x + half_x, y + half_y)


def _via_off_grid(via: Via) -> Site:
    """A nominal via 1 nm off the grid, on pads a grid step larger, so its enclosure holds."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c = via.size
        box = (x - c // 2 + 1, y - c // 2, x + c // 2 + 1, y + c // 2)
        pad = _around(x, y, 3 * c // 2 + GRID)
        _stack(draw, via, box, pad, pad)
        for vx in (box[0], box[2]):
            for vy in (box[1], box[3]):
                draw.mark("expect", f"{via.name}.ongrid", vx, vy, f"{via.name} off grid")

    return site


def _via_sized(via: Via, delta: int) -> Site:
    """A square via ``delta`` larger than nominal, enclosed by the minimum or more."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c = via.size
        pad = _around(x, y, 3 * c // 2 + max(delta, 0))
        _stack(draw, via, _around(x, y, (c + delta) // 2), pad, pad)
        what = f"{via.name} {'small' if delta < 0 else 'large'}"
        draw.mark("expect", f"{via.name}.via_shape", x, y, what)

    return site


def _via_long(via: Via) -> Site:
    """A via of the nominal width and twice its length (0.2 x 0.4 um on 3ML_0400)."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c = via.size
        pad = _around(x, y, 3 * c // 2, 2 * c)
        _stack(draw, via, _around(x, y, c // 2, c), pad, pad)
        draw.mark("expect", f"{via.name}.via_shape", x, y, f"{via.name} long")

    return site


def _vias_close(via: Via, short: int) -> Site:
    """Two nominal vias ``short`` closer than the minimum space, on shared pads."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c, name = via.size, via.name
        right = x + 2 * c - short
        pad = (x - c, y - c, right + 2 * c, y + 2 * c)
        _stack(draw, via, (x, y, x + c, y + c), pad, pad)
        draw.box(name, (right, y, right + c, y + c))
        gap = (x + c + right) / 2
        if short:
            draw.mark("expect", f"{name}.min_space", gap, y + c / 2, f"{name} close")
        else:
            draw.mark("pass", f"{name}.min_space", gap, y + c / 2, f"{name} at min space")
            draw.mark("pass", f"{name}.via_shape", x + c / 2, y + c / 2, f"{name} nominal")

    return site


def _via_on_pads(draw: Drawer, via: Via, metal: Metal, x: int, y: int, moved: Box | None) -> None:
    """A via at (x, y) on its pad of the other metal, and of ``metal`` on ``moved`` (None:
    no pad of ``metal``)."""
    c = via.size
    pad = _around(x, y, 3 * c // 2)
    below, above = (moved, pad) if metal is via.below else (pad, moved)
    _stack(draw, via, _around(x, y, c // 2), below, above)


def _via_without(via: Via, metal: Metal) -> Site:
    def site(draw: Drawer, x: int, y: int) -> None:
        _via_on_pads(draw, via, metal, x, y, None)
        what = f"{via.name} without {metal.name}"
        draw.mark("expect", f"{via.name}.in_{metal.name}", x, y, what)
        draw.mark("expect", f"{via.name}.in_{metal.name}.enclosure", x, y, what)

    return site


def _via_out_of(via: Via, metal: Metal) -> Site:
    """The pad of ``metal`` moved so that half the via sticks out of it."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c = via.size
        _via_on_pads(draw, via, metal, x, y, _around(x + 3 * c // 2, y, 3 * c // 2))
        what = f"{via.name} out of {metal.name}"
        draw.mark("expect", f"{via.name}.in_{metal.name}", x, y, what)
        draw.mark("expect", f"{via.name}.in_{metal.name}.enclosure", x, y, what)

    return site


def _via_thin(via: Via, metal: Metal) -> Site:
    """The pad of ``metal`` moved one grid step: the via is enclosed a step too little."""

    def site(draw: Drawer, x: int, y: int) -> None:
        c = via.size
        _via_on_pads(draw, via, metal, x, y, _around(x + GRID, y, 3 * c // 2))
        what = f"{via.name} thin {metal.name} enclosure"
        draw.mark("expect", f"{via.name}.in_{metal.name}.enclosure", x - c / 2, y, what)
        draw.mark("pass", f"{via.name}.in_{metal.name}", x, y, what)

    return site


def band_sites(stack: Stackup) -> list[Callable[[Drawer, int, int], None]]:
    """Sites against the bottom edge of the outline: (x, y) is a point on that edge."""
    sites: list[Callable[[Drawer, int, int], None]] = []
    for layer in stack.layers():
        sites += [_in_band(layer, 300, "expect"), _in_band(layer, MARGIN, "pass")]
    return sites


def _in_band(layer: Metal | Via, inset: int, kind: str) -> Site:
    """``layer`` (a via with its pads) ``inset`` above the outline's bottom edge: in the
    1 um band (``expect``), or touching the band's inner edge from inside (``pass``)."""

    def site(draw: Drawer, x: int, y: int) -> None:
        if isinstance(layer, Metal):
            w = layer.width
            draw.box(layer.name, (x, y + inset, x + 4 * w, y + inset + 2 * w))
            draw.mark(kind, f"{layer.name}.outline", x + 2 * w, y + inset + w, "band")
            return
        # in the band the via itself starts 300 nm above the edge, its pads reaching below
        c = layer.size
        cy = y + inset + (c // 2 if kind == "expect" else 3 * c // 2)
        pad = _around(x, cy, 3 * c // 2)
        _stack(draw, layer, _around(x, cy, c // 2), pad, pad)
        for name in (layer.name, layer.below.name, layer.above.name):
            draw.mark(kind, f"{name}.outline", x, cy, "band")

    return site


# ---------------------------------------------------------------- the whole interposer
def site_pitch(stack: Stackup) -> int:
    """Sites this far apart are clear of each other on every layer."""
    return 10 * stack.wire + 12000


def build(
    stack: Stackup | str, units: int = 4, defect_sets: int = 1, pins_fill: bool = True
) -> Interposer:
    """A ``units`` x ``units`` array with ``defect_sets`` copies of the planted sites above it,
    the band sites along the bottom of the outline."""
    stack = stackup(stack) if isinstance(stack, str) else stack
    draw = Drawer(stack, pins_fill)
    left, bottom, right, top = draw_array(draw, units)
    sites = [s for m in stack.metals for s in metal_sites(m, pins_fill and m is stack.metals[0])]
    sites += [site for via in stack.vias for site in via_sites(via)]
    step, columns = site_pitch(stack), 10
    field_top = top + step
    for copy in range(defect_sets):
        for index, site in enumerate(sites):
            row, column = divmod(index, columns)
            x = (copy * columns + column) * step
            site(draw, x, field_top + row * step)
    field_top += math.ceil(len(sites) / columns) * step
    bands = band_sites(stack)
    width = max(right, defect_sets * columns * step, len(bands) * step)
    outline = (left - step, bottom - step, width + step, field_top + step)
    draw.box("outline", outline)
    for index, site in enumerate(bands):
        site(draw, outline[0] + step // 2 + index * step, outline[1])
    _pass_everywhere(draw)
    return Interposer(draw.layout, draw.marks, draw.count)


def _pass_everywhere(draw: Drawer) -> None:
    """A ``pass`` of every rule at the array's first via stack: all of them are exercised
    there, at their limits."""
    for layer in draw.stack.layers():
        draw.mark("pass", f"{layer.name}.ongrid", 0, 0, "array")
        if isinstance(layer, Via):
            draw.mark("pass", f"{layer.name}.via_shape", 0, 0, "array")
            for metal in (layer.below, layer.above):
                draw.mark("pass", f"{layer.name}.in_{metal.name}", 0, 0, "array")
                draw.mark("pass", f"{layer.name}.in_{metal.name}.enclosure", 0, 0, "array")
        else:
            draw.mark("pass", f"{layer.name}.min_width", 0, 0, "array")
            if layer.max_width is not None:
                draw.mark("pass", f"{layer.name}.max_width", 0, 0, "array")


def annotate(interposer: Interposer) -> None:
    """Write the marks as ``expect RULE`` / ``pass RULE`` texts on 255/0 (``adk test-deck``)."""
    layout = interposer.layout
    shapes = layout.top_cell().shapes(layout.layer(*ANNOTATION))
    for mark in interposer.marks:
        shapes.insert(kdb.DText(f"{mark.kind} {mark.rule}", mark.x, mark.y))


def _shape_count(text: str) -> int:
    scale = {"k": 1_000, "M": 1_000_000}
    return round(float(text[:-1]) * scale[text[-1]]) if text[-1] in scale else int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stackup", help="3ML_0400, 4ML_0800, 5ML_2000, ...")
    parser.add_argument("--shapes", default="10k", help="about this many shapes (10k, 1M)")
    parser.add_argument("--defect-sets", type=int, default=1)
    parser.add_argument("--no-pins-fill", action="store_true", help="drawn datatype only")
    parser.add_argument("--labels", action="store_true", help="expect/pass texts on 255/0")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    stack = stackup(args.stackup)
    units = units_for(stack, _shape_count(args.shapes))
    interposer = build(stack, units, args.defect_sets, not args.no_pins_fill)
    if args.labels:
        annotate(interposer)
    interposer.layout.write(args.output)
    print(f"{args.output}: {interposer.shapes} shapes, {len(interposer.expected())} planted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
