"""The benchmark deck written for KLayout itself, with the klayout Python module, in named
configurations (benchmarks/README.md, "KLayout's configurations").

    python benchmarks/peer_klayout.py LAYOUT CONFIG [--threads N] [--tile MM] [--markers DB]

Prints two lines: ``counts: {...}``, the markers per rule id of ``bench.adk``, each counted
once, and ``seconds: {...}``, the wall seconds of each part of the deck. With
``--markers``, the RDL width and space markers (the rules where merging changes the
answer) go to a marker database, for :mod:`markers` to compare with adk's.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import klayout.db as kdb
import klayout.rdb as rdb
from generate import LAYERS, RDL, Variant

LIMIT = 2.0  # RDL width and space, um
PITCH = 36.0  # minimum bump pitch, um
DENSITY = 400e-6  # minimum bumps per um2
WINDOW = 1000.0  # side of the density windows over each die, um
OVERLAP = 200.0  # minimum bridge overlap on a die, um


@dataclass(frozen=True)
class Config:
    """How a configuration runs the deck.

    ``rdl``: ``merged`` (flat, merged semantics: every check merges its input, KLayout's
    default), ``deep`` (a deep shape store, merged semantics), ``once`` (each layer merged
    once, then checked as it is, without merging again) or ``raw`` (the shapes as drawn,
    never merged: right only where no two shapes of a layer overlap or touch).
    ``edges``: space as an edge check on the polygons' edges rather than a region check
    (a sixth less time; unshielded: it also pairs two edges with a third shape between
    them, which a region check leaves out, so it gives a region check's pairs only where
    no shape lies between two others within the limit, as on this package). ``tiled``:
    RDL width and space in a TilingProcessor with threads. ``bumps``: ``merged``,
    ``deep`` or ``raw``. ``plain``: keep-outs and densities as the Region API reads
    (booleans and ``interacting`` with counts) rather than through the layout's spatial
    index."""

    rdl: str
    bumps: str
    edges: bool = True
    tiled: bool = False
    plain: bool = False

    def invalid_on(self, variant: Variant) -> str:
        """Why this configuration's markers cannot be trusted on ``variant``; empty when
        they can. Checks of raw shapes see where two shapes of a layer overlap or abut: a
        joint is an edge to measure from (a space of 0 to the piece beyond), and a wide
        shape drawn as narrow pieces is too narrow; the other choices keep adk's meaning
        on every variant the generator draws."""
        if self.rdl != "raw":
            return ""
        layers = list(RDL) if variant.overlap_every else []
        if variant.touching and variant.touching not in layers:
            layers.append(variant.touching)
        if not layers:
            return ""
        return f"shapes of {', '.join(layers)} overlap or abut, and raw checks measure their joints"


CONFIGS = {
    "flat": Config("merged", "merged", edges=False, plain=True),
    "deep": Config("deep", "deep", edges=False, plain=True),
    "merged once": Config("once", "raw"),
    "unmerged": Config("raw", "raw", edges=False),
    "unmerged edges": Config("raw", "raw"),
    "deep bumps": Config("raw", "deep"),
    "tiled": Config("raw", "raw", tiled=True),
    "tiled + deep bumps": Config("raw", "deep", tiled=True),
    "merged once + tiled + deep bumps": Config("once", "deep", tiled=True),
}


class Clock:
    """Wall seconds per part of the deck."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass
class Deck:
    """The layout and the choices of one configuration, with the markers found so far."""

    layout: kdb.Layout
    top: kdb.Cell
    config: Config
    threads: int
    tile: float
    clock: Clock
    store: kdb.DeepShapeStore | None = None  # must outlive the regions made in it

    def __post_init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.pairs: dict[str, list[kdb.EdgePair]] = {}

    def units(self, um: float) -> int:
        return round(um / self.layout.dbu)

    def index(self, name: str) -> int:
        return self.layout.layer(*LAYERS[name])

    def region(self, name: str, mode: str = "merged") -> kdb.Region:
        """Layer ``name`` through the hierarchy: flat or in the deep store, merged
        semantics or raw."""
        shapes = self.top.begin_shapes_rec(self.index(name))
        if mode == "deep":
            self.store = self.store or kdb.DeepShapeStore()
            region = kdb.Region(shapes, self.store)
        else:
            region = kdb.Region(shapes)
        region.merged_semantics = mode != "raw"
        return region


