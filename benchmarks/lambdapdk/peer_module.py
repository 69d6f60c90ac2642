"""The rules of a lambdapdk interposer stackup with the klayout Python module's Region API,
each check as the original deck writes it in KLayout's DRC language, for the benchmark.

    python benchmarks/lambdapdk/peer_module.py LAYOUT STACKUP MODE [--threads 2] [--markers OUT]

Modes: ``flat`` (flat regions, merged semantics: each check merges its input, as the DRC
engine's flat mode does), ``merged`` (each layer merged once up front, the checks told it
is), ``deep`` (hierarchical regions in a deep shape store with ``--threads`` threads).
Prints ``counts: {category: markers}`` and ``seconds: {category: s}`` as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import klayout.db as kdb
import klayout.rdb as rdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lambdapdk.stackups import DATATYPES, OUTLINE, Rule, stackup
from benchmarks.lambdapdk.stackups import rules as deck_rules

EUCLIDIAN = kdb.Metrics.Euclidian


class Layers:
    """The stackup's layers of one layout, each the union of its datatypes."""

    def __init__(self, layout: kdb.Layout, mode: str, threads: int):
        self.layout, self.top, self.mode = layout, layout.top_cell(), mode
        self.store = None
        if mode == "deep":
            self.store = kdb.DeepShapeStore()
            self.store.threads = threads
        self.cache: dict[str, kdb.Region] = {}

    def region(self, number: int, datatypes: tuple[int, ...]) -> kdb.Region:
        region = kdb.Region() if self.store is None else None
        for datatype in datatypes:
            index = self.layout.find_layer(number, datatype)
            if index is None:
                continue
            shapes = self.top.begin_shapes_rec(index)
            part = kdb.Region(shapes) if self.store is None else kdb.Region(shapes, self.store)
            region = part if region is None else region + part
        if region is None:  # a deep store holds no empty region of its own
            region = kdb.Region(self.top.begin_shapes_rec(self.layout.layer()), self.store)
        if self.mode == "merged":
            region.merge()
        return region

    def get(self, name: str, number: int) -> kdb.Region:
        if name not in self.cache:
            datatypes = (OUTLINE[1],) if name == "outline" else DATATYPES
            self.cache[name] = self.region(number, datatypes)
        return self.cache[name]


def check(rule: Rule, layers: Layers, numbers: dict[str, int]) -> object:
    """The check's result as the DRC engine computes ``layer.drc(...)`` and friends."""
    layer = layers.get(rule.layer, numbers[rule.layer])
    value = rule.value  # nm, one database unit each
    if rule.kind == "ongrid":
        return layer.grid_check(value, value)
    if rule.kind == "outline":
        return layer.not_inside(layers.get("outline", OUTLINE[0]).sized(-value))
    if rule.kind == "min_width":
        return layer.width_check(value, False, EUCLIDIAN)
    if rule.kind == "min_space":
        return layer.space_check(value, False, EUCLIDIAN)
    if rule.kind == "max_width":
        return _wider(layer, value)
    if rule.kind == "via_shape":  # width != value: the edges narrower, or wider, joined
        narrower = layer.width_check(value, False, EUCLIDIAN).edges()
        return (narrower + _wider(layer, value).first_edges()).merged()
    other = layers.get(rule.other, numbers[rule.other])
    if rule.kind == "not_inside":
        return layer.not_inside(other)
    return layer.enclosed_check(other, value, False, EUCLIDIAN).polygons()


def _wider(layer: kdb.Region, value: int) -> kdb.EdgePairs:
    """``width > value`` as the DRC engine runs it: the edges of no width below value + 1,
    a width check's negative output."""
    return layer.width_check(value + 1, False, EUCLIDIAN, None, None, None, False, True)


def run(path: str, name: str, mode: str, threads: int, markers: str) -> None:
    started = time.perf_counter()
    layout = kdb.Layout()
    layout.read(path)
    stack = stackup(name)
    numbers = {layer.name: layer.number for layer in stack.layers()}
    layers = Layers(layout, mode, threads)
    database = rdb.ReportDatabase(f"lambdapdk {name}") if markers else None
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {"read": time.perf_counter() - started}
    for rule in deck_rules(stack):
        began = time.perf_counter()
        result = check(rule, layers, numbers)
        counts[rule.category] = counts.get(rule.category, 0) + result.count()  # type: ignore[attr-defined]
        if database is not None:
            _write(database, rule.category, result, layout)
        seconds[rule.category] = seconds.get(rule.category, 0.0) + time.perf_counter() - began
    if database is not None:
        database.save(markers)
    print("counts: " + json.dumps(counts))
    print("seconds: " + json.dumps({k: round(v, 3) for k, v in seconds.items()}))


def _write(database: rdb.ReportDatabase, name: str, result: object, layout: kdb.Layout) -> None:
    category = database.category_by_path(name) or database.create_category(name)
    cell = database.cell_by_qname(layout.top_cell().name) or database.create_cell(
        layout.top_cell().name
    )
    trans = kdb.CplxTrans(layout.dbu)
    database.create_items(cell.rdb_id(), category.rdb_id(), trans, result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("layout")
    parser.add_argument("stackup")
    parser.add_argument("mode", choices=("flat", "merged", "deep"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--markers", default="", help="write the markers to this .lyrdb")
    args = parser.parse_args(argv)
    run(args.layout, args.stackup, args.mode, args.threads, args.markers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
