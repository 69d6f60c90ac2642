"""3Dblox stacks (.3dbx, .3dbv, .bmap): every construct read, faults with their places,
the writer read back, and a stack checked alike as 3Dblox and as an assembly file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import klayout.db as kdb
import pytest

from adk.assembly import check_assembly, load_assembly
from adk.assembly.bumpmap import bmap_text, load_bump_map, parse_bmap
from adk.assembly.model import Chiplet
from adk.assembly.threedblox import ORIENTS, load_3dbx, write_3dblox
from adk.errors import DeckError
from adk.examples.assembly import write_3dblox_example, write_assembly_example

CHIPLETS = """\
#!define LIB ../lib

Header:
  version: 2.5
  unit: micron
  precision: 2000

ChipletDef:
  TOPDIE:
    type: die
    design_area: [100, 80]
    seal_ring_width: [1, 1, 1, 1]
    scribe_line_remaining_width: [2, 2, 2, 2]
    thickness: 300
    shrink: 1
    tsv: false
    offset: [0, 0]
    cad_layer:
      "108;101":
        type: design_area
    regions:
      front:
        side: front
        coords:
          - [0, 0]
          - [100, 0]
          - [100, 80]
          - [0, 80]
        bmap: top.bmap
        pmap: top.pmap
        layer: metal9
      back:
        side: back
    external:
      APR_tech_file: [LIB/*_tech.lef]
      liberty_file: [LIB/cells.lib]
      LEF_file: [LIB/cells.lef, LIB/bumps.lef]
      DEF_file: ../top.def
      verilog_file: top.v
  BASE:
    type: substrate
    design_area: [300, 300]
    regions:
      pads:
        side: front
        gds_layer: "20;0"
        bmap: base.bmap
"""

STACK = """\
Header:
  version: "1.0"
  unit: micron
  precision: 2000
  include:
    - chiplets.3dbv

Design:
  name: demo
  external:
    verilog_file: top.v

ChipletInst:
  BASE:
    reference: BASE
  TOP:
    reference: TOPDIE
    external:
      verilog_file: top.v
      sdc_file: top.sdc
      def_file: top.def

Stack:
  BASE:
    loc: [0, 0]
    z: 0
    orient: R0
  TOP:
    loc: [200, 100]
    z: 100
    orient: MZ

Connection:
  top_base:
    top: TOP.regions.front
    bot: BASE.regions.pads
    thickness: 0
  top_air:
    top: TOP.regions.back
    bot: ~

Path:
  Path1:
    - TOP.regions.front
    - BASE.regions.pads
  Path2:
    - TOP.regions.front
    - NOT TOP.regions.back
"""

# the top die's bumps as drawn (face up), its pads on the base where they land face down
TOP_BMAP = "# top die\nb1 BUMP 10 10 A A\nb2 BUMP 30 10 B B\nb3 BUMP 50 10 - -\n"
BASE_BMAP = "p1 PAD 190 110 - A\np2 PAD 170 110 - B\np3 PAD 150 110 - -\n"

# the netlist the stack names (Design: external: verilog_file)
NETLIST = """\
module demo;
  wire a, b;
  TOPDIE TOP (.A(a), .B(b));
  BASE BASE (.A(a), .B(b));
endmodule
"""

DECK = """\
deck demo "3Dblox demo" version "1.0"
layer TOP_BASE = TOP.outline and BASE.outline
rule ALIGN "top bumps on base pads" : align(TOP.front, both BASE.pads, within TOP_BASE) <= 0.5 um
rule NETS "nets agree" : nets(TOP.front_net, both BASE.pads_net, within TOP_BASE) <= 5 um
"""


def _stack(folder: Path, stack: str = STACK, chiplets: str = CHIPLETS, top: str = TOP_BMAP) -> Path:
    (folder / "chiplets.3dbv").write_text(chiplets)
    (folder / "top.bmap").write_text(top)
    (folder / "base.bmap").write_text(BASE_BMAP)
    (folder / "demo.adk").write_text(DECK)
    (folder / "top.v").write_text(NETLIST)
    path = folder / "demo.3dbx"
    path.write_text(stack)
    return path


def _faults(path: Path) -> list[str]:
    with pytest.raises(DeckError) as caught:
        load_3dbx(str(path))
    return [
        f"{os.path.basename(d.file)}:{d.line}:{d.column}: {d.message}"
        for d in caught.value.diagnostics
    ]


# ---------------------------------------------------------------- reading
def test_every_construct_is_read(tmp_path: Path) -> None:
    assembly = load_3dbx(str(_stack(tmp_path)))
    assert assembly.name == "demo" and assembly.dbu == pytest.approx(0.0005)
    base, top = assembly.parts
    assert (base.name, top.name) == ("BASE", "TOP")
    assert top.layers == {"outline": (108, 101), "front": (1001, 0), "back": (1002, 0)}
    assert base.layers == {"pads": (20, 0), "outline": (1000, 0)}
    assert top.bump_maps == {"front_net": str(tmp_path / "top.bmap")}
    assert top.drawing is not None and (top.drawing.width, top.drawing.height) == (100, 80)
    assert top.placement.face == "down" and top.placement.offset == (200, 100)
    assert [(c.name, c.top, c.bottom) for c in assembly.connections] == [
        ("top_base", ("TOP", "front"), ("BASE", "pads")),
        ("top_air", ("TOP", "back"), None),
    ]
    assert [(p.name, p.entries) for p in assembly.paths] == [
        ("Path1", (("TOP", "front", False), ("BASE", "pads", False))),
        ("Path2", (("TOP", "front", False), ("TOP", "back", True))),
    ]
    assert assembly.netlist == str(tmp_path / "top.v")
    assert assembly.chiplets["BASE"] == Chiplet("substrate", False, {"pads": "front"})


@pytest.mark.parametrize("orient", [*ORIENTS, "MZ", "MZ_R90", "MZ_MX", "MZ_MY_R90", "r90"])
def test_orientations(tmp_path: Path, orient: str) -> None:
    """Each orientation is KLayout's transform of the same name; MZ turns the part over
    (x -> -x, face down) before it."""
    path = _stack(tmp_path, STACK.replace("orient: MZ", f"orient: {orient}"))
    trans = load_3dbx(str(path)).package_trans("TOP")
    name = orient.upper()
    down = name == "MZ" or name.startswith("MZ_")
    rotation, mirror = ORIENTS[name[3:] or "R0"] if down else ORIENTS[name]
    expected = kdb.DCplxTrans(1, rotation, mirror, 200, 100)
    if down:
        expected = expected * kdb.DCplxTrans(1, 180, True, 0, 0)
    for x, y in ((10, 10), (30, 70)):
        got, want = trans * kdb.DPoint(x, y), expected * kdb.DPoint(x, y)
        assert got.distance(want) < 1e-9, (orient, got, want)
    assert ORIENTS["MY"] == (180, True)  # x -> -x
    assert kdb.DCplxTrans(1, 180, True, 0, 0) * kdb.DPoint(3, 4) == kdb.DPoint(-3, 4)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "    orient: MZ",
            "    orient: R45",
            "demo.3dbx:31:13: 'orient' must be one of R0, R90, R180, R270, MX, MXR90, MY, "
            "MYR90, optionally MZ_-prefixed, or MZ",
        ),
        (
            "    reference: TOPDIE",
            "    reference: NODIE",
            "demo.3dbx:17:16: unknown chiplet 'NODIE' (TOPDIE, BASE)",
        ),
        (
            "    top: TOP.regions.front\n",
            "    top: TOP.regions.side\n",
            "demo.3dbx:35:10: chiplet instance 'TOP' has no region 'side' (front, back)",
        ),
        (
            "    bot: BASE.regions.pads",
            "    bot: BASE/pads",
            "demo.3dbx:36:10: expected INSTANCE.regions.REGION, not 'BASE/pads'",
        ),
        (
            "  Path2:",
            "  Assert2:",
            "demo.3dbx:46:3: path assertion 'Assert2' must be named PathN (Path1, Path2)",
        ),
        (
            "    loc: [200, 100]\n",
            "    loc: [200]\n",
            "demo.3dbx:29:10: 'loc' must be a list of 2 numbers",
        ),
        ("    z: 100\n", "", "demo.3dbx:29:5: Stack entry 'TOP' needs 'z'"),
        (
            "    bot: ~",
            "    bot: ~\n  top_base:\n    top: TOP.regions.back\n    bot: ~",
            "demo.3dbx:41:3: connection 'top_base' is given twice",
        ),
        (
            "  Path2:",
            "  Path1:",
            "demo.3dbx:46:3: path assertion 'Path1' is given twice",
        ),
        ("  unit: micron", "  unit: mm", "demo.3dbx:3:9: 'unit' must be micron, not 'mm'"),
        (
            "Stack:",
            "Stacks:",
            "demo.3dbx:23:1: unknown key 'Stacks' in a 3Dblox stack; expected one of Header, "
            "Design, ChipletInst, Stack, Connection, Path",
        ),
        (
            "    - chiplets.3dbv",
            "    - other.3dbx",
            "demo.3dbx:6:7: include 'other.3dbx': only chiplet definitions (.3dbv) are read",
        ),
    ],
)
def test_stack_faults(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in STACK
    faults = _faults(_stack(tmp_path, STACK.replace(old, new, 1)))
    assert expected in faults, faults


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "    type: substrate",
            "    type: board",
            "chiplets.3dbv:41:11: 'type' must be one of die, rdl, ip, substrate",
        ),
        (
            '        gds_layer: "20;0"',
            '        gds_layer: "20.0"',
            "chiplets.3dbv:46:20: expected a GDS layer LAYER;DATATYPE such as 30;0, not '20.0'",
        ),
        (
            "        side: back",
            "        side: top",
            "chiplets.3dbv:33:15: 'side' must be one of front, back, internal, internal_ext",
        ),
        (
            "    offset: [0, 0]",
            "    offset: [5, 0]",
            "chiplets.3dbv:17:13: 'offset' other than [0, 0] is not supported",
        ),
        (
            "    design_area: [300, 300]\n",
            "",
            "chiplets.3dbv:40:3: chiplet 'BASE' names no GDS_file: it needs 'design_area'",
        ),
        (
            "          - [0, 80]\n",
            "",
            "chiplets.3dbv:25:11: 'coords' must be the 4 corners [x, y] of a rectangle",
        ),
    ],
)
def test_chiplet_faults(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in CHIPLETS
    faults = _faults(_stack(tmp_path, chiplets=CHIPLETS.replace(old, new, 1)))
    assert expected in faults, faults


def test_defines_keep_line_numbers(tmp_path: Path) -> None:
    """A define line is left empty: the faults after it keep their lines."""
    text = "#!define DIE TOPDIE\n" + STACK.replace("reference: TOPDIE", "reference: DIE")
    assert load_3dbx(str(_stack(tmp_path, text))).part("TOP").layers["outline"] == (108, 101)
    faults = _faults(_stack(tmp_path, text.replace("orient: MZ", "orient: MQ")))
    assert any(f.startswith("demo.3dbx:32:13:") for f in faults), faults


def test_bmap_reads_and_round_trips(tmp_path: Path) -> None:
    bumps = parse_bmap(TOP_BMAP, "top.bmap")
    assert bumps.names == ["b1", "b2", "b3"] and bumps.nets == ["A", "B", "-"]
    assert bumps.points.tolist() == [[10, 10], [30, 10], [50, 10]]
    path = tmp_path / "again.bmap"
    path.write_text(bmap_text(bumps))
    again = load_bump_map(str(path))
    assert (again.names, again.nets, again.cells, again.ports) == (
        bumps.names,
        bumps.nets,
        bumps.cells,
        bumps.ports,
    )
    assert again.points.tolist() == bumps.points.tolist()


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "b1 BUMP 1 2 - -\n  b2 BUMP 1 zz - x\n",
            "x.bmap:2:13: 'y' must be a number in um, not 'zz'",
        ),
        ("b1 BUMP 1 2 -\n", "x.bmap:1:1: expected 6 columns (name cell x y port net), found 5"),
        (
            "b1 BUMP 1 2 - -\n# c\nb1 BUMP 3 4 - -\n",
            "x.bmap:3:1: bump 'b1' is listed twice (first on line 1)",
        ),
        ("b1 BUMP inf 2 - -\n", "x.bmap:1:9: 'x' must be a number in um, not 'inf'"),
    ],
)
def test_bmap_faults(text: str, expected: str) -> None:
    with pytest.raises(DeckError) as caught:
        parse_bmap(text, "x.bmap")
    d = caught.value.diagnostics[0]
    assert f"{d.file}:{d.line}:{d.column}: {d.message}" == expected


# ---------------------------------------------------------------- checking
def _markers(run) -> list[tuple[str, str, str]]:
    return sorted((o.rule.id, m.text, str(m.shape)) for o in run.result.outcomes for m in o.markers)


def test_stack_without_layouts_is_checked_at_bump_level(tmp_path: Path) -> None:
    path = _stack(tmp_path)
    assert _markers(check_assembly(str(path), str(tmp_path / "demo.adk"))) == []
    swapped = TOP_BMAP.replace("A A", "X B").replace("B B", "Y A")
    run = check_assembly(str(_stack(tmp_path, top=swapped)), str(tmp_path / "demo.adk"))
    texts = [text for rule, text, _ in _markers(run) if rule in ("ALIGN", "NETS")]
    shorts = [text for rule, text, _ in _markers(run) if text.startswith("netlist short")]
    assert len(shorts) == 2  # the netlist the stack names sees the swap too
    assert texts == [
        "net A (TOP.front_net) on net B (BASE.pads_net) [TOP, BASE]",
        "net A of BASE.pads_net lands on no TOP.front_net of its net [TOP, BASE]",
        "net A of TOP.front_net lands on no BASE.pads_net of its net [TOP, BASE]",
        "net B (TOP.front_net) on net A (BASE.pads_net) [TOP, BASE]",
        "net B of BASE.pads_net lands on no TOP.front_net of its net [TOP, BASE]",
        "net B of TOP.front_net lands on no BASE.pads_net of its net [TOP, BASE]",
    ], texts


def test_cli_checks_a_stack(tmp_path: Path) -> None:
    path = _stack(tmp_path, top=TOP_BMAP.replace("b3 BUMP 50 10", "b3 BUMP 52 10"))
    command = [sys.executable, "-m", "adk", "check-assembly", str(path), "--deck"]
    done = subprocess.run(
        [*command, str(tmp_path / "demo.adk"), "-o", str(tmp_path / "r.lyrdb"), "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    broken = _stack(tmp_path, STACK.replace("orient: MZ", "orient: R45"))
    done = subprocess.run(
        [*command, str(tmp_path / "demo.adk"), str(broken)][:4] + [str(broken)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "demo.3dbx:31:13: error: 'orient'" in done.stderr, done.stderr


@pytest.mark.parametrize("name", ["focos_bridge", "interposer"])
@pytest.mark.parametrize("broken", [False, True])
def test_3dblox_and_yaml_give_identical_markers(tmp_path: Path, name: str, broken: bool) -> None:
    write_assembly_example(name, str(tmp_path), broken, per_layer=True)
    yaml_path = tmp_path / "assembly.yaml"
    written = write_3dblox(load_assembly(str(yaml_path)), str(tmp_path / "x"), "stack")
    deck = str(tmp_path / "assembly.adk")
    from_yaml = check_assembly(str(yaml_path), deck)
    from_stack = check_assembly(written[-1], deck)
    assert _markers(from_stack) == _markers(from_yaml)
    assert bool(_markers(from_yaml)) == broken
    for part in load_assembly(str(yaml_path)).parts:
        assert from_stack.assembled.trans[part.name] == from_yaml.assembled.trans[part.name]


def test_example_with_a_mirrored_bump_map(tmp_path: Path) -> None:
    """The broken 3Dblox example adds HBM1's bump map unmirrored under MZ: only HBM1's
    net rules and its bump map's rule differ from the broken assembly file's."""
    write_3dblox_example("focos_bridge", str(tmp_path), broken=True)
    deck = str(tmp_path / "assembly.adk")
    stack = _markers(check_assembly(str(tmp_path / "stack.3dbx"), deck))
    plain = _markers(check_assembly(str(tmp_path / "assembly.yaml"), deck))
    differ = {rule for rule, *_ in set(stack) ^ set(plain)}
    assert differ == {"HBM1.BR1.NET", "HBM1.FOM.NET", "HBM1.MAP"}
    assert "orient: MZ" in (tmp_path / "stack.3dbx").read_text()
    clean = tmp_path / "clean"
    write_3dblox_example("focos_bridge", str(clean))
    assert _markers(check_assembly(str(clean / "stack.3dbx"), str(clean / "assembly.adk"))) == []
