"""The pictures of the HTML report: each violation as KLayout's own layout view draws it
(``klayout.lay``, without a window), and coarse maps of the layout as PNG files: the area
density of each polygon layer and the bump density of each bump layer per die.

The maps are drawn here rather than by a plotting library: a PNG of a few hundred cells
is a few lines of zlib, and the report then needs nothing KLayout and numpy do not give."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import klayout.db as kdb
import klayout.lay as lay
import numpy as np

from adk.checks.base import Geometry, Marker
from adk.lang.model import Deck, DerivedLayer, LayerExpr, LayerRef, is_drawn, layer_names
from adk.layout import bumps
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout
from adk.run.result import RunResult

PICTURE_WIDTH, PICTURE_HEIGHT = 480, 360
# the violation in a colour no default layer style has, with a halo to lift it off hatching
HIGHLIGHT = 0xFF0000
HIGHLIGHT_LINE_WIDTH = 3
HOLLOW = 1  # KLayout's stipple index for no fill: the marker never hides what it marks
# around the marker: a share of its size, and at least this much, so that a violation a
# few database units wide is seen among its neighbours
MARGIN_SHARE, MARGIN_UM = 0.2, 5.0

MAP_CELLS = 64  # cells along the longer side of a density map
MAP_PIXELS = 384  # the longer side of a map's picture
# a bump map's cell spans at least this many bump pitches: a full array then reads as one
# steady density rather than as cells of zero and one bump
PITCHES_PER_CELL = 4
# the colour scale (viridis), low to high; an empty cell is grey, apart from a low one
SCALE = ((0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"), (1.0, "#fde725"))
EMPTY = "#e8e8e8"

# the check kinds that read their first layer as bumps (centres, outlines), and align's
# partner layers, read as bumps too
BUMP_KINDS = ("pitch", "bump_size", "bump_density", "align", "count")
BUMP_PARTNERS = ("to", "both")
DIE_LAYER = "DIE"  # the die outlines, as the shipped decks name them (rules/common.adk)


# ---------------------------------------------------------------- violations
@dataclass(frozen=True)
class LayerStyle:
    """A layer as the pictures show it, for the page's legend."""

    label: str
    colour: str  # #rrggbb


class ViolationPainter:
    """The layout in a layout view without a window, drawing one violation at a time."""

    def __init__(self, loaded: LoadedLayout, deck: Deck):
        """The view takes ``loaded.layout`` over: :meth:`close` frees it."""
        self.view = lay.LayoutView()
        self.view.set_config("background-color", "#ffffff")
        # no grid over the layout, but its scale bar
        for level in range(3):
            self.view.set_config(f"grid-style{level}", "invisible")
        self.view.set_config("grid-show-ruler", "true")
        self.view.show_layout(loaded.layout, False)
        self.view.active_cellview().cell = loaded.top
        self.view.max_hier()
        self._name_layers(deck)

    def _name_layers(self, deck: Deck) -> None:
        """The deck's names on the view's layers, so the legend reads as the deck does."""
        names = {(layer.layer, layer.datatype): layer.name for layer in deck.drawn_layers()}
        entry = self.view.begin_layers()
        while not entry.at_end():
            properties = entry.current().dup()
            number = (properties.source_layer, properties.source_datatype)
            numbers = f"{number[0]}/{number[1]}"
            properties.name = f"{names[number]} {numbers}" if number in names else numbers
            self.view.set_layer_properties(entry, properties)
            entry.next()

    def legend(self) -> list[LayerStyle]:
        return [
            LayerStyle(node.name, f"#{node.eff_fill_color() & 0xFFFFFF:06x}")
            for node in self.view.each_layer()
        ]

    def draw(self, marker: Marker, path: str) -> None:
        """``path``: a PNG of the layout around the marker, the marker highlighted."""
        self.view.clear_markers()
        for shape in _outlines(marker.shape):
            self.view.add_marker(_highlight(shape))
        window = _window(marker.shape.bbox(), PICTURE_WIDTH / PICTURE_HEIGHT)
        self.view.timer()  # settles the view's configuration before it draws
        self.view.save_image_with_options(
            path, PICTURE_WIDTH, PICTURE_HEIGHT, 0, 0, 0, window, False
        )

    def close(self) -> None:
        self.view.clear_markers()
        self.view._destroy()


def _outlines(shape: Geometry) -> list[kdb.DPolygon | kdb.DBox | kdb.DEdge]:
    """What a marker highlights: an edge pair as the area between its edges and the edges
    themselves (the area vanishes when the edges are collinear)."""
    if isinstance(shape, kdb.DEdgePair):
        return [shape.normalized().polygon(0), shape.first, shape.second]
    return [shape]


def _highlight(shape: kdb.DPolygon | kdb.DBox | kdb.DEdge) -> lay.Marker:
    marker = lay.Marker()
    marker.set(shape)
    marker.color = HIGHLIGHT
    marker.frame_color = HIGHLIGHT
    marker.line_width = HIGHLIGHT_LINE_WIDTH
    marker.vertex_size = 0
    marker.dither_pattern = HOLLOW
    marker.halo = 1
    return marker


