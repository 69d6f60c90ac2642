"""A FOCoS-Bridge assembly: an ASIC and two HBM stacks, face down on a fan-out module
(FOM), joined by two silicon bridges embedded in it. Six parts in five layout files: the
two HBM stacks are one layout, the second turned by 180°. Die-to-die micro-bumps (40 um
pitch) land on the bridges' pads, power bumps (150 um) on the fan-out module's.

Package plan (um): HBM1 at x 500..3500, the ASIC at 3600..8600, HBM2 at 8700..11700,
gaps of 100 um; BR1 under the HBM1-ASIC gap, BR2 under the ASIC-HBM2 gap, 500 um under
each die. The broken variant plants one error of each kind the issue names:

- HBM2 turned by 90° instead of 180°: it overlaps the ASIC, leaves its bridge;
- HBM1 shifted by 2.5 um: its bumps miss their pads, and leave the 1 um grid;
- the ASIC's layout misses the top row of its bumps over BR1;
- the ASIC's bump map swaps two signals over BR2.
"""

from __future__ import annotations

from adk.examples.assembly.kit import (
    Field,
    PartDrawing,
    Where,
    d2d_nets,
    in_box,
    land,
    package_box,
    power_nets,
    without_top_row,
)

NAME = "focos_bridge"

HBM_D2D = (160.0, 1700.0)  # first micro-bump of an HBM stack's die-to-die field, own coordinates


def parts(broken: bool) -> dict[str, PartDrawing]:
    """Every part, its pads placed under the bumps of the clean assembly."""
    drawn = {
        "FOM": PartDrawing("FOM", "fom.gds", "FOM", (0, 0, 12200, 6000), Where()),
        "BR1": PartDrawing(
            "BR1", "br1.gds", "BRIDGE1", (0, 0, 1100, 1000), Where((3000, 2500), on="FOM")
        ),
        "BR2": PartDrawing(
            "BR2", "br2.gds", "BRIDGE2", (0, 0, 1100, 1000), Where((8100, 2500), on="FOM")
        ),
        "ASIC": PartDrawing(
            "ASIC",
            "asic.gds",
            "ASIC",
            (0, 0, 5000, 5000),
            Where((8600, 500), face="down", on="FOM"),
        ),
        "HBM1": _hbm("HBM1", Where((3500, 1000), face="down", on="FOM")),
        "HBM2": _hbm("HBM2", Where((8700, 5000), 180, "down", "FOM")),
    }
    drawn["ASIC"].bumps = [
        Field("L", (4740, 2200), (6, 16), 40, 20, d2d_nets("H1_")),  # over BR1
        Field("R", (60, 2200), (6, 16), 40, 20, d2d_nets("H2_")),  # over BR2
        Field("P", (1800, 1800), (10, 10), 150, 50, power_nets),
    ]
    for part in drawn.values():
        part.bump_maps = {"": f"{part.name.lower()}_bumps.csv"}
    bridges = {name: package_box(drawn, name) for name in ("BR1", "BR2")}
    for die in ("ASIC", "HBM1", "HBM2"):
        for name, box in bridges.items():
            land(drawn, die, name, in_box(box))
        land(drawn, die, "FOM", lambda p: not any(in_box(b)(p) for b in bridges.values()))
    for name in bridges:
        _bridge_wires(drawn[name])
    return _broken(drawn) if broken else drawn


def _hbm(name: str, where: Where) -> PartDrawing:
    drawing = PartDrawing(name, "hbm.gds", "HBM", (0, 0, 3000, 4000), where)
    drawing.bumps = [
        Field("D", HBM_D2D, (6, 16), 40, 20, d2d_nets(f"H{name[-1]}_")),
        Field("P", (800, 600), (8, 8), 150, 50, power_nets),
    ]
    return drawing


def _bridge_wires(bridge: PartDrawing) -> None:
    """Bridge metal between the two pads of each signal (for the eye only)."""
    by_net: dict[str, list[tuple[float, float]]] = {}
    for point, _, net in bridge.pads:
        by_net.setdefault(net, []).append(point)
    bridge.wires = [(a, b) for net, (a, b, *_) in sorted(by_net.items()) if net != "VSS"]


