"""The structural Verilog subset of a package's netlist: read, and every fault placed."""

from __future__ import annotations

import pytest

from adk.assembly.verilog import parse_netlist
from adk.errors import DeckError

NETLIST = """\
`timescale 1ns/1ps
// the package
module top (VDD, VSS);
  inout VDD, VSS;
  wire d0, d1; /* two
  signals */
  ASIC ASIC (.VDD(VDD), .VSS(VSS), .DQ0(d0), .DQ1(d1));
  HBM HBM1 (.VDD(VDD), .DQ0(d0), .TEST());
endmodule

module ASIC (VDD, VSS, DQ0, DQ1);
  inout VDD, VSS, DQ0, DQ1;
endmodule
"""


def _faults(text: str) -> list[str]:
    with pytest.raises(DeckError) as caught:
        parse_netlist(text, "n.v")
    return [f"{d.file}:{d.line}:{d.column}: {d.message}" for d in caught.value.diagnostics]


def test_the_subset_is_read() -> None:
    netlist = parse_netlist(NETLIST, "n.v")
    assert netlist.module == "top"
    assert [(i.cell, i.name, i.line) for i in netlist.instances] == [
        ("ASIC", "ASIC", 7),
        ("HBM", "HBM1", 8),
    ]
    hbm = netlist.instances[1]
    assert [(c.port, c.net, c.line, c.column) for c in hbm.connections] == [
        ("VDD", "VDD", 8, 14),
        ("DQ0", "d0", 8, 25),
        ("TEST", "", 8, 35),
    ]


def test_every_fault_is_placed() -> None:
    text = """\
module top;
  wire [3:0] bus;
  assign a = b;
  ASIC A1 (x, y);
  ASIC A2 (.P(a[0]));
  HBM H (.P(q), .P(r));
  HBM H1 (.P(q));
  HBM H1 (.P(r));
endmodule
"""
    assert _faults(text) == [
        "n.v:2:8: ranges are not read: scalar nets only, no buses",
        "n.v:3:3: 'assign' is not read: a structural netlist only",
        "n.v:4:12: positional connections are not read: name each port, .PORT(NET)",
        "n.v:5:16: expected ')', not '[' (buses are not read)",
        "n.v:6:18: port 'P' of 'H' is given twice",
        "n.v:8:7: instance 'H1' is given twice",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "n.v:1:1: the netlist holds no module"),
        ("wire x;\n", "n.v:1:1: expected 'module', not 'wire'"),
        ("module a;\n  X y (.p(q));\n", "n.v:1:1: the module has no 'endmodule'"),
        (
            "module a; endmodule\nmodule b; endmodule\n",
            "n.v:2:8: one top module expected (a module no other instantiates), found a, b",
        ),
    ],
)
def test_module_faults(text: str, expected: str) -> None:
    assert _faults(text) == [expected]
