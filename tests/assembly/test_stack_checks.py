"""A 3Dblox stack's own assertions: each connection bonds bumps to pads, each path
assertion holds on the graph of regions (OpenROAD's semantics), every marker exact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adk.assembly import check_assembly, load_assembly
from adk.assembly.bumpmap import load_bump_map
from adk.assembly.model import Chiplet
from adk.assembly.stack_checks import region_graph
from adk.assembly.threedblox import load_3dbx, write_3dblox
from adk.errors import AdkError
from adk.examples.assembly import write_3dblox_example, write_assembly_example

CHIPLETS = """\
Header: {version: "1.0", unit: micron, precision: 1000}
ChipletDef:
  TOPDIE:
    type: die
    design_area: [100, 80]
    regions:
      front: {side: front, bmap: top.bmap}
      back: {side: back}
  MIDRDL:
    type: rdl
    design_area: [300, 300]
    regions:
      up: {side: front, bmap: mid_up.bmap}
      down: {side: back, bmap: mid_down.bmap}
  BOARD:
    type: substrate
    design_area: [500, 500]
    regions:
      pads: {side: front, bmap: board.bmap}
"""

STACK = """\
Header: {version: "1.0", unit: micron, precision: 1000, include: [chiplets.3dbv]}
Design: {name: tower}
ChipletInst:
  BASE: {reference: BOARD}
  MID: {reference: MIDRDL}
  TOP: {reference: TOPDIE}
Stack:
  BASE: {loc: [0, 0], z: 0, orient: R0}
  MID: {loc: [100, 100], z: 10, orient: R0}
  TOP: {loc: [150, 150], z: 20, orient: R0}
Connection:
  top_mid: {top: TOP.regions.front, bot: MID.regions.up}
  mid_base: {top: MID.regions.down, bot: BASE.regions.pads}
  top_air: {top: TOP.regions.back, bot: ~}
Path:
  Path1: [TOP.regions.front, BASE.regions.pads]
  Path2: [TOP.regions.front, NOT MID.regions.up, BASE.regions.pads]
  Path3: [TOP.regions.back, BASE.regions.pads]
  Path4: [TOP.regions.front, NOT TOP.regions.front]
  Path5: [MID.regions.down, NOT TOP.regions.back, TOP.regions.front]
