"""Compare the markers of two runs, one of them on a package rotated or mirrored.

    python benchmarks/markers.py VARIANT.lyrdb REFERENCE.lyrdb [--orient r90]

Each marker of VARIANT is mapped back by the inverse of ``--orient`` (the package's
transformation, :data:`generate.ORIENTATIONS`) and compared with REFERENCE's markers,
rule by rule, as sets of geometry and text (a marker filed in a cell, in that cell's
coordinates, unmapped). Edges count as undirected segments and an
edge pair as an unordered pair: a mirror reverses the direction of a polygon's edges,
and the order in which a check meets the two edges of a pair is not part of a marker's
meaning.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Collection

import klayout.db as kdb
import klayout.rdb as rdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate import ORIENTATIONS

Key = tuple


def _point(p: kdb.DPoint) -> tuple[float, float]:
    return (round(p.x, 4), round(p.y, 4))


def _edge(edge: kdb.DEdge) -> Key:
    return tuple(sorted((_point(edge.p1), _point(edge.p2))))


def _polygon(polygon: kdb.DPolygon) -> Key:
    hull = tuple(sorted(_point(p) for p in polygon.each_point_hull()))
    holes = sorted(
        tuple(sorted(_point(p) for p in polygon.each_point_hole(h))) for h in range(polygon.holes())
    )
    return (hull, tuple(holes))


def value_key(value: rdb.RdbItemValue, back: kdb.DCplxTrans) -> Key:
    """One value of a marker, in the reference's coordinates, as a comparable key."""
    if value.is_edge_pair():
        pair = value.edge_pair().transformed(back)
        return ("edge pair", *sorted((_edge(pair.first), _edge(pair.second))))
    if value.is_edge():
        return ("edge", _edge(value.edge().transformed(back)))
    if value.is_polygon():
        return ("polygon", _polygon(value.polygon().transformed(back)))
    if value.is_box():
        box = value.box().transformed(back)
        return ("box", _point(box.p1), _point(box.p2))
    return ("value", value.to_s())


def markers(path: str, back: kdb.DCplxTrans, texts: bool = True) -> dict[str, Counter[Key]]:
    """Per rule id, the markers of the database at ``path`` mapped by ``back``; without
    ``texts``, their geometry alone (another engine's markers carry no adk texts). A
    marker filed in a cell other than the top cell is in that cell's coordinates, which
    turning the package leaves as they are: it is compared unmapped, with its cell."""
    database = rdb.ReportDatabase("")
    database.load(path)
    found: dict[str, Counter[Key]] = {}
    for category in database.each_category():
        keys: Counter[Key] = Counter()
        for item in database.each_item_per_category(category.rdb_id()):
            cell = database.cell_by_id(item.cell_id()).name()
            local = bool(database.top_cell_name) and cell != database.top_cell_name
            mapping = kdb.DCplxTrans() if local else back
            values = tuple(sorted(value_key(v, mapping) for v in item.each_value()))
            if not texts:
                values = tuple(v for v in values if v[0] != "value")
            keys[(cell if local else "", values, item.comment if texts else "")] += 1
        found[category.name()] = keys
    return found


def differences(
    variant: str,
    reference: str,
    orient: str = "r0",
    rules: Collection[str] | None = None,
    ignore: Collection[str] = (),
    texts: bool = True,
) -> list[str]:
    """What differs between the two databases, rule by rule; empty when they agree.
    ``rules``: compare only these (default: every rule of either); ``ignore``: leave
    these out; without ``texts``, geometry alone."""
    back = kdb.DCplxTrans(kdb.DTrans(ORIENTATIONS[orient])).inverted()
    mapped = markers(variant, back, texts)
    expected = markers(reference, kdb.DCplxTrans(), texts)
    found = []
    compared = set(mapped) | set(expected) if rules is None else set(rules)
    for rule in sorted(compared - set(ignore)):
        extra = mapped.get(rule, Counter()) - expected.get(rule, Counter())
        missing = expected.get(rule, Counter()) - mapped.get(rule, Counter())
        if extra or missing:
            found.append(f"{rule}: {sum(extra.values())} extra, {sum(missing.values())} missing")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant")
    parser.add_argument("reference")
    parser.add_argument("--orient", choices=ORIENTATIONS, default="r0")
    args = parser.parse_args()
    found = differences(args.variant, args.reference, args.orient)
    print("\n".join(found) or "same markers")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
