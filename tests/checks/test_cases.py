"""Every check kind against cases that carry their expected markers: ``cases/<kind>.yaml``.

A case file holds a small deck and named cases::

    deck: |
      layer M = 1/0
      rule W "minimum width" : width(M) >= 2 um
    cases:
      narrow_line:
        draw:                          # the top cell
          M:                           # a drawn layer of the deck, or "LAYER/DATATYPE"
            - box 0 0 10 1.5
        labels:
          - expect W "width 1.5 um < 2 um" at 5 0.75
          - ok W at 5 20
      in_a_cell:
        cells:                         # child cells, drawn like the top cell
          BUMP:
            UB: [octagon 0 0 20]
        draw:
          place: [BUMP 0 0 r90 mx array 3 2 40 40]
        labels: [...]
        xfail: {r90: "why adk's answer is wrong there"}   # or a string: every variant

Shapes, in µm on a 1 nm grid (dbu 0.001), snapped to it when inserted:

- ``box X1 Y1 X2 Y2``;
- ``poly X1 Y1 X2 Y2 X3 Y3 ...``: a polygon through its corners;
- ``path WIDTH X1 Y1 X2 Y2 ...``: a path with flush ends;
- ``octagon X Y D``: a regular octagon centred at (X, Y), D across the flats, sides
  horizontal, vertical and at 45°;
- ``circle X Y D N``: N vertices on the circle of diameter D centred at (X, Y);
- ``text X Y STRING``: a text at (X, Y), such as the net names of bump maps.

A layer with an empty list (``P: []``) is in the layout with no shapes: its rules are
checked, where a layer not drawn at all leaves them unchecked.

A ``place`` entry is ``CELL X Y [r90|r180|r270] [mx] [mag M] [array NX NY DX DY]``: the
cell mirrored about its x axis (``mx``), rotated counter-clockwise, magnified M times,
then moved to (X, Y), KLayout's order; ``array`` repeats it NX times DX apart along x
and NY times DY apart along y (the steps in the parent's axes). The bump kinds read
such arrays without flattening them.

Labels are text shapes on the annotation layer 255/0 of the top cell, at (X, Y), so
that they move with the layout in every variant and are read back from it:

- ``expect RULE "TEXT" at X Y``: a marker of RULE with exactly TEXT lies there;
- ``ok RULE at X Y``: a spot where RULE is exercised (at its limit, say) and must not fire.

A label line whose text holds ``: `` is quoted whole in YAML (``- 'expect E "a: b" at 0 0'``).

The markers are those ``adk check`` reports: the edge pairs (density: the windows) of one
defect joined into one marker unless the rule asks for ``markers pairs`` (``markers
windows``), so the label of a joined marker carries its whole text
(``expect W "width 0 um < 2 um (2 edge pairs)" at 10 10``). A marker filed in a cell
(found alike at every placement of an arrayed cell) is matched at each placement, and
at each it must be the cell's marker placed there.

Matching, per rule: a marker *covers* a label when the label's point lies in the
marker's bounding box grown by 1 µm on every side (the boundary included). Markers
are paired one-to-one with the ``expect`` labels of their rule, a marker only with a
label it covers whose text equals the marker's text, by a maximum bipartite
matching (augmenting paths). A marker left without a label is a false positive, an
``expect`` label left without a marker a false negative, and a marker covering an
``ok`` label of its rule is a false positive at that spot. A rule with labels must
be checked (the case draws all its layers); a rule without labels must give no
marker. Labels count in the layout's extent (they are shapes of the top cell), which
the density kind's windows cover: keep them inside the drawn shapes' extent there.

Each case runs as drawn and on transformed copies of its layout; the same labels,
transformed with it, must match the same texts:

- ``r90``, ``r180``, ``r270``: the whole layout rotated counter-clockwise about the origin;
- ``mx``: the whole layout mirrored about the x axis;
- ``in_cell``: the top cell's shapes moved into a child cell placed once, mirrored,
  rotated and moved off the origin, so that they land where they were;
- ``flat``: the layout flattened into its top cell (only for cases with cells).
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import klayout.db as kdb
import pytest
import yaml

import adk
from adk.checks import kind_names
from adk.checks.base import Marker
from adk.lang.model import Deck, DrawnLayer
from adk.layout.reader import LoadedLayout

CASES = Path(__file__).parent / "cases"
DBU = 0.001
ANNOTATION = (255, 0)
REACH = 1.0  # µm: a label this far outside a marker's bounding box is still covered
TOP = "TOP"

# in_cell: mirrored, rotated by 270° and moved by (123.457, -65.432) µm, on the grid
CHILD_PLACEMENT = kdb.ICplxTrans(1, 270, True, 123457, -65432)
ROTATIONS = {"r90": kdb.Trans.R90, "r180": kdb.Trans.R180, "r270": kdb.Trans.R270}
VARIANTS = ("drawn", "r90", "r180", "r270", "mx", "in_cell", "flat")
CASE_KEYS = {"cells", "draw", "labels", "xfail"}


# ---------------------------------------------------------------- case files
@dataclass(frozen=True)
class Case:
    kind: str
    name: str
    spec: dict

    @property
    def has_cells(self) -> bool:
        return bool(self.spec.get("cells"))

    def labels(self) -> list[str]:
        return list(self.spec.get("labels") or [])

    def xfail(self, variant: str) -> str | None:
        """Why adk's answer in ``variant`` is known to be wrong, or None."""
        reasons = self.spec.get("xfail")
        if isinstance(reasons, str):
            return reasons
        return (reasons or {}).get(variant)


