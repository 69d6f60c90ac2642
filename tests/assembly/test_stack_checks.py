"""A 3Dblox stack's own assertions: each connection bonds bumps to pads, each path
assertion holds on the graph of regions (OpenROAD's semantics), every marker exact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adk.assembly import check_assembly, load_assembly
from adk.assembly.model import Chiplet
from adk.assembly.stack_checks import region_graph
from adk.assembly.threedblox import load_3dbx
from adk.errors import AdkError

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


def test_an_assembly_file_has_no_stack_checks(tmp_path: Path) -> None:
    from adk.examples.assembly import write_assembly_example

    write_assembly_example("focos_bridge", str(tmp_path))
    assert load_assembly(str(tmp_path / "assembly.yaml")).chiplets == {}


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


def test_a_netlist_needs_a_stack_with_connections(tmp_path: Path) -> None:
    from adk.examples.assembly import write_assembly_example

    write_assembly_example("focos_bridge", str(tmp_path))
    (tmp_path / "n.v").write_text(NETLIST)
    with pytest.raises(AdkError, match="declares none"):
        check_assembly(str(tmp_path / "assembly.yaml"), netlist=str(tmp_path / "n.v"))


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