# ---------------------------------------------------------------- counting markers
def _edge_key(edge: kdb.Edge) -> tuple:
    return tuple(sorted(((edge.p1.x, edge.p1.y), (edge.p2.x, edge.p2.y))))


def pair_key(pair: kdb.EdgePair) -> tuple:
    """An edge pair as an unordered pair of undirected edges: deep mode reports a pair
    seen from two cells twice, tiles report a pair near their border in each tile, and
    an edge check gives the edges of a pair in either order."""
    return tuple(sorted((_edge_key(pair.first), _edge_key(pair.second))))


def distinct_pairs(pairs: kdb.EdgePairs) -> list[kdb.EdgePair]:
    found = {pair_key(pair): pair for pair in pairs.each()}
    return [found[key] for key in sorted(found)]


def distinct(markers: kdb.Region | kdb.EdgePairs) -> int:
    """Markers counted once each."""
    if isinstance(markers, kdb.EdgePairs):
        return len(distinct_pairs(markers))
    return len({str(marker) for marker in markers.each()})


# ---------------------------------------------------------------- RDL width and space
def rdl_layer(deck: Deck, name: str) -> kdb.Region:
    """An RDL layer as the configuration checks it; for ``once``, merged here and marked
    raw, so that no check merges it again."""
    config = deck.config
    if config.rdl == "once":
        merged = deck.region(name).merged()
        merged.merged_semantics = False
        return merged
    return deck.region(name, {"merged": "merged", "deep": "deep", "raw": "raw"}[config.rdl])


def space(region: kdb.Region, limit: int, edges: bool) -> kdb.EdgePairs:
    """Space below ``limit``: a region check, or an edge check on the polygons' edges (a
    raw region's edges, each polygon's own; not merged again)."""
    if not edges:
        return region.space_check(limit)
    outline = region.edges()
    outline.merged_semantics = False
    return outline.space_check(limit)


def rdl_flat(deck: Deck) -> None:
    limit = deck.units(LIMIT)
    for name in RDL:
        with deck.clock.part(f"{name}.W"):
            layer = rdl_layer(deck, name)
            deck.pairs[f"{name}.W"] = distinct_pairs(layer.width_check(limit))
        with deck.clock.part(f"{name}.S"):
            deck.pairs[f"{name}.S"] = distinct_pairs(space(layer, limit, deck.config.edges))


def rdl_tiled(deck: Deck) -> None:
    """Width and space of the three layers in one TilingProcessor: each tile reads the
    shapes touching it and a border of the limit, whole (never clipped), so a pair with
    an edge in the tile is found in it; a pair near a border, found in both tiles, is
    counted once."""
    limit = deck.units(LIMIT)
    processor = kdb.TilingProcessor()
    processor.dbu = deck.layout.dbu
    layers, outputs = [], {}
    with deck.clock.part("RDL, tiled"):
        for name in RDL:
            var = name.lower()
            layers.append(rdl_layer(deck, name))  # the processor keeps no reference
            processor.input(var, layers[-1])
            for kind in "WS":
                outputs[f"{name}.{kind}"] = kdb.EdgePairs()
                processor.output(f"{var}_{kind}", outputs[f"{name}.{kind}"])
                processor.queue(_tile_script(var, kind, limit, deck.config.edges))
        processor.tile_size(deck.tile * 1000.0, deck.tile * 1000.0)
        processor.tile_border(LIMIT, LIMIT)
        processor.threads = deck.threads
        processor.execute("RDL width and space")
        for rule, pairs in outputs.items():
            deck.pairs[rule] = distinct_pairs(pairs)


def _tile_script(var: str, kind: str, limit: int, edges: bool) -> str:
    """The script of one check in a tile; its output keeps the pairs touching the tile."""
    out = f"{var}_{kind}"
    if kind == "W":
        return f"_output({out}, {var}.width_check({limit}), true)"
    if not edges:
        return f"_output({out}, {var}.space_check({limit}), true)"
    return (
        f"var e = {var}.edges(); e.merged_semantics = false; "
        f"_output({out}, e.space_check({limit}), true)"
    )


