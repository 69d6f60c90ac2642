"""Finding boxes by rule within a tolerance: the grid index answers as a search of every
box would, borders of its buckets included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adk.report.matching import BoxIndex, boxes_match, format_box

# coordinates on a 1 nm grid near bucket borders of 0.01 um, where rounding bites
coordinate = st.integers(-40, 40).map(lambda n: n / 1000)
box = st.tuples(coordinate, coordinate, coordinate, coordinate)


@given(
    boxes=st.lists(st.tuples(st.sampled_from("AB"), box), max_size=30),
    query=box,
    tolerance=st.sampled_from([0.0, 0.005, 0.01, 0.02]),
    cell=st.sampled_from([0.01, 0.02]),
)
def test_the_index_finds_what_a_search_of_every_box_finds(boxes, query, tolerance, cell):
    index: BoxIndex[int] = BoxIndex(cell)
    for number, (rule, added) in enumerate(boxes):
        index.add(rule, added, number)
    expected = [
        n for n, (rule, b) in enumerate(boxes) if rule == "A" and boxes_match(query, b, tolerance)
    ]
    assert index.find("A", query, tolerance) == expected


def test_boxes_print_in_um_without_float_noise():
    assert format_box((0.1 + 0.2, -0.0, 1e5 + 0.001, 2.5)) == "[0.3, 0, 100000.001, 2.5] um"