"""

BUMPS = {
    "top.bmap": "t1 B 10 10 - A\nt2 B 30 10 - B\nt3 B 50 10 - C\n",
    "mid_up.bmap": "u1 P 60 60 - A\nu2 P 80 60 - B\nu3 P 100 60 - C\n",
    "mid_down.bmap": "d1 B 20 20 - A\nd2 B 40 20 - B\n",
    "board.bmap": "p1 P 120 120 - A\np2 P 140 120 - B\n",
}


def _stack(folder: Path, stack: str = STACK) -> Path:
    (folder / "chiplets.3dbv").write_text(CHIPLETS)
    for name, text in BUMPS.items():
        (folder / name).write_text(text)
    path = folder / "tower.3dbx"
    path.write_text(stack)
    return path


def _found(path: Path, rules: list[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    run = check_assembly(str(path), rules=rules)
    return {
        o.rule.id: [(m.text, str(m.shape)) for m in o.markers]
        for o in run.result.outcomes
        if o.rule.id.startswith("3DBLOX.")
    }


def test_the_region_graph_follows_the_chiplet_types(tmp_path: Path) -> None:
    graph = region_graph(load_3dbx(str(_stack(tmp_path))))
    assert {k: sorted(v) for k, v in graph.items()} == {
        ("BASE", "pads"): [("MID", "down")],
        ("MID", "up"): [("MID", "down"), ("TOP", "front")],
        ("MID", "down"): [("BASE", "pads"), ("MID", "up")],
        ("TOP", "front"): [("MID", "up")],
        ("TOP", "back"): [],  # a die without TSVs: its back joins nothing inside it
    }


@pytest.mark.parametrize(
    "kind, tsv, sides, pairs",
    [
        ("die", False, {"a": "front", "b": "front", "c": "back"}, {("a", "b")}),
        ("die", True, {"a": "front", "c": "back"}, {("a", "c")}),
        ("rdl", False, {"a": "front", "b": "front", "c": "back"}, {("a", "c"), ("b", "c")}),
        (
            "substrate",
            False,
            {"a": "front", "c": "back", "i": "internal", "e": "internal_ext"},
            {("a", "i"), ("a", "e"), ("c", "i"), ("c", "e")},
        ),
        ("ip", False, {"a": "front", "c": "back"}, set()),
    ],
)
def test_inside_a_chiplet(kind: str, tsv: bool, sides: dict, pairs: set) -> None:
    from adk.assembly.model import Assembly

    assembly = Assembly("x", "x.3dbx", (), chiplets={"P": Chiplet(kind, tsv, sides)})
    graph = region_graph(assembly)
    joined = {(a[1], b[1]) for a, ends in graph.items() for b in ends}
    assert joined == pairs | {(b, a) for a, b in pairs}


def test_connections_and_paths(tmp_path: Path) -> None:
    assert _found(_stack(tmp_path)) == {
        "3DBLOX.CONN.top_mid": [],
        "3DBLOX.CONN.mid_base": [],
        "3DBLOX.PATH.Path1": [],
        "3DBLOX.PATH.Path2": [
            (
                "path Path2 broken: TOP.front reaches BASE.pads only through MID.up, "
                "avoided [TOP, BASE]",
                "(180,160;130,120)",
            )
        ],
        "3DBLOX.PATH.Path3": [
            (
                "path Path3 broken: BASE.pads is not reached from TOP.back: no connection "
                "joins TOP.back to BASE.pads, MID.down, MID.up, TOP.front [TOP, BASE]",
                "(200,190;130,120)",
            )
        ],
        "3DBLOX.PATH.Path4": [
            (
                "path Path4 broken: TOP.front is both required and avoided [TOP]",
                "(159.999,159.999;200.001,160.001)",
            )
        ],
        "3DBLOX.PATH.Path5": [],  # avoiding a region off the route
    }


def test_a_connection_whose_bumps_miss_their_pads(tmp_path: Path) -> None:
    """TOP moved by 5 um: its bumps land on no pad of MID; the paths over the declared
    connection still hold, so that one defect is one marker."""
    found = _found(_stack(tmp_path, STACK.replace("loc: [150, 150]", "loc: [155, 150]")))
    assert found["3DBLOX.CONN.top_mid"] == [
        (
            "connection top_mid: none of the 3 bumps of TOP.front lands on a pad of MID.up "
            "[TOP, MID]",
            "(164.999,159.999;200.001,160.001)",
        )
    ]
    assert [rule for rule, markers in found.items() if markers] == [
        "3DBLOX.CONN.top_mid",
        "3DBLOX.PATH.Path2",
        "3DBLOX.PATH.Path3",
        "3DBLOX.PATH.Path4",
    ]


def test_a_connection_without_bumps(tmp_path: Path) -> None:
    stack = STACK.replace("bot: ~", "bot: MID.regions.up")
    found = _found(_stack(tmp_path, stack))
    assert found["3DBLOX.CONN.top_air"] == [
        (
            "connection top_air: TOP.back has no bumps [TOP, MID]",
            "(159.999,159.999;200.001,160.001)",
        )
    ]


def test_rules_select_the_stack_checks(tmp_path: Path) -> None:
    path = _stack(tmp_path)
    assert list(_found(path, ["3DBLOX.PATH.Path4"])) == ["3DBLOX.PATH.Path4"]
    with pytest.raises(AdkError, match=r"no rule '3DBLOX.PATH.Path9' in the stack"):
        _found(path, ["3DBLOX.PATH.Path9"])


def test_cli_reports_the_stack_checks(tmp_path: Path) -> None:
    path = _stack(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "adk", "check-assembly", str(path), "-o", "r.lyrdb", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    text = (tmp_path / "r.lyrdb").read_text()
    assert "3DBLOX.PATH.Path2" in text and "only through MID.up, avoided" in text


# ---------------------------------------------------------------- from an assembly file
def _stack_markers(path: Path, deck: Path | None = None) -> list[tuple[str, str, str]]:
    run = check_assembly(str(path), None if deck is None else str(deck))
    return sorted(
        (o.rule.id, m.text, str(m.shape))
        for o in run.result.outcomes
        if o.rule.id.startswith("3DBLOX.")
        for m in o.markers
    )


def test_an_assembly_file_declares_what_a_stack_does(tmp_path: Path) -> None:
    """The example's assembly file and the 3Dblox stack written from it: the same parts'
    insides, connections and paths."""
    write_3dblox_example("interposer", str(tmp_path))
    from_yaml = load_assembly(str(tmp_path / "assembly.yaml"))
    from_stack = load_3dbx(str(tmp_path / "stack.3dbx"))
    assert from_yaml.chiplets["IP"] == Chiplet("rdl", False, {"pad": "front", "c4": "back"})
    assert from_yaml.chiplets == from_stack.chiplets
    assert [(c.name, c.top, c.bottom) for c in from_yaml.connections] == [
        (c.name, c.top, c.bottom) for c in from_stack.connections
    ]
    assert [(p.name, p.entries) for p in from_yaml.paths] == [
        (p.name, p.entries) for p in from_stack.paths
    ]
    assert from_yaml.paths[1].entries == (("ASIC", "bump", False), ("SUB", "pad", False))


@pytest.mark.parametrize("name", ["focos_bridge", "interposer"])
@pytest.mark.parametrize("broken", [False, True])
def test_the_examples_connections_and_paths_alike_from_yaml_and_3dblox(
    tmp_path: Path, name: str, broken: bool
) -> None:
    write_3dblox_example(name, str(tmp_path), broken)
    deck = tmp_path / "assembly.adk"
    from_yaml = _stack_markers(tmp_path / "assembly.yaml", deck)
    assert from_yaml == _stack_markers(tmp_path / "stack.3dbx", deck)
    fired = {rule for rule, *_ in from_yaml}
    expected = {"3DBLOX.CONN.hbm2_br2", "3DBLOX.CONN.hbm2_fom"}
    assert fired == (expected if broken and name == "focos_bridge" else set())


def test_a_path_broken_alike_from_yaml_and_3dblox(tmp_path: Path) -> None:
    """Without its connection to BR1, the ASIC, and HBM2 beyond it, are reached from HBM1
    only through the fan-out module, which both paths avoid."""
    write_assembly_example("focos_bridge", str(tmp_path), per_layer=True)
    path = tmp_path / "assembly.yaml"
    text = path.read_text()
    path.write_text(text.replace("  asic_br1: {top: ASIC.bump, bottom: BR1.pad}\n", ""))
    stack = write_3dblox(load_assembly(str(path)), str(tmp_path / "x"), "stack")[-1]
    from_yaml = _stack_markers(path)
    assert from_yaml == _stack_markers(Path(stack))
    assert [text for _, text, _ in from_yaml] == [
        "path Path1 broken: HBM1.bump reaches ASIC.bump only through FOM.pad, avoided [HBM1, ASIC]",
        "path Path2 broken: HBM1.bump reaches HBM2.bump only through FOM.pad, avoided [HBM1, HBM2]",
    ]


def test_a_part_without_a_type_joins_none_of_its_layers(tmp_path: Path) -> None:
    """The interposer without its type: its pads no longer reach its C4 bumps."""
    write_assembly_example("interposer", str(tmp_path))
    path = tmp_path / "assembly.yaml"
    text = path.read_text()
    path.write_text(text.replace("    type: rdl\n    sides: {pad: front, c4: back}\n", ""))
    assert "IP" not in load_assembly(str(path)).chiplets
    (found,) = _stack_markers(path)
    assert found[0] == "3DBLOX.PATH.Path2"
    assert found[1].startswith("path Path2 broken: SUB.pad is not reached from ASIC.bump")


# ---------------------------------------------------------------- the netlist
NETLIST = """\
// the tower's top level
module tower;
  wire a, b, c;
  TOPDIE TOP (.A(a), .B(b), .C(c));
  MIDRDL MID (.A(a), .B(b), .C(c));
  BOARD BASE (.A(a), .B(b));
  CAP C1 (.P(a), .N(b));
