"""A layer that is an ``or`` of drawn layers (drawn, pin and fill datatypes) is read as one
region and merged once on the whole layout, and part by part through a tile's window: both
must give the polygons and the markers of merging each part and then their union."""

from __future__ import annotations

import klayout.db as kdb
from hypothesis import given, settings
from hypothesis import strategies as st

import adk
from adk.lang.model import LayerRef
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout

DECK = """\
layer M_DRAW = 1/0
layer M_PIN = 1/10 optional
layer M_FILL = 1/30 optional
layer M = M_DRAW or M_PIN or M_FILL
rule W : width(M) >= 2 um
rule S : space(M) >= 2 um
"""

boxes = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(1, 12), st.integers(1, 12)),
    min_size=1,
    max_size=12,
)


def layout_of(parts: list[list[tuple[int, int, int, int]]]) -> kdb.Layout:
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    for datatype, drawn in zip((0, 10, 30), parts):
        for x, y, w, h in drawn:
            top.shapes(layout.layer(1, datatype)).insert(kdb.DBox(x, y, x + w, y + h))
    return layout


@settings(max_examples=40, deadline=None)
@given(draw=boxes, pin=boxes, fill=boxes)
def test_a_union_read_at_once_is_the_union_of_its_merged_parts(draw, pin, fill, tmp_path_factory):
    layout = layout_of([draw, pin, fill])
    path = str(tmp_path_factory.mktemp("unions") / "union.gds")
    layout.write(path)
    deck = adk.load_deck_text(DECK)
    loaded = LoadedLayout(path, layout, layout.top_cell())
    context = LayoutContext(loaded, deck.layers, deck.units)
    union = context.region(LayerRef("M"))
    parts = kdb.Region()
    for name in ("M_DRAW", "M_PIN", "M_FILL"):
        parts += context.region(LayerRef(name))
    assert (union ^ parts.merged()).is_empty()
    whole = adk.check(loaded, deck, flat_markers=True)
    tiled = adk.check(loaded, deck, flat_markers=True, tile_size=20)
    assert [[m.text for m in o.markers] for o in whole.outcomes] == [
        [m.text for m in o.markers] for o in tiled.outcomes
    ]
    assert [[m.shape.bbox() for m in o.markers] for o in whole.outcomes] == [
        [m.shape.bbox() for m in o.markers] for o in tiled.outcomes
    ]
