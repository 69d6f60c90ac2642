"""Bump extraction from the hierarchy equals a flat walk over every shape."""

from __future__ import annotations

import time

import klayout.db as kdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.lang.model import BoolOp, LayerRef, Sizing
from adk.layout import bumps
from tests.util import context, new_layout

UB = (1, 0)


def flat_centres(layout: kdb.Layout, top: kdb.Cell, layer: int) -> np.ndarray:
    """Bounding-box centres of every shape as placed, by flattening in floating point."""
    found = []
    it = top.begin_shapes_rec(layer)
    while not it.at_end():
        shape = it.shape()
        if shape.is_box() or shape.is_polygon() or shape.is_path():
            box = shape.dpolygon.transformed(it.dtrans()).bbox()
            found.append((box.center().x, box.center().y))
        it.next()
    return np.array(found, dtype=float).reshape(-1, 2)


def same_points(a: np.ndarray, b: np.ndarray, atol: float = 1e-6) -> bool:
    def order(p):
        r = np.round(p, 5)
        return p[np.lexsort((r[:, 1], r[:, 0]))]

    return a.shape == b.shape and np.allclose(order(a), order(b), atol=atol)


def test_single_shapes_and_sorting():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    top.shapes(layer).insert(kdb.DBox(10, 0, 20, 10))
    top.shapes(layer).insert(kdb.DPolygon(kdb.DBox(-5, 5, 5, 6)))
    top.shapes(layer).insert(kdb.DPath([kdb.DPoint(0, -10), kdb.DPoint(10, -10)], 2))
    top.shapes(layer).insert(kdb.DText("label", 100, 100))
    got = bumps.centres(layout, top, layer)
    assert np.allclose(got, [[0, 5.5], [5, -10], [15, 5]])


def test_empty_layer():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    assert bumps.centres(layout, top, layer).shape == (0, 2)
    assert bumps.outlines(layout, top, layer) == []
    assert bumps.region_centres(kdb.Region(), 0.001).shape == (0, 2)


def test_rotated_mirrored_magnified_array():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cell = layout.create_cell("B")
    cell.shapes(layer).insert(kdb.DBox(1, 0, 3, 1))  # centre (2, 0.5)
    trans = kdb.DCplxTrans(2, 90, True, 100, 0)  # mirror at x, rotate 90°, magnify 2
    top.insert(
        kdb.DCellInstArray(cell.cell_index(), trans, kdb.DVector(10, 0), kdb.DVector(0, 20), 2, 2)
    )
    got = bumps.centres(layout, top, layer)
    # (2, 0.5) -> mirrored (2, -0.5) -> rotated (0.5, 2) -> x2 (1, 4) -> +(100, 0)
    assert np.allclose(got, [[101, 4], [101, 24], [111, 4], [111, 24]])


def test_arbitrary_angle_uses_the_placed_bounding_box():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cell = layout.create_cell("T")
    triangle = kdb.DPolygon([kdb.DPoint(0, 0), kdb.DPoint(10, 0), kdb.DPoint(0, 4)])
    cell.shapes(layer).insert(triangle)
    trans = kdb.DCplxTrans(1, 30, False, 0, 0)
    top.insert(kdb.DCellInstArray(cell.cell_index(), trans))
    box = triangle.transformed(trans).bbox()
    assert np.allclose(bumps.centres(layout, top, layer), [[box.center().x, box.center().y]])


def test_nested_arrays_and_shapes_in_several_cells():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    bump = layout.create_cell("BUMP")
    bump.shapes(layer).insert(kdb.DBox(-2, -2, 2, 2))
    field = layout.create_cell("FIELD")
    field.shapes(layer).insert(kdb.DBox(-50, -50, -40, -40))
    field.insert(
        kdb.DCellInstArray(
            bump.cell_index(), kdb.DTrans(), kdb.DVector(10, 0), kdb.DVector(0, 10), 3, 2
        )
    )
    top.insert(
        kdb.DCellInstArray(
            field.cell_index(),
            kdb.DCplxTrans(1, 180, False, 0, 0),
            kdb.DVector(1000, 0),
            kdb.DVector(0, 1000),
            2,
            1,
        )
    )
    top.insert(kdb.DCellInstArray(bump.cell_index(), kdb.DTrans(kdb.DVector(-500, 0))))
    got = bumps.centres(layout, top, layer)
    assert len(got) == 2 * (6 + 1) + 1
    assert same_points(got, flat_centres(layout, top, layer))