def _broken(drawn: dict[str, PartDrawing]) -> dict[str, PartDrawing]:
    """The four planted errors; the carriers keep the pads of the clean assembly."""
    drawn["HBM2"].where = Where((8700, 5000), 90, "down", "FOM")
    drawn["HBM1"].where = Where((3500, 1002.5), face="down", on="FOM")
    asic = drawn["ASIC"]
    asic.bumps = [without_top_row(asic.bumps[0]), *asic.bumps[1:]]
    asic.swapped = ("R_1_0", "R_2_0")
    return drawn


# the stack's connectivity (docs/assembly.md, "Connections and paths"): what each part
# joins inside it, which bumps bond to which pads, and the routes that must exist
TYPES = {
    "FOM": "substrate",
    "BR1": "rdl",
    "BR2": "rdl",
    "ASIC": "die",
    "HBM1": "die",
    "HBM2": "die",
}
SIDES: dict[str, dict[str, str]] = {}  # every region on its part's front
CONNECTIONS = {
    "hbm1_br1": ("HBM1.bump", "BR1.pad"),
    "hbm1_fom": ("HBM1.bump", "FOM.pad"),
    "asic_br1": ("ASIC.bump", "BR1.pad"),
    "asic_br2": ("ASIC.bump", "BR2.pad"),
    "asic_fom": ("ASIC.bump", "FOM.pad"),
    "hbm2_br2": ("HBM2.bump", "BR2.pad"),
    "hbm2_fom": ("HBM2.bump", "FOM.pad"),
}
PATHS = {
    "Path1": ("HBM1.bump", "ASIC.bump", "NOT FOM.pad"),  # over the bridge, not the module
    "Path2": ("HBM1.bump", "HBM2.bump", "NOT FOM.pad"),
}

# rule -> the parts its markers may name in the broken variant, and why it fires
PLANTED = {
    "DIE.APART.H2": (("ASIC", "HBM2"), "HBM2 turned by 90 degrees lies over the ASIC"),
    "D2D.GAP.H2": (("ASIC", "HBM2"), "HBM2 over the ASIC: no gap"),
    "BR.SPAN": (("BR2", "ASIC", "HBM2"), "HBM2 turned: BR2 reaches the ASIC alone"),
    "HBM2.BR2": (("HBM2", "BR2"), "HBM2 turned: its bumps miss BR2's pads"),
    "HBM2.FOM": (("HBM2", "FOM"), "HBM2 turned: its bumps miss the module's pads"),
    "HBM2.BR2.N": (("HBM2", "BR2"), "HBM2 turned: 3 of its bumps over BR2's 96 pads"),
    "HBM2.BR2.NET": (("HBM2", "BR2"), "HBM2 turned: its signals land nowhere"),
    "HBM2.FOM.NET": (("HBM2", "FOM"), "HBM2 turned: its power lands nowhere"),
    "HBM1.BR1": (("HBM1", "BR1"), "HBM1 shifted by 2.5 um: its micro-bumps off their pads"),
    "HBM1.FOM": (("HBM1", "FOM"), "HBM1 shifted by 2.5 um: its power bumps off their pads"),
    "GRID.HBM1": (("HBM1",), "HBM1 shifted by 2.5 um: off the 1 um grid"),
    "ASIC.BR1": (("ASIC", "BR1"), "the ASIC misses its top row of bumps over BR1"),
    "ASIC.BR1.N": (("ASIC", "BR1"), "the ASIC misses its top row of bumps over BR1"),
    "ASIC.BR1.NET": (("ASIC", "BR1"), "the missing row's five signals land nowhere"),
    "ASIC.BR2.NET": (("ASIC", "BR2"), "two signals swapped in the ASIC's bump map"),
    "3DBLOX.CONN.hbm2_br2": (("HBM2", "BR2"), "HBM2 turned: none of its bumps on BR2's pads"),
    "3DBLOX.CONN.hbm2_fom": (("HBM2", "FOM"), "HBM2 turned: none of its bumps on the module's"),
}