endmodule

module TOPDIE (A, B, C);
  inout A, B, C;
endmodule
"""


def _netlist_markers(folder: Path, netlist: str) -> tuple[list[str], list[str]]:
    (folder / "tower.v").write_text(netlist)
    run = check_assembly(str(_stack(folder)), netlist=str(folder / "tower.v"))
    (outcome,) = [o for o in run.result.outcomes if o.rule.id == "3DBLOX.NETLIST"]
    return sorted(m.text for m in outcome.markers), run.result.warnings


def test_a_netlist_matching_the_stack(tmp_path: Path) -> None:
    markers, warnings = _netlist_markers(tmp_path, NETLIST)
    assert markers == []
    left_out = "instance C1 (CAP) is no part of the stack: not compared"
    assert warnings == [f"netlist {tmp_path / 'tower.v'}:7: {left_out}"]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "TOP (.A(a), .B(b), .C(c))",
            "TOP (.A(a), .B(b), .C(b))",
            [
                "netlist open: on wire b, TOP.C joined by no bump to TOP.B, MID.B, BASE.B "
                "[TOP, MID, BASE]",
                "netlist short: a bump joins TOP.C to MID.C, on wires b and c in the netlist "
                "[TOP, MID]",
            ],
        ),
        (
            "BASE (.A(a), .B(b))",
            "BASE (.A(a), .B(b), .C(c))",
            ["netlist: wire c connects BASE.C, which no bump of BASE carries [BASE]"],
        ),
        (
            "MID (.A(a), .B(b), .C(c))",
            "MID (.A(a), .B(), .C(c))",
            [
                "netlist: a bump joins MID.B to BASE.B, but the netlist connects no MID.B "
                "[MID, BASE]",
                "netlist: a bump joins TOP.B to MID.B, but the netlist connects no MID.B "
                "[TOP, MID]",
            ],  # TOP.B and BASE.B, on wire b, stay joined through MID.B
        ),
    ],
)
def test_netlist_differences(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in NETLIST
    assert _netlist_markers(tmp_path, NETLIST.replace(old, new))[0] == expected


def test_a_netlist_needs_connections(tmp_path: Path) -> None:
    write_assembly_example("focos_bridge", str(tmp_path))
    path = tmp_path / "assembly.yaml"
    path.write_text(path.read_text().split("connections:")[0] + "netlist: n.v\n")
    (tmp_path / "n.v").write_text(NETLIST)
    with pytest.raises(AdkError, match="declares none"):
        check_assembly(str(path), netlist=str(tmp_path / "n.v"))
    run = check_assembly(str(path))  # named by the file: not compared, with a warning
    assert f"netlist {tmp_path / 'n.v'}: not compared" in run.result.warnings[0]
    assert "3DBLOX.NETLIST" not in {o.rule.id for o in run.result.outcomes}


def _named_netlist(path: Path, netlist: str) -> None:
    """The tower's stack naming ``netlist`` as its design's Verilog file."""
    text = path.read_text()
    named = "Design: {name: tower, external: {verilog_file: NETLIST}}".replace("NETLIST", netlist)
    path.write_text(text.replace("Design: {name: tower}", named))


def test_the_netlist_the_stack_names(tmp_path: Path) -> None:
    path = _stack(tmp_path)
    _named_netlist(path, "tower.v")
    (tmp_path / "tower.v").write_text(NETLIST.replace(".C(c));\n  MID", ".C(b));\n  MID"))
    (tmp_path / "good.v").write_text(NETLIST)
    named = check_assembly(str(path)).result
    (outcome,) = [o for o in named.outcomes if o.rule.id == "3DBLOX.NETLIST"]
    assert len(outcome.markers) == 2 and "tower.v" in outcome.rule.description
    given = check_assembly(str(path), netlist=str(tmp_path / "good.v")).result
    (outcome,) = [o for o in given.outcomes if o.rule.id == "3DBLOX.NETLIST"]
    assert outcome.markers == [] and "good.v" in outcome.rule.description


def test_a_missing_named_netlist_is_one_line_exit_2(tmp_path: Path) -> None:
    path = _stack(tmp_path)
    _named_netlist(path, "gone.v")
    command = [sys.executable, "-m", "adk", "check-assembly", str(path), "-o", "r.lyrdb"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"adk: error: {path}:2:48: no such netlist file {tmp_path / 'gone.v'}\n"
    (tmp_path / "tower.v").write_text(NETLIST)
    given = subprocess.run([*command, "--netlist", "tower.v"], capture_output=True, cwd=tmp_path)
    assert given.returncode == 1, given.stderr  # --netlist instead: the paths still fail


def _package_netlist(folder: Path, unconnected: str = "") -> str:
    """A netlist of the example whose wires are the bump maps' nets, every part's port N
    on wire N (but ``unconnected``'s ports, ``.N()``): what the clean example's bumps
    join."""
    assembly = load_assembly(str(folder / "assembly.yaml"))
    nets = {
        part.name: sorted({n for m in part.bump_maps.values() for n in load_bump_map(m).nets})
        for part in assembly.parts
    }
    wires = sorted({n for names in nets.values() for n in names})
    lines = [f"module {assembly.name};", f"  wire {', '.join(wires)};"]
    for part, names in nets.items():
        ports = ", ".join(f".{n}({n})" for n in names)
        lines.append(f"  CELL_{part} {part} ({ports});")
    text = "\n".join([*lines, "endmodule", ""])
    return text.replace(f".{unconnected}({unconnected})", f".{unconnected}()")


@pytest.mark.parametrize("per_layer", [False, True])
def test_the_netlist_an_assembly_file_names(tmp_path: Path, per_layer: bool) -> None:
    """The example with the netlist of its own bumps: clean, it matches; the same file
    names it for its 3Dblox stack, which finds the same."""
    write_assembly_example("focos_bridge", str(tmp_path), per_layer=per_layer)
    path = tmp_path / "assembly.yaml"
    path.write_text(path.read_text() + "netlist: package.v\n")
    (tmp_path / "package.v").write_text(_package_netlist(tmp_path))
    assert load_assembly(str(path)).netlist == str(tmp_path / "package.v")
    run = check_assembly(str(path))
    (outcome,) = [o for o in run.result.outcomes if o.rule.id == "3DBLOX.NETLIST"]
    assert outcome.markers == [] and outcome.rule.description.startswith("the netlist package.v")
    (tmp_path / "cut.v").write_text(_package_netlist(tmp_path, "H1_3"))
    cut = _netlist_texts(check_assembly(str(path), netlist=str(tmp_path / "cut.v")))
    assert cut == [
        "netlist: a bump joins ASIC.H1_3 to BR1.H1_3, but the netlist connects no ASIC.H1_3 "
        "[ASIC, BR1]",
        "netlist: a bump joins HBM1.H1_3 to BR1.H1_3, but the netlist connects no HBM1.H1_3 "
        "[HBM1, BR1]",
    ]
    if per_layer:
        stack = write_3dblox(load_assembly(str(path)), str(tmp_path / "x"), "stack")[-1]
        assert "verilog_file: ../package.v" in Path(stack).read_text()
        assert _netlist_texts(check_assembly(stack, netlist=str(tmp_path / "cut.v"))) == cut


def _netlist_texts(run) -> list[str]:
    (outcome,) = [o for o in run.result.outcomes if o.rule.id == "3DBLOX.NETLIST"]
    return sorted(m.text for m in outcome.markers)


def test_cli_compares_a_netlist(tmp_path: Path) -> None:
    path = _stack(tmp_path, STACK.split("Path:")[0])
    (tmp_path / "tower.v").write_text(NETLIST.replace(".C(c));\n  MID", ".C(b));\n  MID"))
    command = [sys.executable, "-m", "adk", "check-assembly", str(path), "-o", "r.lyrdb"]
    done = subprocess.run(
        [*command, "--netlist", "tower.v", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    rules = {rule["id"]: rule["count"] for rule in json.loads(done.stdout)["rules"]}
    assert rules == {"3DBLOX.CONN.top_mid": 0, "3DBLOX.CONN.mid_base": 0, "3DBLOX.NETLIST": 2}
    (tmp_path / "bad.v").write_text("module tower;\n  wire [1:0] b;\nendmodule\n")
    done = subprocess.run(
        [*command, "--netlist", "bad.v"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2 and "bad.v:2:8: error: ranges are not read" in done.stderr