def test_irregular_arrays_from_oasis(tmp_path):
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cell = layout.create_cell("B")
    cell.shapes(layer).insert(kdb.DBox(0, 0, 3, 3))
    rng = np.random.default_rng(5)
    for x, y in rng.integers(0, 10000, size=(40, 2)):
        top.insert(kdb.CellInstArray(cell.cell_index(), kdb.Trans(int(x), int(y))))
    options = kdb.SaveLayoutOptions()
    options.format = "OASIS"
    options.oasis_compression_level = 10
    path = str(tmp_path / "irregular.oas")
    layout.write(path, options)
    read = kdb.Layout(False)  # not editable: keeps the irregular repetition
    read.read(path)
    read_top = read.top_cell()
    arrays = [i.cell_inst for i in read_top.each_inst()]
    assert any(not a.is_regular_array() and a.size() > 1 for a in arrays)
    read_layer = read.layer(*UB)
    got = bumps.centres(read, read_top, read_layer)
    assert len(got) == 40
    assert same_points(got, flat_centres(layout, top, layer))


def test_subtrees_without_the_layer_are_skipped():
    layout, top = new_layout()
    layer, other = layout.layer(*UB), layout.layer(2, 0)
    cell = layout.create_cell("X")
    cell.shapes(other).insert(kdb.DBox(0, 0, 1, 1))
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(), kdb.DTrans(), kdb.DVector(2, 0), kdb.DVector(0, 2), 100, 100
        )
    )
    assert bumps.placements(layout, top, layer) == {}


def test_region_centres_of_merged_polygons():
    region = kdb.Region([kdb.Box(0, 0, 10, 10), kdb.Box(10, 0, 20, 10), kdb.Box(100, 0, 101, 1)])
    region.merge()
    assert np.allclose(bumps.region_centres(region, 0.001), [[0.01, 0.005], [0.1005, 0.0005]])


def test_outlines_group_equal_shapes():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    octagon = kdb.Polygon(
        [
            kdb.Point(x, y)
            for x, y in [(2, 0), (4, 0), (6, 2), (6, 4), (4, 6), (2, 6), (0, 4), (0, 2)]
        ]
    )
    a, b = layout.create_cell("A"), layout.create_cell("B")
    a.shapes(layer).insert(octagon.moved(100, 100))
    b.shapes(layer).insert(octagon)
    b.shapes(layer).insert(kdb.Box(0, 0, 5, 5))
    top.insert(
        kdb.CellInstArray(
            a.cell_index(),
            kdb.ICplxTrans(2, 90, False, 0, 0),
            kdb.Vector(50, 0),
            kdb.Vector(0, 50),
            4,
            5,
        )
    )
    top.insert(kdb.CellInstArray(b.cell_index(), kdb.Trans(1000, 0)))
    found = sorted(bumps.outlines(layout, top, layer), key=lambda o: len(o.placements))
    assert [len(o.placements) for o in found] == [1, 21]
    assert found[1].polygon == octagon
    assert set(found[1].magnifications()) == {1.0, 2.0}
    placed = sorted(
        (shape.bbox() for shape in found[1].placed(np.arange(21), 1.0)),
        key=lambda box: (box.left, box.bottom),
    )
    assert placed[-1] == kdb.DBox(1000, 0, 1006, 6)
    expected = top.begin_shapes_rec(layer)
    assert sum(1 for _ in iter_shapes(expected)) == 22


def test_placed_outlines_are_on_the_grid_as_klayout_flattens_them():
    # a 3 x 5 dbu triangle under magnifications landing on half units, quarter turns and
    # arbitrary angles, mirrored: every vertex rounded as KLayout rounds it, halves outwards
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cell = layout.create_cell("T")
    cell.shapes(layer).insert(kdb.Polygon([kdb.Point(-3, -1), kdb.Point(0, 4), kdb.Point(1, -1)]))
    for k, (mag, angle, mirror) in enumerate(
        [(1.5, 0, False), (1.5, 90, True), (2.5, 180, False), (1.3, 22.5, True), (1, 45, False)]
    ):
        trans = kdb.ICplxTrans(mag, angle, mirror, 1000 * k + 1, -7)
        top.insert(
            kdb.CellInstArray(cell.cell_index(), trans, kdb.Vector(101, 0), kdb.Vector(0, 33), 2, 2)
        )
    [outline] = bumps.outlines(layout, top, layer)
    placed = outline.placed(np.arange(len(outline.placements)), layout.dbu)
    flattened = [p.to_dtype(layout.dbu) for p in kdb.Region(top.begin_shapes_rec(layer)).each()]
    assert sorted(placed, key=corner) == sorted(flattened, key=corner)


def corner(polygon: kdb.DPolygon) -> tuple[float, float]:
    return polygon.bbox().left, polygon.bbox().bottom


def test_on_grid_rounds_halves_away_from_zero():
    values = np.array([1.5, -1.5, 2.5, -2.5, 0.49, -0.49, 3.0])
    assert bumps.on_grid(values).tolist() == [2.0, -2.0, 3.0, -3.0, 0.0, 0.0, 3.0]


def iter_shapes(it: kdb.RecursiveShapeIterator):
    while not it.at_end():
        yield it.shape()
        it.next()