def case_file(kind: str) -> dict:
    with open(CASES / f"{kind}.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def cases_of(kind: str) -> list[Case]:
    cases = [Case(kind, name, spec) for name, spec in case_file(kind)["cases"].items()]
    for case in cases:
        check_keys(case)
    return cases


def check_keys(case: Case) -> None:
    """A misspelt key would silently drop shapes, labels or an expected failure."""
    unknown = set(case.spec) - CASE_KEYS
    xfail = case.spec.get("xfail")
    if isinstance(xfail, dict):
        unknown |= set(xfail) - set(VARIANTS)
    if unknown:
        raise ValueError(f"{case.kind}.yaml, case {case.name}: unknown keys {sorted(unknown)}")


@cache
def deck_of(kind: str) -> Deck:
    return adk.load_deck_text(case_file(kind)["deck"], str(CASES / f"{kind}.yaml"))


def variants_of(case: Case) -> list[str]:
    return [v for v in VARIANTS if v != "flat" or case.has_cells]


def all_runs() -> list:
    runs = []
    for kind in sorted(path.stem for path in CASES.glob("*.yaml")):
        for case in cases_of(kind):
            for variant in variants_of(case):
                reason = case.xfail(variant)
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                runs.append(
                    pytest.param(case, variant, id=f"{kind}-{case.name}-{variant}", marks=marks)
                )
    return runs


# ---------------------------------------------------------------- drawing
def numbers(words: list[str]) -> list[float]:
    return [float(word) for word in words]


def octagon(x: float, y: float, flats: float) -> kdb.DPolygon:
    corner = flats / 2 * math.tan(math.pi / 8)  # half a side
    half = flats / 2
    points = [
        (half, -corner),
        (half, corner),
        (corner, half),
        (-corner, half),
        (-half, corner),
        (-half, -corner),
        (-corner, -half),
        (corner, -half),
    ]
    return kdb.DPolygon([kdb.DPoint(x + px, y + py) for px, py in points])


def circle(x: float, y: float, diameter: float, vertices: int) -> kdb.DPolygon:
    angles = (2 * math.pi * k / vertices for k in range(vertices))
    radius = diameter / 2
    return kdb.DPolygon(
        [kdb.DPoint(x + radius * math.cos(a), y + radius * math.sin(a)) for a in angles]
    )


def points(values: list[float]) -> list[kdb.DPoint]:
    return [kdb.DPoint(x, y) for x, y in zip(values[::2], values[1::2])]


def shape(text: str):
    """A shape of the notation as a klayout.db object in µm."""
    word, *rest = text.split()
    if word == "text" and len(rest) == 3:
        return kdb.DText(rest[2], float(rest[0]), float(rest[1]))
    values = numbers(rest)
    if word == "box" and len(values) == 4:
        return kdb.DBox(*values)
    if word == "poly" and len(values) >= 6 and len(values) % 2 == 0:
        return kdb.DPolygon(points(values))
    if word == "path" and len(values) >= 5 and len(values) % 2 == 1:
        return kdb.DPath(points(values[1:]), values[0])
    if word == "octagon" and len(values) == 3:
        return octagon(*values)
    if word == "circle" and len(values) == 4:
        return circle(*values[:3], int(values[3]))
    raise ValueError(f"not a shape of the notation: {text!r}")


def placement(text: str, cells: dict[str, kdb.Cell]) -> kdb.DCellInstArray:
    """A ``place`` entry as a cell instance (array) in µm."""
    name, x, y, *options = text.split()
    angle, mirror, mag = 0, False, 1.0
    rows = None
    while options:
        option = options.pop(0)
        if option in ("r90", "r180", "r270"):
            angle = int(option[1:])
        elif option == "mx":
            mirror = True
        elif option == "mag":
            mag = float(options.pop(0))
        elif option == "array":
            rows, options = numbers(options[:4]), options[4:]
        else:
            raise ValueError(f"not a placement of the notation: {text!r}")
    trans = kdb.DCplxTrans(mag, angle, mirror, float(x), float(y))
    index = cells[name].cell_index()
    if rows is None:
        return kdb.DCellInstArray(index, trans)
    nx, ny, dx, dy = rows
    return kdb.DCellInstArray(
        index, trans, kdb.DVector(dx, 0), kdb.DVector(0, dy), int(nx), int(ny)
    )


def layer_numbers(name: str, deck: Deck) -> tuple[int, int]:
    """A drawn layer of the deck by name, or a literal ``LAYER/DATATYPE``."""
    layer = deck.layers.get(name)
    if isinstance(layer, DrawnLayer):
        return layer.layer, layer.datatype
    number, datatype = name.split("/")
    return int(number), int(datatype)


def fill(cell: kdb.Cell, content: dict, cells: dict[str, kdb.Cell], deck: Deck) -> None:
    layout = cell.layout()
    for key, entries in content.items():
        if key == "place":
            for entry in entries:
                cell.insert(placement(entry, cells))
            continue
        shapes = cell.shapes(layout.layer(*layer_numbers(key, deck)))
        for entry in entries:
            shapes.insert(shape(entry))


def label_words(line: str) -> tuple[list[str], float, float]:
    """A label line as its words before ``at`` and its point."""
    if not isinstance(line, str):  # YAML reads a text holding ": " as a mapping
        raise ValueError(f"quote the whole label line in YAML: {line!r}")
    words = shlex.split(line)
    if len(words) < 4 or words[-3] != "at":
        raise ValueError(f"a label ends with 'at X Y': {line!r}")
    return words[:-3], float(words[-2]), float(words[-1])


def draw(case: Case) -> kdb.Layout:
    """The case's layout: its cells, its top cell and its labels."""
    deck = deck_of(case.kind)
    layout = kdb.Layout()
    layout.dbu = DBU
    top = layout.create_cell(TOP)
    cells = {name: layout.create_cell(name) for name in case.spec.get("cells") or {}}
    for name, content in (case.spec.get("cells") or {}).items():
        fill(cells[name], content, cells, deck)
    fill(top, case.spec.get("draw") or {}, cells, deck)
    annotation = top.shapes(layout.layer(*ANNOTATION))
    for line in case.labels():
        words, x, y = label_words(line)
        annotation.insert(kdb.DText(shlex.join(words), x, y))
    return layout


# ---------------------------------------------------------------- variants
def top_of(layout: kdb.Layout) -> kdb.Cell:
    return layout.cell(TOP)


def moved_into_child(layout: kdb.Layout) -> None:
    """The top cell's shapes moved into a child placed with CHILD_PLACEMENT, so that
    they land where they were."""
    top = top_of(layout)
    child = layout.create_cell("SHAPES")
    back = CHILD_PLACEMENT.inverted()
    for index in layout.layer_indexes():
        child.shapes(index).insert(top.shapes(index), back)
        top.shapes(index).clear()
    top.insert(kdb.CellInstArray(child.cell_index(), CHILD_PLACEMENT))


def variant(layout: kdb.Layout, name: str) -> kdb.Layout:
    """``layout`` changed into the variant ``name`` (in place)."""
    if name in ROTATIONS:
        layout.transform(kdb.Trans(ROTATIONS[name]))
    elif name == "mx":
        layout.transform(kdb.Trans(kdb.Trans.M0))
    elif name == "in_cell":
        moved_into_child(layout)
    elif name == "flat":
        top_of(layout).flatten(True)
    elif name != "drawn":
        raise ValueError(f"no such variant: {name}")
    return layout


# ---------------------------------------------------------------- matching
@dataclass(frozen=True)
class Label:
    kind: str  # "expect" or "ok"
    rule: str
    text: str | None  # the marker text an expect label asks for
    point: kdb.DPoint


def parse_label(string: str, point: kdb.DPoint) -> Label:
    words = shlex.split(string)
    if words[0] == "expect" and len(words) == 3:
        return Label("expect", words[1], words[2], point)
    if words[0] == "ok" and len(words) == 2:
        return Label("ok", words[1], None, point)
    raise ValueError(f"not 'expect RULE \"TEXT\"' or 'ok RULE': {string!r} at {point}")


def read_labels(layout: kdb.Layout) -> list[Label]:
    """The labels as the layout holds them, at their places in the top cell."""
    shapes = top_of(layout).begin_shapes_rec(layout.layer(*ANNOTATION))
    labels = []
    while not shapes.at_end():
        text = shapes.shape().text.transformed(shapes.trans())
        labels.append(parse_label(text.string, text.position().to_dtype(layout.dbu)))
        shapes.next()
    return labels


def covers(marker: Marker, label: Label) -> bool:
    return marker.shape.bbox().enlarged(REACH, REACH).contains(label.point)


def matching(markers: list[Marker], expects: list[Label]) -> dict[int, int]:
    """A maximum one-to-one pairing of markers with labels they cover and whose text
    they carry: expect label number -> marker number (Kuhn's augmenting paths)."""
    fits = [
        [
            j
            for j, label in enumerate(expects)
            if label.text == marker.text and covers(marker, label)
        ]
        for marker in markers
    ]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(markers)):
        augment(i, set())
    return owner


