"""extension: the first layer extends past the edges of the second by a distance.

    rule UBM.EXT "UBM extends past its passivation opening" : extension(UBM, PASSIV) >= 2 um

Each layer is merged first. Only the edges of the second layer (B) that the
first layer (A) covers are measured: the parts of B's outline that bound
A and B together, inside A or lying on A's outline. From each of them the
extension is the Euclidean distance to the edges of A facing it from beyond
(A's outline further out from B, as in an enclosure of B by A), to the nearest
database unit; an extension exactly at the limit passes. So:

* a line of A crossing B extends past B's edge by the distance to A's end;
  A's sides crossing B's edge square (at 90° or more) are not measured;
* an A that ends flush with B's edge, or whose side runs along B's edge, has
  extension 0 there;
* a side of A crossing B's edge at a sharp angle (45°, all-angle) is at
  distance 0 where it crosses, so such a crossing violates: A does not cover
  B's edge beyond the crossing;
* an edge of B that A does not reach, and a shape of A ending inside B, are not
  checked; when A covers all of B this is the enclosure of B by A.

Every facing edge of A within the limit is measured, so an edge of A behind a
nearer one (across a gap or hole of A) can add a marker next to the nearer one.
Marker, with ``markers pairs``: each edge pair of the short extension (A's
edge first, then the covered part of B's edge), with the measured extension.
By default (``markers areas``) the pairs whose areas touch or overlap are one
marker: their merged area, with the smallest extension, its text and the
number of pairs (a line ending in a point 0.5 um past B's edge: ``extension
0.5 um < 2 um (2 edge pairs)``); a lone pair stays an edge pair."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_limits, drc_markers, drc_pairs
from adk.checks.polygon import largest_limit, ordered, pair_markers, threshold
from adk.lang.model import Check
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "extension",
    "minimum extension of a layer past the edges of another",
    ("a", "b"),
    (Prop("extension", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("extension"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("extension")
    a, b = (ctx.region(expr) for expr in check.layers)
    # B's edges that A covers, oriented as B's outline so A's edges enclose them
    covered = (a & b).edges() & b.edges()
    pairs = a.edges().enclosing_check(covered, threshold(constraints, ctx.dbu))
    return ordered(pair_markers(pairs, constraints, "extension", ctx))


def lydrc(check: Check, layers: list[str]) -> str:
    a, b = layers
    limits = drc_limits(check, "extension")
    covered = f"(({a} & {b}).edges & {b}.edges)"  # B's edges that A covers, as in run
    return drc_markers(drc_pairs("extension", limits, f"{a}.edges", "enclosing", covered))