def test_inside_counts_the_boundary_and_respects_holes():
    ring = kdb.Polygon(kdb.Box(0, 0, 100, 100))
    ring.insert_hole(kdb.Box(40, 40, 60, 60))
    points = np.array(
        [[0, 0], [50, 50], [50, 40], [20, 20], [100, 50], [101, 50], [45, 45], [-1, 0], [30, 100]],
        dtype=float,
    )
    points = points[np.lexsort((points[:, 1], points[:, 0]))]
    got = {tuple(points[i]) for i in bumps.inside(points, ring, 1.0)}
    assert got == {(0, 0), (50, 40), (20, 20), (100, 50), (30, 100)}
    box = kdb.Polygon(kdb.Box(0, 0, 100, 100))
    assert len(bumps.inside(points, box, 1.0)) == 7


def test_context_uses_the_hierarchy_for_drawn_layers_and_regions_otherwise():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    top.shapes(layer).insert(kdb.DBox(0, 0, 10, 10))
    top.shapes(layer).insert(kdb.DBox(5, 0, 15, 10))  # overlaps: two shapes, one polygon
    ctx = context(layout, top, {"UB": UB, "NONE": (9, 9)})
    assert len(ctx.bumps(LayerRef("UB"))) == 2
    grown = Sizing("grow", LayerRef("UB"), 1.0)
    assert np.allclose(ctx.bumps(grown), [[7.5, 5]])
    assert len(ctx.bump_outlines(LayerRef("UB"))) == 1
    assert len(ctx.bump_outlines(BoolOp("or", LayerRef("UB"), LayerRef("NONE")))) == 1
    assert ctx.bumps(LayerRef("NONE")).shape == (0, 2)
    assert ctx.bump_outlines(LayerRef("NONE")) == []


def test_million_bump_array_is_fast():
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cell = layout.create_cell("B")
    cell.shapes(layer).insert(kdb.Box(-5000, -5000, 5000, 5000))
    top.insert(
        kdb.CellInstArray(
            cell.cell_index(),
            kdb.ICplxTrans(1, 33, False, 0, 0),
            kdb.Vector(40000, 0),
            kdb.Vector(0, 40000),
            1000,
            1000,
        )
    )
    start = time.perf_counter()
    got = bumps.centres(layout, top, layer)
    elapsed = time.perf_counter() - start
    assert got.shape == (1000000, 2)
    assert elapsed < 2.0  # typically 0.2 s; generous for a loaded machine


# ---------------------------------------------------------------- random hierarchies
TRANSFORMS = st.builds(
    lambda mag, angle, mirror, dx, dy: kdb.ICplxTrans(mag, angle, mirror, dx, dy),
    st.sampled_from([1.0, 1.0, 0.5, 2.0, 1.25]),
    st.one_of(st.sampled_from([0.0, 90.0, 180.0, 270.0]), st.floats(0, 360)),
    st.booleans(),
    st.integers(-20000, 20000),
    st.integers(-20000, 20000),
)
VECTORS = st.builds(kdb.Vector, st.integers(-5000, 5000), st.integers(-5000, 5000))
SHAPES = st.one_of(
    st.builds(
        lambda x, y, w, h: kdb.Box(x, y, x + w, y + h),
        st.integers(-3000, 3000),
        st.integers(-3000, 3000),
        st.integers(1, 2000),
        st.integers(1, 2000),
    ),
    st.builds(
        lambda x, y, u, v: kdb.Polygon([kdb.Point(x, y), kdb.Point(x + u, y), kdb.Point(x, y + v)]),
        st.integers(-3000, 3000),
        st.integers(-3000, 3000),
        st.integers(1, 2000),
        st.integers(1, 2000),
    ),
)
INSTANCES = st.tuples(TRANSFORMS, VECTORS, VECTORS, st.integers(1, 4), st.integers(1, 3))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(SHAPES, max_size=3), min_size=3, max_size=3),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), INSTANCES), max_size=6),
)
def test_centres_equal_a_flat_walk(cell_shapes, links):
    """Cells 0 (top), 1, 2 with random shapes; links (parent, child) only downwards."""
    layout, top = new_layout()
    layer = layout.layer(*UB)
    cells = [top, layout.create_cell("C1"), layout.create_cell("C2")]
    for cell, shapes in zip(cells, cell_shapes):
        for shape in shapes:
            cell.shapes(layer).insert(shape)
    for parent, child, (trans, a, b, na, nb) in links:
        if parent < child:
            cells[parent].insert(kdb.CellInstArray(cells[child].cell_index(), trans, a, b, na, nb))
    got = bumps.centres(layout, top, layer)
    assert same_points(got, flat_centres(layout, top, layer))
    assert np.all(np.diff(got[:, 0]) >= 0)
    outlined = sum(len(o.placements) for o in bumps.outlines(layout, top, layer))
    assert outlined == len(got)