# ---------------------------------------------------------------- keep-outs
def keepouts(deck: Deck) -> None:
    """RDL and bump parts inside the keep-out zones: as booleans of whole layers (plain),
    or of the shapes near the zones."""
    mode = "deep" if deck.config.rdl == "deep" else "merged"
    koz = deck.region("KOZ", mode)
    with deck.clock.part("KOZ.RDL"):
        if deck.config.plain:
            rdl = deck.region("RDL1", mode) + deck.region("RDL2", mode) + deck.region("RDL3", mode)
        else:
            rdl = near(deck, RDL, koz)
        deck.counts["KOZ.RDL"] = distinct(rdl & koz)
    with deck.clock.part("KOZ.UB"):
        if deck.config.plain:
            bumps = deck.region("UBUMP", deck.config.bumps)
        else:
            bumps = near(deck, ("UBUMP",), koz)
        deck.counts["KOZ.UB"] = distinct(bumps & koz)


def near(deck: Deck, names: Iterable[str], zones: kdb.Region) -> kdb.Region:
    """The shapes of the layers ``names`` that touch a zone, read through the layout's
    spatial index; merged, they are whole inside the zones, so their parts in the zones
    are those of the whole layers."""
    found = kdb.Region()
    for name in names:
        shapes = kdb.RecursiveShapeIterator(deck.layout, deck.top, deck.index(name), zones)
        found += kdb.Region(shapes)
    return found