def rule_problems(rule: str, markers: list[Marker], labels: list[Label]) -> list[str]:
    """The false positives and false negatives of one rule."""
    expects = [label for label in labels if label.kind == "expect"]
    owner = matching(markers, expects)
    matched = set(owner.values())
    problems = [
        f"{rule}: unexpected marker {m.text!r} at {m.shape.bbox()}"
        for i, m in enumerate(markers)
        if i not in matched
    ]
    problems += [
        f"{rule}: no marker {label.text!r} at {label.point}"
        for j, label in enumerate(expects)
        if j not in owner
    ]
    problems += [
        f"{rule}: marker {m.text!r} at {m.shape.bbox()} covers the ok label at {label.point}"
        for label in labels
        if label.kind == "ok"
        for m in markers
        if covers(m, label)
    ]
    return problems


def problems_of(case: Case, layout: kdb.Layout) -> list[str]:
    """Every way the markers of the case's deck on ``layout`` differ from its labels."""
    deck = deck_of(case.kind)
    labels = read_labels(layout)
    rules = {rule.id for rule in deck.rules}
    problems = [
        f"label of no rule of the deck: {lab.rule}" for lab in labels if lab.rule not in rules
    ]
    loaded = LoadedLayout(f"<{case.kind}-{case.name}>", layout, top_of(layout))
    for outcome in adk.check(loaded, deck).outcomes:
        own = [label for label in labels if label.rule == outcome.rule.id]
        if own and not outcome.checked:
            problems.append(f"{outcome.rule.id}: not checked, missing {outcome.missing}")
        placed = [flat for marker in outcome.markers for flat in marker.each_placement()]
        problems += rule_problems(outcome.rule.id, placed, own)
        problems += filing_problems(outcome.rule.id, outcome.markers, loaded)
    return problems


