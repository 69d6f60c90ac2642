"""none: every merged shape of a layer expression is a violation; and the selections of whole
shapes it is written with, against KLayout's own."""

from __future__ import annotations

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.api import load_deck_text
from adk.checks import runner
from adk.lang.model import SELECT_OPS, LayerRef, Select, Sizing
from tests.util import check, context, new_layout

run = runner("none")
LAYERS = {"A": (1, 0), "B": (2, 0)}


def layout_of(a: list, b: list):
    layout, top = new_layout()
    for name, shapes in (("A", a), ("B", b)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return context(layout, top, LAYERS)


def test_every_merged_shape_is_a_marker_whatever_its_size():
    ctx = layout_of([kdb.DBox(0, 0, 1, 1), kdb.DBox(1, 0, 2, 1), kdb.DBox(5, 5, 5.001, 5.001)], [])
    found = run(check("none", "A"), ctx)
    assert [str(m.shape) for m in found] == [
        "(0,0;0,1;2,1;2,0)",
        "(5,5;5,5.001;5.001,5.001;5.001,5)",
    ]
    assert [m.text for m in found] == ["shape of A"] * 2
    assert [m.measured for m in found] == [0.0, 0.0]


def test_an_empty_layer_passes():
    assert run(check("none", "A"), layout_of([], [kdb.DBox(0, 0, 1, 1)])) == []


def test_texts_name_the_expression_as_the_deck_writes_it():
    ctx = layout_of([kdb.DBox(0, 0, 2, 2)], [kdb.DBox(0, 0, 5, 1)])
    ctx.length_unit = "nm"
    expr = Select("not_inside", LayerRef("A"), Sizing("shrink", LayerRef("B"), 0.1))
    [marker] = run(check("none", expr), ctx)
    assert marker.text == "shape of (A not_inside shrink(B, 100 nm))"


def test_not_inside_keeps_shapes_partly_or_wholly_out():
    ctx = layout_of(
        [kdb.DBox(1, 1, 2, 2), kdb.DBox(9, 1, 11, 2), kdb.DBox(20, 0, 21, 1), kdb.DBox(0, 0, 1, 1)],
        [kdb.DBox(0, 0, 10, 10)],
    )
    found = run(check("none", Select("not_inside", LayerRef("A"), LayerRef("B"))), ctx)
    assert [m.shape.bbox().left for m in found] == [9, 20]  # touching B's edge is inside


def test_a_constraint_is_refused():
    with pytest.raises(Exception, match="none takes no constraint"):
        load_deck_text("layer A = 1/0\nrule N : none(A) >= 1 um2\n")


# ---------------------------------------------------------------- against KLayout
grid = st.integers(0, 40).map(lambda v: v * 500)
size = st.integers(1, 12).map(lambda v: v * 500)
boxes = st.lists(
    st.builds(lambda x, y, w, h: kdb.Box(x, y, x + w, y + h), grid, grid, size, size), max_size=8
)


@settings(max_examples=60, deadline=None)
@given(boxes, boxes, st.sampled_from(SELECT_OPS))
def test_selections_are_klayout_s_on_merged_layers(a, b, op):
    ctx = layout_of(a, b)
    found = run(check("none", Select(op, LayerRef("A"), LayerRef("B"))), ctx)
    left, right = kdb.Region(a).merged(), kdb.Region(b).merged()
    expected = getattr(left, op)(right)
    assert sorted(str(m.shape) for m in found) == sorted(
        str(polygon.to_dtype(0.001)) for polygon in expected.each()
    )
