"""Shared by the polygon kinds: limits for KLayout's checks and markers from its results.

Distances are measured to the nearest database unit, like KLayout's
``EdgePair.distance``: a 45° or all-angle line drawn at the limit and snapped to
the grid (a 10 um wide 45° line is 9999.95 nm wide on a 1 nm grid) is at the
limit and passes. Values are compared with their limits in database units
(areas in square units, ratios as they are), both rounded to 6 decimals, so a
value at a limit such as ``0.3 um`` or ``35 %`` passes whatever the
floating-point noise of converting units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, violation_text
from adk.lang.model import Constraint
from adk.lang.units import Quantity

_DIGITS = 6  # decimals kept when comparing in units: far below any grid or ratio that matters


def scaled(value: float, scale: float) -> float:
    """``value`` in units of ``scale``, rounded off far below any grid."""
    return round(value / scale, _DIGITS)


def _in_units(constraint: Constraint, scale: float) -> Constraint:
    limit = Quantity(scaled(constraint.limit.value, scale), constraint.limit.dim)
    return replace(constraint, limit=limit)


def threshold(constraints: tuple[Constraint, ...], dbu: float) -> int:
    """The distance in database units below which KLayout must report a pair.

    KLayout reports distances < d; a ``>`` limit fails at the limit itself, so its
    d is one unit more. The strictest constraint decides; the others filter."""

    def units(constraint: Constraint) -> int:
        limit = _in_units(constraint, dbu).limit.value
        return math.floor(limit) + 1 if constraint.op == ">" else math.ceil(limit)

    return max(units(c) for c in constraints)


def largest_limit(constraints: tuple[Constraint, ...]) -> float:
    """The largest limit of ``constraints`` (0 without any): how far a distance check looks."""
    return max((c.limit.value for c in constraints), default=0.0)


def breaker(
    constraints: tuple[Constraint, ...], scale: float
) -> Callable[[float], Constraint | None]:
    """A test giving the first constraint that a value in units of ``scale`` breaks, or None."""
    limits = [(c, _in_units(c, scale)) for c in constraints]

    def broken(measured: float) -> Constraint | None:
        measured = round(measured, _DIGITS)
        return next((c for c, in_units in limits if not in_units.holds(measured)), None)

    return broken


def pair_markers(
    pairs: kdb.EdgePairs,
    constraints: tuple[Constraint, ...],
    prop: str,
    ctx: CheckContext,
    suffix: str | Callable[[kdb.EdgePair], str] = "",
    symmetric: bool = False,
) -> list[Marker]:
    """One marker per edge pair whose distance breaks a constraint; ``suffix`` ends its text.
    ``symmetric``: the pairs of a check of one layer (width, space), whose edges have no
    order of their own."""
    markers = []
    broken = breaker(constraints, ctx.dbu)
    for pair in pairs.each():
        distance = _distance(pair)
        constraint = broken(distance)
        if constraint is not None:
            measured = round(distance * ctx.dbu, 9)  # without the float noise of the product
            end = suffix if isinstance(suffix, str) else suffix(pair)
            text = violation_text(prop, measured, constraint, ctx.length_unit, end)
            markers.append(Marker(oriented(pair, ctx.dbu, symmetric), measured, text))
    return markers


def oriented(pair: kdb.EdgePair, dbu: float, symmetric: bool = False) -> kdb.DEdgePair:
    """The pair in µm. The edges of a symmetric pair (space: neither edge comes first)
    are put in a fixed order, the lesser first: KLayout's order depends on the order it
    meets the shapes in, which differs between a tile and the whole layout, or between
    a flat and a hierarchical copy of one layout. A pair of a check of one layer is
    symmetric (``symmetric``) whether or not KLayout says so: it does not for some pairs
    of two edges of one polygon, depending on that order too."""
    result = pair.to_dtype(dbu)
    if (symmetric or pair.symmetric) and result.second < result.first:
        return kdb.DEdgePair(result.second, result.first)
    return result


def _distance(pair: kdb.EdgePair) -> int:
    """The distance between the pair's edges, in whole database units."""
    exact = pair.to_dtype(1.0)
    line, point = exact.first, exact.second
    if line.is_degenerate():
        line, point = point, line
    if not point.is_degenerate():
        return round(exact.distance())
    # KLayout measures from an edge shrunk to a point as if the point were on it
    if line.is_degenerate():
        return round(line.p1.distance(point.p1))
    return round(line.euclidian_distance(point.p1))


@contextmanager
def merged_mode(*regions: kdb.Region) -> Iterator[None]:
    """Run KLayout's checks between two layers in its merged mode. In its no-merge mode
    they measure across the pocket of a polygon whose parts touch at a corner, and miss
    pairs it finds in merged mode. A region merged already is not merged again; a
    drawn region is merged once, and KLayout keeps the result."""
    before = [region.merged_semantics for region in regions]
    for region in regions:
        region.merged_semantics = True
    try:
        yield
    finally:
        for region, flag in zip(regions, before):
            region.merged_semantics = flag


def piece_markers(region: kdb.Region, text: str, dbu: float) -> list[Marker]:
    """One marker per polygon of ``region``, at distance 0."""
    return [Marker(polygon.to_dtype(dbu), 0.0, text) for polygon in region.each()]


def ordered(markers: list[Marker]) -> list[Marker]:
    return sorted(markers, key=Marker.sort_key)