def filing_problems(rule: str, markers: list[Marker], loaded: LoadedLayout) -> list[str]:
    """A marker filed in a cell must be, at each placement of the cell (as KLayout's
    instance iterator places it), the cell's marker there: the same box, to a nanometre."""
    problems = []
    for marker in markers:
        if marker.filed is None:
            continue
        expected = sorted(
            _box(marker.filed.shape.transformed(trans))
            for trans in placements_of(loaded, marker.filed.cell)
        )
        found = sorted(_box(flat.shape) for flat in marker.each_placement())
        if expected != found:
            problems.append(f"{rule}: {marker.text!r} filed in {marker.filed.cell}: {found}")
    return problems


def placements_of(loaded: LoadedLayout, cell: str) -> list[kdb.DCplxTrans]:
    """Every placement of ``cell`` in the top cell, arrays expanded, in µm."""
    layout = loaded.layout
    iterator = kdb.RecursiveInstanceIterator(layout, loaded.top)
    iterator.targets = [layout.cell(cell).cell_index()]
    found = []
    while not iterator.at_end():
        trans = iterator.trans() * iterator.inst_trans()
        found.append(kdb.CplxTrans(layout.dbu) * trans * kdb.VCplxTrans(1 / layout.dbu))
        iterator.next()
    return found