def _window(box: kdb.DBox, aspect: float) -> kdb.DBox:
    """``box`` grown by the margin, then widened or heightened to the picture's aspect
    (width / height), about its centre."""
    margin = max(MARGIN_SHARE * max(box.width(), box.height()), MARGIN_UM)
    width, height = box.width() + 2 * margin, box.height() + 2 * margin
    width, height = max(width, height * aspect), max(height, width / aspect)
    centre = box.center()
    return kdb.DBox(
        centre.x - width / 2, centre.y - height / 2, centre.x + width / 2, centre.y + height / 2
    )


# ---------------------------------------------------------------- maps
@dataclass(frozen=True)
class Grid:
    """Cells over ``extent`` (µm), ``columns`` by ``rows``, that fit it exactly: as near
    square as whole numbers of them allow, so that no cell sticks out of the extent and
    reads too low (a share) or far too high (bumps per mm² of a sliver)."""

    extent: kdb.DBox
    columns: int
    rows: int

    @classmethod
    def over(cls, extent: kdb.DBox, cell: float) -> Grid:
        """Cells of about ``cell`` µm, one at least."""
        columns = max(1, round(extent.width() / cell))
        rows = max(1, round(extent.height() / cell))
        return cls(extent, columns, rows)

    @property
    def cell_width(self) -> float:
        return self.extent.width() / self.columns

    @property
    def cell_height(self) -> float:
        return self.extent.height() / self.rows


@dataclass(frozen=True)
class DensityMap:
    """Values per cell of a grid, rows bottom to top, with the value the top of the colour
    scale stands for."""

    title: str
    values: np.ndarray
    grid: Grid
    top: float
    unit: str
    note: str  # one line on what the map shows (bumps counted, the densest cell)


def polygon_layers(result: RunResult) -> list[str]:
    """The deck's drawn layers that are not read as bumps."""
    read_as_bumps = set(bump_layers(result))
    return [layer.name for layer in result.deck.drawn_layers() if layer.name not in read_as_bumps]


def bump_layers(result: RunResult) -> list[str]:
    """The drawn layers the run's bump checks read as bumps, in the order of the rules."""
    names: list[str] = []
    for outcome in result.outcomes:
        check = outcome.rule.check
        if check.kind not in BUMP_KINDS:
            continue
        partners = [value for key, value in check.params if key in BUMP_PARTNERS]
        for expr in [check.layers[0], *partners]:
            name = _drawn_name(expr, result.deck)
            if name is not None and name not in names:
                names.append(name)
    return names


def _drawn_name(expr: object, deck: Deck) -> str | None:
    if isinstance(expr, LayerRef) and is_drawn(expr, deck.layers):
        return expr.name
    return None


def area_density_map(context: LayoutContext, name: str, extent: kdb.DBox) -> DensityMap:
    """The share of each cell a layer covers (0 to 1), over ``extent`` (µm)."""
    region = context.region(LayerRef(name))
    grid = Grid.over(extent, max(extent.width(), extent.height()) / MAP_CELLS)
    values = _covered_share(region, grid, context.dbu)
    layer = context.layers[name]
    numbers = f" {layer.layer}/{layer.datatype}" if not isinstance(layer, DerivedLayer) else ""
    whole = region.area() * context.dbu**2 / extent.area()
    return DensityMap(
        title=f"{name}{numbers}",
        values=values,
        grid=grid,
        top=1.0,
        unit="%",
        note=f"densest cell {values.max():.0%}, whole layout {whole:.1%}",
    )


class _Cells(kdb.TileOutputReceiver):
    """Takes the tiling processor's value of each tile into a grid."""

    def __init__(self, values: np.ndarray):
        self.values = values

    def put(self, ix, iy, tile, obj, dbu, clip):
        self.values[iy, ix] = obj


def _covered_share(region: kdb.Region, grid: Grid, dbu: float) -> np.ndarray:
    """Area share per cell. KLayout's tiling processor hands each tile only the shapes
    that touch it (``Region.area(box)`` alone visits every shape for every cell)."""
    values = np.zeros((grid.rows, grid.columns))
    processor = kdb.TilingProcessor()
    processor.dbu = dbu
    processor.input("layer", region)
    processor.tile_size(grid.cell_width, grid.cell_height)
    processor.tile_origin(grid.extent.left, grid.extent.bottom)
    processor.tiles(grid.columns, grid.rows)
    processor.output("cells", _Cells(values))
    # each tile against its own box: tile edges between grid points are rounded to dbu
    processor.queue("_output(cells, to_f(layer.area(_tile.bbox)) / _tile.bbox.area)")
    processor.execute("density map")
    return values