# ---------------------------------------------------------------- bumps
def bumps(deck: Deck) -> None:
    config = deck.config
    layer = deck.region("UBUMP", config.bumps)
    with deck.clock.part("UB.P"):
        centres = _centres(layer, _bump_side(deck) // 2)
        # centres as 2 x 2 dbu boxes: centre distance < pitch <=> box space < pitch - 2 dbu
        # (for pairs along an axis; off by under a dbu on a diagonal)
        deck.counts["UB.P"] = distinct(centres.space_check(deck.units(PITCH) - 2))
    if config.plain:
        with deck.clock.part("UB.DEN"):
            fields = _boxes(deck.region("FIELD"))
            deck.counts["UB.DEN"] = _density_interacting(deck, fields, centres)
        with deck.clock.part("UB.DEN.W"):
            deck.counts["UB.DEN.W"] = _density_interacting(deck, _die_windows(deck), centres)
    else:
        with deck.clock.part("UB.DEN"):
            deck.counts["UB.DEN"] = _density_indexed(deck, _boxes(deck.region("FIELD")))
        with deck.clock.part("UB.DEN.W"):
            deck.counts["UB.DEN.W"] = _density_indexed(deck, _die_windows(deck))


def _bump_side(deck: Deck) -> int:
    """The side of the bumps' bounding boxes, which must be one even size and square: the
    centre boxes and the indexed counts need the centre a whole dbu from every side."""
    sides = set()
    for cell in deck.layout.each_cell():
        for shape in cell.shapes(deck.index("UBUMP")).each():
            sides.add((shape.bbox().width(), shape.bbox().height()))
    if len(sides) != 1 or len({*next(iter(sides))}) != 1 or next(iter(sides))[0] % 2:
        raise SystemExit(f"bump sides {sorted(sides)}: this peer needs one even square size")
    return next(iter(sides))[0]


def _centres(bumps: kdb.Region, half: int) -> kdb.Region:
    """A 2 x 2 dbu box at the centre of each bump's bounding box."""
    boxes = bumps.extents()
    boxes.merged_semantics = bumps.merged_semantics
    centres = boxes.sized(-(half - 1))
    centres.merged_semantics = bumps.merged_semantics
    return centres


def _boxes(region: kdb.Region) -> list[kdb.Box]:
    """The merged polygons of ``region``, each of which must be a box."""
    boxes = []
    for polygon in region.each_merged():
        if not polygon.is_box():
            raise SystemExit(f"{polygon}: this peer counts bumps in boxes only")
        boxes.append(polygon.bbox())
    return boxes


def _starts(low: int, high: int, size: int) -> list[int]:
    """Window starts along one axis, as adk lays them (``adk/checks/windows.py``): from
    ``low`` every window side, the last one at ``high - size``; one cut window when the
    extent is shorter."""
    if high - low <= size:
        return [low]
    return [*range(low, high - size, size), high - size]


def _die_windows(deck: Deck) -> list[kdb.Box]:
    """The 1 mm windows over each die, with the grid of adk's windowed bump density."""
    size = deck.units(WINDOW)
    windows = []
    for die in _boxes(deck.region("DIE")):
        for x in _starts(die.left, die.right, size):
            for y in _starts(die.bottom, die.top, size):
                windows.append(kdb.Box(x, y, min(x + size, die.right), min(y + size, die.top)))
    return windows


def _failing(area_um2: float, count: int) -> bool:
    return count / area_um2 < DENSITY


def _density_indexed(deck: Deck, boxes: list[kdb.Box]) -> int:
    """Boxes holding too few bump centres (boundaries included). A bump's centre lies in a
    box exactly when its bounding box touches the box shrunk by half a bump on each side,
    which the layout's spatial index answers through the arrays without expanding them."""
    half = _bump_side(deck) // 2
    layer, dbu2 = deck.index("UBUMP"), deck.layout.dbu**2
    failing = 0
    for box in boxes:
        probe = box.enlarged(-half, -half)
        shapes = deck.top.begin_shapes_rec_touching(layer, probe)
        count = kdb.Region(shapes).count() if not probe.empty() else 0
        failing += _failing(box.area() * dbu2, count)
    return failing


def _density_interacting(deck: Deck, boxes: list[kdb.Box], centres: kdb.Region) -> int:
    """Boxes holding too few bump centres, as the Region API counts: ``interacting`` with
    a count range, the boxes grouped by area. A centre box touching a box counts, so the
    boxes are shrunk by a dbu: a centre on the boundary then touches, one a dbu out not."""
    groups: dict[int, list[kdb.Box]] = {}
    for box in boxes:
        groups.setdefault(box.area(), []).append(box.enlarged(-1, -1))
    failing = 0
    for area, group in groups.items():
        shrunk = kdb.Region(group)
        shrunk.merged_semantics = False  # the windows of the last column and row overlap
        needed = math.ceil(DENSITY * area * deck.layout.dbu**2 - 1e-9)
        failing += shrunk.interacting(centres, 1, needed - 1).count()
        failing += shrunk.not_interacting(centres).count()
    return failing


# ---------------------------------------------------------------- bridges
def bridges(deck: Deck) -> None:
    """Bridges not over exactly two dies, and landings shorter than the overlap limit
    along the bridge's long side."""
    with deck.clock.part("BR.PL"):
        mode = "deep" if deck.config.rdl == "deep" else "merged"
        bridge, dies = deck.region("BRIDGE", mode), deck.region("DIE", mode)
        wrong = bridge.not_overlapping(dies).count() + bridge.overlapping(dies, 1, 1).count()
        wrong += bridge.overlapping(dies, 3).count()
        limit = deck.units(OVERLAP)
        across = bridge.with_relative_height(0, 1.0, False)  # wider than high: along x
        along = bridge - across
        wrong += (across & dies).with_bbox_width(0, limit, False).count()
        wrong += (along & dies).with_bbox_height(0, limit, False).count()
        deck.counts["BR.PL"] = wrong


# ---------------------------------------------------------------- the run
PARTS: tuple[Callable[[Deck], None], ...] = (keepouts, bumps, bridges)


def check(deck: Deck) -> dict[str, int]:
    """Marker count per rule of ``bench.adk``."""
    (rdl_tiled if deck.config.tiled else rdl_flat)(deck)
    for part in PARTS:
        part(deck)
    counts = {rule: len(pairs) for rule, pairs in deck.pairs.items()}
    return {**counts, **deck.counts}


def write_markers(deck: Deck, path: str) -> None:
    """The width and space markers as a marker database, one category per rule."""
    database = rdb.ReportDatabase("peer")
    database.top_cell_name = deck.top.name
    cell = database.create_cell(deck.top.name)
    dbu = deck.layout.dbu
    for rule, pairs in deck.pairs.items():
        category = database.create_category(rule)
        for pair in pairs:
            item = database.create_item(cell.rdb_id(), category.rdb_id())
            item.add_value(pair.to_dtype(dbu))
    database.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout")
    parser.add_argument("config", choices=CONFIGS)
    parser.add_argument("--threads", type=int, default=2, help="threads of the tiled configs")
    parser.add_argument(
        "--tile", type=float, default=3.0, help="tile side of the tiled configs, mm"
    )
    parser.add_argument("--markers", help="write the RDL width and space markers here")
    args = parser.parse_args()
    clock = Clock()
    with clock.part("read"):
        layout = kdb.Layout()
        layout.read(args.layout)
    deck = Deck(layout, layout.top_cell(), CONFIGS[args.config], args.threads, args.tile, clock)
    counts = check(deck)
    if args.markers:
        write_markers(deck, args.markers)
    print("counts: " + json.dumps(counts))
    print("seconds: " + json.dumps({part: round(s, 3) for part, s in clock.seconds.items()}))


if __name__ == "__main__":
    main()
