"""Assembly files and bump maps: what they mean, and every fault reported with its line."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from adk.assembly import parse_assembly
from adk.assembly.bumpmap import parse_bump_map
from adk.assembly.model import PACKAGE, Chiplet
from adk.errors import DeckError

GOOD = """\
# a die on an interposer
assembly: demo
dbu: 0.001
deck: demo.adk
parts:
  IP:
    layout: ip.gds
    layers: {outline: 1/0, pad: 20/0}
    bump_map: {pad: ip_pads.csv}
  ASIC:
    layout: dies/asic.oas
    top: ASIC_TOP
    on: IP
    at: [1200.5, -300]
    rotation: 270
    mirror: false
    magnification: 0.98
    face: down
    layers:
      outline: 1/0
      bump: [30, 0]
    bump_map: asic_bumps.csv
    deck: asic.adk
    layer_map: asic_map.yaml
"""


def faults(text: str) -> list[str]:
    with pytest.raises(DeckError) as caught:
        parse_assembly(textwrap.dedent(text), "/work/a.yaml")
    return [f"{d.line}:{d.column}: {d.message}" for d in caught.value.diagnostics]


def test_every_key_is_read():
    assembly = parse_assembly(GOOD, "/work/a.yaml")
    assert (assembly.name, assembly.dbu, assembly.deck) == ("demo", 0.001, "/work/demo.adk")
    ip, asic = assembly.parts
    assert (ip.name, ip.carrier, ip.layout) == ("IP", PACKAGE, "/work/ip.gds")
    assert ip.bump_maps == {"pad_net": "/work/ip_pads.csv"}
    assert asic.layout == "/work/dies/asic.oas" and asic.top == "ASIC_TOP"
    assert asic.carrier == "IP"
    placement = asic.placement
    assert (placement.offset, placement.rotation, placement.mirror) == (
        (1200.5, -300.0),
        270,
        False,
    )
    assert (placement.magnification, placement.face) == (0.98, "down")
    assert asic.layers == {"outline": (1, 0), "bump": (30, 0)}
    assert asic.bump_maps == {"net": "/work/asic_bumps.csv"}
    assert (asic.deck, asic.layer_map) == ("/work/asic.adk", "/work/asic_map.yaml")
    assert asic.layer_spans["bump"].line == 21
    assert [part.name for part in assembly.stacked()] == ["IP", "ASIC"]


def test_parts_sit_on_their_carriers_in_any_file_order():
    text = "parts:\n  A: {layout: a.gds, on: B}\n  B: {layout: b.gds}\n"
    assembly = parse_assembly(text, "/work/a.yaml")
    assert [part.name for part in assembly.stacked()] == ["B", "A"]
    assert assembly.stack("A") == ["A", "B"]


def test_a_shipped_deck_may_be_named():
    text = "parts:\n  A: {layout: a.gds, deck: focos_bridge}\n"
    assert parse_assembly(text, "/work/a.yaml").parts[0].deck == "focos_bridge"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", "1:1: an assembly is a mapping with a 'parts' mapping"),
        ("assembly: x\n", "1:1: an assembly needs 'parts': a mapping of part names to parts"),
        ("parts: [a]\n", "1:8: 'parts' must be a mapping of part names to parts"),
        ("parts:\n  A: {layout: a.gds}\nextra: 1\n", "3:1: unknown key 'extra' in assembly;"),
        ("parts:\n  A: {layout: a.gds, rotate: 90}\n", "2:22: unknown key 'rotate' in part 'A'"),
        ("parts:\n  A: {top: T}\n", "2:3: part 'A' needs 'layout': its GDS or OASIS file"),
        ("parts:\n  A: {layout: a.gds}\n  A: {layout: b.gds}\n", "3:3: part 'A' is given twice"),
        ("parts:\n  1A: {layout: a.gds}\n", "2:3: part name '1A' is not a name"),
        ("parts:\n  package: {layout: a.gds}\n", "2:3: 'package' is the carrier of the parts"),
        (
            "parts:\n  A: {layout: a.gds, on: B}\n",
            "2:26: unknown carrier 'B': not package nor a part (A)",
        ),
        ("parts:\n  A: {layout: a.gds, on: A}\n", "2:26: part 'A' cannot sit on itself"),
        (
            "parts:\n  A: {layout: a.gds, on: B}\n  B: {layout: b.gds, on: A}\n",
            "2:26: the parts sit on each other in a loop: A on B on A",
        ),
        (
            "parts:\n  A: {layout: a.gds, rotation: 45}\n",
            "2:32: 'rotation' must be one of 0, 90, 180, 270",
        ),
        ("parts:\n  A: {layout: a.gds, rotation: 090}\n", "2:32: 'rotation' must be one of"),
        ("parts:\n  A: {layout: a.gds, at: [1]}\n", "2:26: 'at' must be [x, y] in um"),
        ("parts:\n  A: {layout: a.gds, at: [1, x]}\n", "2:30: 'at' must be a number"),
        ("parts:\n  A: {layout: a.gds, at: [1e7, 0]}\n", "2:26: 'at' must lie within 1e+06 um"),
        ("parts:\n  A: {layout: a.gds, at: [.inf, 0]}\n", "2:27: 'at' must be a number"),
        ("parts:\n  A: {layout: a.gds, mirror: yes}\n", "2:30: 'mirror' must be true or false"),
        ("parts:\n  A: {layout: a.gds, face: under}\n", "2:28: 'face' must be up or down"),
        (
            "parts:\n  A: {layout: a.gds, magnification: 0}\n",
            "2:37: 'magnification' must be between",
        ),
        ("dbu: 0\nparts:\n  A: {layout: a.gds}\n", "1:6: 'dbu' must be a database unit in um"),
        (
            "parts:\n  A: {layout: a.gds, layers: {b: 30}}\n",
            "2:34: layer 'b': expected layer/datatype",
        ),
        (
            "parts:\n  A: {layout: a.gds, layers: {b: 70000/0}}\n",
            "2:34: layer 'b': layer and datatype",
        ),
        ("parts:\n  A: {layout: a.gds, layers: [b]}\n", "2:30: 'layers' must be a mapping"),
        (
            "parts:\n  A: {layout: a.gds, layers: {b: 1/0, b: 2/0}}\n",
            "2:39: layer 'b' of part 'A' is given twice",
        ),
        (
            "parts:\n  A: {layout: a.gds, layers: {b.x: 1/0}}\n",
            "2:31: layer name 'b.x' is not a name",
        ),
        (
            "parts:\n  A: {layout: a.gds, bump_map: {b: m.csv}}\n",
            "2:33: bump map of 'b': the part names no such layer",
        ),
        (
            "parts:\n  A: {layout: a.gds, layers: {net: 1/0}, bump_map: m.csv}\n",
            "2:52: 'net' is the layer its bump map makes",
        ),
        (
            "parts:\n  A: {layout: a.gds, layer_map: m.yaml}\n",
            "2:33: 'layer_map' is for the part's deck",
        ),
        (
            "parts:\n  A: {layout: !!python/object:os.system x}\n",
            "2:15: 'layout' must be a non-empty text",
        ),
        ("parts:\n  A: {layout: ''}\n", "2:15: 'layout' must be a non-empty text"),
    ],
)
def test_each_fault_is_reported_at_its_place(text, expected):
    found = faults(text)
    assert any(f.startswith(expected) for f in found), found


STACK = """\
netlist: package.v
parts:
  IP:
    layout: ip.gds
    layers: {outline: 1/0, pad: 20/0, c4: 35/0}
    type: rdl
    sides: {c4: back}
  ASIC: {layout: asic.gds, on: IP, layers: {outline: 1/0, bump: 30/0}, type: die, tsv: true}
  LID: {layout: lid.gds, layers: {outline: 1/0, glue: 40/0}}