def bump_density_maps(context: LayoutContext, name: str, dies: list[Die]) -> list[DensityMap]:
    """Bumps per mm² per cell: one map per die holding bumps of the layer, and one over the
    layout for the bumps outside every die."""
    index = context.drawn_index(name)
    if index is None:
        return []
    centres = bumps.centres(context.loaded.layout, context.loaded.top, index)
    maps = []
    outside = np.ones(len(centres), dtype=bool)
    for die in dies:
        rows = bumps.inside(centres, die.polygon, context.dbu)
        outside[rows] = False
        if len(rows):
            maps.append(_bump_map(f"{name} on {die.label}", centres[rows], die.extent))
    extent = context.loaded.top.dbbox()
    # an extent of no area (a layout of zero-sized shapes) has no density to show
    if outside.any() and extent.area() > 0:
        label = "outside the dies" if dies else "over the layout"
        maps.append(_bump_map(f"{name} {label}", centres[outside], extent))
    return maps


def _bump_map(title: str, points: np.ndarray, extent: kdb.DBox) -> DensityMap:
    longer = max(extent.width(), extent.height())
    grid = Grid.over(extent, max(longer / MAP_CELLS, PITCHES_PER_CELL * _spacing(points)))
    counts, _, _ = np.histogram2d(
        points[:, 1],
        points[:, 0],
        bins=(grid.rows, grid.columns),
        range=((extent.bottom, extent.top), (extent.left, extent.right)),
    )
    values = counts / (grid.cell_width * grid.cell_height * 1e-6)  # µm² to mm²
    densest = float(values.max())
    return DensityMap(
        title=title,
        values=values,
        grid=grid,
        top=densest or 1.0,
        unit="/mm²",
        note=f"{len(points)} bumps, densest cell {densest:.0f} /mm²",
    )


def _spacing(points: np.ndarray) -> float:
    """The typical distance from a bump to its nearest neighbour (0 for a lone bump)."""
    if len(points) < 2:
        return 0.0
    from scipy.spatial import cKDTree  # here: its half-second import is for bump maps only

    distances, _ = cKDTree(points).query(points, k=2)
    return float(np.median(distances[:, 1]))


@dataclass(frozen=True)
class Die:
    polygon: kdb.Polygon  # dbu
    extent: kdb.DBox  # µm
    label: str


def dies(context: LayoutContext, deck: Deck) -> list[Die]:
    """The deck's die outlines, each named by the drawn layers it comes from (``ASIC``),
    left to right; none when the deck has no die layer."""
    if DIE_LAYER not in deck.layers:
        return []
    region = context.region(LayerRef(DIE_LAYER))
    polygons = sorted(region.each(), key=lambda p: (p.bbox().left, p.bbox().bottom))
    return [
        Die(polygon, polygon.bbox().to_dtype(context.dbu), _die_label(context, deck, polygon))
        for polygon in polygons
    ]


def _die_label(context: LayoutContext, deck: Deck, polygon: kdb.Polygon) -> str:
    box = polygon.bbox().to_dtype(context.dbu)
    where = f"[{box.left:g}, {box.bottom:g}, {box.right:g}, {box.top:g}] um"
    layer = deck.layers[DIE_LAYER]
    sources = layer_names(layer.expr) if isinstance(layer, DerivedLayer) else [DIE_LAYER]
    alone = kdb.Region(polygon)
    names = [name for name in sources if _covers(context, LayerRef(name), alone)]
    return f"{' and '.join(names) or DIE_LAYER} die at {where}"


def _covers(context: LayoutContext, expr: LayerExpr, die: kdb.Region) -> bool:
    return not context.region(expr).interacting(die).is_empty()


# ---------------------------------------------------------------- PNG
def map_size(density: DensityMap) -> tuple[int, int]:
    """The map's picture in pixels (width, height): each cell a square of whole pixels."""
    rows, columns = density.values.shape
    scale = max(1, MAP_PIXELS // max(rows, columns))
    return columns * scale, rows * scale


def map_png(density: DensityMap) -> bytes:
    """The map as a PNG, north up."""
    rows, _ = density.values.shape
    scale = map_size(density)[1] // rows
    rgb = colours(density.values[::-1] / density.top)
    return png(np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1))


def colours(shares: np.ndarray) -> np.ndarray:
    """RGB (uint8) for values from 0 to 1 along the colour scale; an empty cell grey."""
    stops = np.array([stop for stop, _ in SCALE])
    rgb = np.array([_rgb(colour) for _, colour in SCALE], dtype=float)
    clipped = np.clip(shares, 0.0, 1.0)
    channels = [np.interp(clipped, stops, rgb[:, channel]) for channel in range(3)]
    result = np.stack(channels, axis=-1)
    result[shares <= 0] = _rgb(EMPTY)
    return np.round(result).astype(np.uint8)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (height, width, 3) uint8 array."""
    height, width, _ = rgb.shape
    # each row starts with its filter type, 0: the bytes as they are
    rows = np.hstack([np.zeros((height, 1), dtype=np.uint8), rgb.reshape(height, width * 3)])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
