"""density: fraction of a window covered by a layer, over a grid of windows.

    rule RDL1.DEN "RDL1 metal density" : density(RDL1, window 1 mm, step 500 um) { density >= 20 %  density <= 80 % }

The windows cover an extent: the bounding box of ``within R`` when given, else
the layout's extent (the bounding box of the top cell, all layers). The first
window sits at the extent's lower-left corner; windows follow every ``step``
(default: the window size) to the right and upwards, and the last column and
row are moved back to end exactly at the extent's right and top edges, so no
window sticks out. Along a side shorter than the window, the window is cut to
the extent.

density = area(layer ∩ window ∩ R) / area(window ∩ R), with R the ``within``
layer or the whole extent; a window with nothing of R in it is skipped. A
density exactly at a limit passes.
Markers, by default (``markers areas``): one per defect. Failing windows that
overlap or touch (stepped windows, neighbours sharing a side or a corner) and
fail on the same side of the limits (too sparse, or too dense) are joined into
one marker: their union, with the worst density of the group (the lowest below
a minimum, the highest above a maximum), its text and the number of windows
(``density 81 % > 70 % (3 windows)``); a lone window stays a box. The windows
are joined after the tiles of a run are, so tiled runs give the same markers.
With ``markers windows``: each failing window (a box), with its density.

A step longer than the window is refused (the layout between windows would go
unchecked), as are a window or step below one database unit and a grid of more than
10 million windows over the extent (a step of 10 nm over a package): each would say
nothing useful at a cost without bound."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

import klayout.db as kdb

from adk.checks import windows
from adk.checks.base import (
    CheckContext,
    Marker,
    layer_param,
    length_param,
    required_length,
    violation_text,
)
from adk.checks.drc import drc_layer, drc_limits, drc_markers
from adk.checks.polygon import breaker, ordered
from adk.lang.model import Check
from adk.lang.signature import LAYER, LENGTH, MAX, MIN, CheckSpec, Param, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "density",
    "area fraction of a layer in sliding windows",
    ("layer",),
    (Prop("density", Dim.RATIO, MIN + MAX, positive=False),),
    (
        Param("window", LENGTH, required=True, doc="window side"),
        Param("step", LENGTH, doc="window step; defaults to the window side"),
        Param("within", LAYER, doc="clip windows to this layer"),
        windows.MARKERS,
    ),
    validate=lambda params, _constraints: windows.step_within_window(params),
)


def ambit(check: Check) -> float | None:
    """A window depends on what lies inside it; with ``within`` the windows are laid
    out over that layer's extent, known only from the whole layout."""
    return None if check.param("within") is not None else 0.0


def footprint(check: Check) -> float:
    return required_length(check, "window")


def _window_and_step(check: Check) -> tuple[float, float]:
    """The window side and step (µm); the step defaults to the side."""
    window = required_length(check, "window")
    step = length_param(check, "step")
    return window, window if step is None else step


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("density")
    window, step_length = _window_and_step(check)
    size, step = windows.in_units(window, step_length, ctx.dbu)
    layer = ctx.region(check.layers[0])
    within = layer_param(check, "within")
    if within is None:  # the extent holds the whole layer: nothing to clip
        scope, covered = kdb.Region(_layout_extent(ctx, layer)), layer
    else:
        scope = ctx.region(within)
        covered = layer & scope
    markers = []
    broken = breaker(constraints, 1.0)
    for box, density in _densities(covered, scope, size, step, ctx.focus):
        constraint = broken(density)
        if constraint is not None:
            text = violation_text("density", density, constraint, ctx.length_unit)
            markers.append(Marker(box.to_dtype(ctx.dbu), density, text))
    return ordered(markers)


def joined(check: Check, markers: list[Marker], dbu: float) -> list[Marker]:
    """The failing windows of the whole layout, joined (:func:`windows.joined`)."""
    return windows.joined(markers, dbu, breaker(check.constraint("density"), 1.0))


def _layout_extent(ctx: CheckContext, layer: kdb.Region) -> kdb.Box:
    """The top cell's box where the context reads a layout, else the layer's own box."""
    loaded = getattr(ctx, "loaded", None)
    return loaded.top.bbox() if loaded is not None else layer.bbox()


def _densities(
    covered: kdb.Region, scope: kdb.Region, size: int, step: int, focus: kdb.Box | None = None
) -> Iterator[tuple[kdb.Box, float]]:
    """Each window over the extent of ``scope`` with its covered fraction of ``scope``;
    with ``focus`` (a tile), only the windows around it."""
    extent = scope.bbox()
    if extent.area() == 0:
        return
    width, columns = windows.runs(extent.left, extent.right, size, step)
    height, rows = windows.runs(extent.bottom, extent.top, size, step)
    windows.refuse_too_many(columns, rows)
    if focus is not None:
        columns = _near(columns, width, focus.left, focus.right)
        rows = _near(rows, height, focus.bottom, focus.top)
    for x, y in product(columns, rows):
        # one rasterize call per run: pixels are the windows of the run
        args = (
            kdb.Point(x[0], y[0]),
            kdb.Vector(x[1], y[1]),
            kdb.Vector(width, height),
            x[2],
            y[2],
        )
        for iy, (parts, wholes) in enumerate(zip(covered.rasterize(*args), scope.rasterize(*args))):
            for ix, (part, whole) in enumerate(zip(parts, wholes)):
                if whole > 0:
                    corner = kdb.Point(x[0] + ix * x[1], y[0] + iy * y[1])
                    # areas summed in another order (a tile's shapes) differ in the last
                    # bits; a thousandth of a square unit is far below any grid
                    yield (
                        kdb.Box(corner, corner + kdb.Vector(width, height)),
                        round(part, 3) / round(whole, 3),
                    )


def _near(runs: list[windows.Run], size: int, low: int, high: int) -> list[windows.Run]:
    """The runs cut to the windows that reach into [low - size, high + size]."""
    kept = []
    for start, stride, count in runs:
        first = max(0, -(-(low - 2 * size - start) // stride))
        last = min(count, (high + size - start) // stride + 1)
        if last > first:
            kept.append((start + first * stride, stride, last - first))
    return kept


def lydrc(check: Check, layers: list[str]) -> str:
    window, step = _window_and_step(check)
    within = layer_param(check, "within")
    scope = "nil" if within is None else drc_layer(within)
    limits = drc_limits(check, "density")
    windows = f"adk_density({layers[0]}, {scope}, {window!r}, {step!r}, {limits})"
    if check.param("markers", "areas") == "areas":  # one marker per defect, as in joined
        windows = f"adk_joined_windows({windows}, {limits})"
    return drc_markers(windows)