connections:
  asic_ip: {top: ASIC.bump, bottom: IP.pad}
  ip_air: {top: IP.c4, bottom: ~}
paths:
  Path1: [ASIC.bump, IP.c4, NOT LID.glue]
"""


def test_connections_paths_and_what_parts_join_are_read():
    assembly = parse_assembly(STACK, "/work/a.yaml")
    assert [(c.name, c.top, c.bottom) for c in assembly.connections] == [
        ("asic_ip", ("ASIC", "bump"), ("IP", "pad")),
        ("ip_air", ("IP", "c4"), None),
    ]
    assert assembly.connections[0].span.line == 11
    (path,) = assembly.paths
    assert path.name == "Path1" and path.entries == (
        ("ASIC", "bump", False),
        ("IP", "c4", False),
        ("LID", "glue", True),
    )
    assert assembly.chiplets == {
        "IP": Chiplet("rdl", False, {"pad": "front", "c4": "back"}),
        "ASIC": Chiplet("die", True, {"bump": "front"}),
    }  # LID names no type: it joins none of its layers
    assert assembly.netlist == "/work/package.v" and assembly.netlist_span.line == 1


PARTS = (
    "parts:\n  A: {layout: a.gds, layers: {outline: 1/0, bump: 2/0}}\n"
    "  B: {layout: b.gds, layers: {pad: 3/0}}\n"
)
A_PART = "parts:\n  A: {layout: a.gds, layers: {outline: 1/0, bump: 2/0}, %s}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            PARTS + "connections:\n  ab: {top: A.bump, bottom: C.pad}\n",
            "5:29: unknown part 'C' (A, B)",
        ),
        (
            PARTS + "connections:\n  ab: {top: A.bump, bottom: B.pads}\n",
            "5:29: part 'B' has no layer 'pads' (pad)",
        ),
        (
            PARTS + "connections:\n  ab: {top: A.outline, bottom: B.pad}\n",
            "5:13: 'A.outline' is the part's extent, not a layer that connects",
        ),
        (
            PARTS + "connections:\n  ab: {top: A/bump, bottom: B.pad}\n",
            "5:13: expected PART.LAYER, a layer of a part, not 'A/bump'",
        ),
        (
            PARTS + "connections:\n  ab: {top: A.bump}\n",
            "5:3: connection 'ab' needs 'top' and 'bottom' (~: to nothing)",
        ),
        (
            PARTS + "connections:\n  ab: {top: A.bump, bot: B.pad}\n",
            "5:21: unknown key 'bot' in connection 'ab'; expected one of top, bottom",
        ),
        (
            PARTS
            + "connections:\n  ab: {top: A.bump, bottom: B.pad}\n  ab: {top: A.bump, bottom: ~}\n",
            "6:3: connection 'ab' is given twice",
        ),
        (
            PARTS + "connections:\n  1ab: {top: A.bump, bottom: B.pad}\n",
            "5:3: connection name '1ab'",
        ),
        (PARTS + "connections: [ab]\n", "4:14: 'connections' must be a mapping"),
        (PARTS + "connections:\n  ab: A.bump\n", "5:7: connection 'ab' must be a mapping"),
        (
            PARTS + "paths:\n  Path1: [A.bump, NOT B.pads]\n",
            "5:23: part 'B' has no layer 'pads' (pad)",
        ),
        (
            PARTS + "paths:\n  Path1: [A.bump]\n  Path1: [B.pad]\n",
            "6:3: path 'Path1' is given twice",
        ),
        (PARTS + "paths:\n  route: [A.bump]\n", "5:3: path 'route' must be named PathN"),
        (PARTS + "paths:\n  Path1: A.bump\n", "5:10: path 'Path1' must be a list of PART.LAYER"),
        (PARTS + "paths: [x]\n", "4:8: 'paths' must be a mapping of Path1, Path2, ..."),
        (PARTS + "netlist: ''\n", "4:10: 'netlist' must be a non-empty text on one line"),
        (A_PART % "tsv: true", "2:62: 'tsv' describes the part's type: give 'type'"),
        (A_PART % "sides: {bump: back}", "2:64: 'sides' describes the part's type: give 'type'"),
        (A_PART % "type: chip", "2:63: 'type' must be die or rdl or ip or substrate"),
        (A_PART % "type: die, tsv: yes", "2:73: 'tsv' must be true or false"),
        (A_PART % "type: die, sides: {pad: back}", "2:76: part 'A' has no layer 'pad' (bump)"),
        (A_PART % "type: die, sides: {bump: top}", "2:82: 'side' must be front or back or"),
        (A_PART % "type: die, sides: [bump]", "2:75: 'sides' must map the part's layers to"),
        (
            A_PART % "type: die, sides: {bump: back, bump: front}",
            "2:88: the side of 'bump' is given twice",
        ),
    ],
)
def test_each_connection_and_path_fault_is_reported_at_its_place(text, expected):
    found = faults(text)
    assert any(f.startswith(expected) for f in found), found


def test_the_assembly_file_in_docs_assembly_md_is_read():
    text = (Path(__file__).parents[2] / "docs" / "assembly.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S) if "parts:" in b)
    assembly = parse_assembly(block, "/work/fb/assembly.yaml")
    assert [c.name for c in assembly.connections] == ["asic_br1", "asic_fom"]
    assert assembly.paths[0].entries[-1] == ("FOM", "pad", True)
    assert assembly.chiplets == {"ASIC": Chiplet("die", False, {"bump": "front"})}
    assert assembly.netlist == "/work/fb/package.v"


def test_a_part_with_faults_is_not_reported_again_where_it_is_connected():
    text = PARTS.replace("layout: b.gds", "layout: b.gds, face: under")
    found = faults(text + "connections:\n  ab: {top: A.bump, bottom: B.pad}\n")
    assert [f.split(": ", 1)[1] for f in found] == ["'face' must be up or down"]


def test_every_fault_of_a_file_is_reported_at_once():
    found = faults("parts:\n  A: {layout: a.gds, rotation: 45}\n  B: {face: sideways}\n")
    assert [f.split(":")[0] for f in found] == ["2", "3", "3"]


def test_yaml_limits_hold():
    bomb = "a: &a [x, x]\n" + "".join(
        f"b{k}: &b{k} [*{'a' if k == 0 else f'b{k - 1}'}]\n" for k in range(60)
    )
    assert any("too many YAML aliases" in f for f in faults(bomb))
    assert faults("parts: {A: {layout: a.gds}\n")[0].startswith("2:1: invalid YAML")
    assert faults("[" * 30 + "]" * 30)[0].endswith("YAML nested too deeply (more than 20 levels)")


# ---------------------------------------------------------------- bump maps
def test_a_bump_map_reads_its_columns_in_any_order():
    text = "# HBM\n\nx,y,net,name,diameter\n40,40.5,VSS,A1,25\n-80,40,DQ0,A2,25\n"
    bumps = parse_bump_map(text, "b.csv")
    assert bumps.names == ["A1", "A2"] and bumps.nets == ["VSS", "DQ0"]
    assert bumps.points.tolist() == [[40.0, 40.5], [-80.0, 40.0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "b.csv:1:1: error: a bump map needs a header row: name,net,x,y"),
        ("name,net,x\nA,B,1\n", "b.csv:1:1: error: the header row names no column y"),
        ("name,net,x,y\nA1,VSS,1\n", "b.csv:2:1: error: expected 4 columns, found 3"),
        ("name,net,x,y\nA1,VSS,1,y\n", "b.csv:2:1: error: 'y' must be a number in um, not 'y'"),
        ("name,net,x,y\nA1,VSS,1,nan\n", "b.csv:2:1: error: 'y' must be a number in um"),
        ("name,net,x,y\nA1,VSS,1,2e9\n", "b.csv:2:1: error: 'y' must be a number in um"),
        ("name,net,x,y\nA1,,1,2\n", "b.csv:2:1: error: 'net' must be a word without spaces"),
        ("name,net,x,y\nA1,V S,1,2\n", "b.csv:2:1: error: 'net' must be a word without spaces"),
        (
            "name,net,x,y\nA1,V,1,2\nA1,W,3,4\n",
            "b.csv:3:1: error: bump 'A1' is listed twice (first on line 2)",
        ),
    ],
)
def test_each_bump_map_fault_has_its_line(text, expected):
    with pytest.raises(DeckError) as caught:
        parse_bump_map(text, "b.csv")
    assert caught.value.diagnostics[0].render().startswith(expected)