def _box(shape) -> tuple[float, ...]:
    box = shape.bbox()
    return tuple(round(value, 3) for value in (box.left, box.bottom, box.right, box.top))


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize(("case", "variant_name"), all_runs())
def test_markers_match_the_labels(case: Case, variant_name: str):
    layout = variant(draw(case), variant_name)
    problems = problems_of(case, layout)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", kind_names())
def test_every_kind_has_cases_that_pass_and_cases_that_fail(kind: str):
    cases = cases_of(kind)
    assert all(case.labels() for case in cases), "a case without labels tests nothing"
    expecting = [any(line.startswith("expect") for line in case.labels()) for case in cases]
    assert any(expecting), f"{kind}: no case where a rule must fire"
    assert not all(expecting), f"{kind}: no case where every rule must stay silent"


@pytest.mark.parametrize("kind", kind_names())
def test_a_kind_s_deck_checks_that_kind_only(kind: str):
    assert {rule.check.kind for rule in deck_of(kind).rules} == {kind}


# ---------------------------------------------------------------- the matching itself
def box_marker(x1: float, y1: float, x2: float, y2: float, text: str = "width 1 um < 2 um"):
    return Marker(kdb.DBox(x1, y1, x2, y2), 1.0, text)


def expect(x: float, y: float, text: str = "width 1 um < 2 um") -> Label:
    return Label("expect", "W", text, kdb.DPoint(x, y))


def test_matching_finds_the_pairing_a_greedy_one_misses():
    # the long marker covers both labels, the short one only the first: taking the first
    # label for the long marker would leave the short one unmatched
    markers = [box_marker(0, 0, 20, 1), box_marker(0, 0, 1, 1)]
    labels = [expect(0.5, 0.5), expect(19, 0.5)]
    assert rule_problems("W", markers, labels) == []


def test_two_markers_never_share_one_label():
    markers = [box_marker(0, 0, 1, 1), box_marker(0, 0, 1, 1)]
    assert rule_problems("W", markers, [expect(0.5, 0.5)]) == [
        "W: unexpected marker 'width 1 um < 2 um' at (0,0;1,1)"
    ]


def test_a_label_needs_the_marker_s_exact_text_within_a_micron():
    markers = [box_marker(0, 0, 1, 1)]
    assert rule_problems("W", markers, [expect(2, 2)]) == []  # the grown box holds its edge
    problems = rule_problems("W", markers, [expect(2.001, 0), expect(0.5, 0.5, "width 1 um")])
    assert len(problems) == 3  # the marker and both labels are left over


def test_a_marker_over_an_ok_label_is_a_false_positive():
    ok = Label("ok", "W", None, kdb.DPoint(0.5, 0.5))
    assert rule_problems("W", [box_marker(0, 0, 1, 1)], [expect(0.5, 0.5), ok]) == [
        "W: marker 'width 1 um < 2 um' at (0,0;1,1) covers the ok label at 0.5,0.5"
    ]


def test_a_failing_case_without_its_expect_labels_fails():
    [case] = [case for case in cases_of("width") if case.name == "one_grid_step_too_narrow"]
    unlabelled = Case(case.kind, case.name, {**case.spec, "labels": []})
    assert problems_of(unlabelled, draw(unlabelled)) == [
        "W: unexpected marker 'width 1.999 um < 2 um' at (0,0;20,1.999)"
    ]
