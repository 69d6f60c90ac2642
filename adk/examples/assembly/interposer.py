"""A 2.5D assembly: an ASIC and two HBM stacks face down on a silicon interposer (IP),
the interposer on its substrate (SUB) on C4 bumps. Five parts in four layout files (the
HBM stacks are one layout, the second turned by 180°). The interposer has two bump
interfaces, its top pads and its C4 bumps underneath, so it has a bump map for each.

Package plan (um): the interposer at 1500..14500 x 1500..10500; HBM1 at x 2500..5500,
the ASIC at 5600..9600, HBM2 at 9700..12700, all at y 3000..7000 (their offsets are in
the interposer's coordinates, 1500 um less). The broken variant:

- the ASIC turned by 90° in place (same footprint, its bump fields turned);
- HBM2 shifted by 2 um along x;
- HBM1's layout misses the top row of its die-to-die bumps;
- the interposer's C4 bump map swaps two I/O signals.
"""

from __future__ import annotations

from adk.examples.assembly.kit import (
    Field,
    PartDrawing,
    Where,
    d2d_nets,
    land,
    power_nets,
    without_top_row,
)

NAME = "interposer"


def _c4_nets(i: int, j: int) -> str:
    return f"IO{i}" if j == 0 else power_nets(i, j)


def parts(broken: bool) -> dict[str, PartDrawing]:
    """Every part, the carriers' pads under the bumps of the clean assembly."""
    drawn = {
        "SUB": PartDrawing("SUB", "substrate.gds", "SUBSTRATE", (0, 0, 16000, 12000), Where()),
        "IP": PartDrawing(
            "IP", "interposer.gds", "INTERPOSER", (0, 0, 13000, 9000), Where((1500, 1500), on="SUB")
        ),
        "ASIC": PartDrawing(
            "ASIC",
            "asic.gds",
            "ASIC",
            (0, 0, 4000, 4000),
            Where((8100, 1500), face="down", on="IP"),
        ),
        "HBM1": _hbm("HBM1", Where((4000, 1500), face="down", on="IP")),
        "HBM2": _hbm("HBM2", Where((8200, 5500), 180, "down", "IP")),
    }
    drawn["ASIC"].bumps = [
        Field("W", (3740, 1400), (6, 16), 40, 20, d2d_nets("H1_")),  # towards HBM1
        Field("E", (60, 1400), (6, 16), 40, 20, d2d_nets("H2_")),  # towards HBM2
        Field("P", (800, 800), (10, 10), 150, 50, power_nets),
    ]
    drawn["IP"].c4 = [Field("C", (500, 500), (42, 28), 300, 90, _c4_nets)]
    for die in ("ASIC", "HBM1", "HBM2"):
        land(drawn, die, "IP", lambda p: True)
    _land_c4(drawn)
    drawn["SUB"].bump_maps = {"": "sub_pads.csv"}
    drawn["IP"].bump_maps = {"pad": "ip_pads.csv", "c4": "ip_c4.csv"}
    for die in ("ASIC", "HBM1", "HBM2"):
        drawn[die].bump_maps = {"": f"{die.lower()}_bumps.csv"}
    return _broken(drawn) if broken else drawn


def _hbm(name: str, where: Where) -> PartDrawing:
    drawing = PartDrawing(name, "hbm.gds", "HBM", (0, 0, 3000, 4000), where)
    drawing.bumps = [
        Field("D", (160, 1700), (6, 16), 40, 20, d2d_nets(f"H{name[-1]}_")),
        Field("P", (800, 600), (8, 8), 150, 50, power_nets),
    ]
    return drawing


def _land_c4(drawn: dict[str, PartDrawing]) -> None:
    """The substrate's pads under the interposer's C4 bumps (the interposer lies face up:
    its C4 field as drawn, seen from above)."""
    interposer = drawn["IP"]
    die_bumps = interposer.bumps
    interposer.bumps = interposer.c4
    land(drawn, "IP", "SUB", lambda p: True)
    interposer.bumps = die_bumps


def _broken(drawn: dict[str, PartDrawing]) -> dict[str, PartDrawing]:
    """The four planted errors; the carriers keep the pads of the clean assembly."""
    drawn["ASIC"].where = Where((8100, 5500), 90, "down", "IP")
    drawn["HBM2"].where = Where((8202, 5500), 180, "down", "IP")
    hbm1 = drawn["HBM1"]
    hbm1.file = "hbm1.gds"  # its own layout now: HBM2 keeps the full one
    hbm1.top = "HBM1"
    hbm1.bumps = [without_top_row(hbm1.bumps[0]), *hbm1.bumps[1:]]
    drawn["IP"].swapped = ("C_3_0", "C_4_0")
    return drawn


# the stack's connectivity (docs/assembly.md, "Connections and paths"): what each part
# joins inside it, which bumps bond to which pads, and the routes that must exist
TYPES = {"SUB": "substrate", "IP": "rdl", "ASIC": "die", "HBM1": "die", "HBM2": "die"}
SIDES = {"IP": {"pad": "front", "c4": "back"}}  # the interposer joins its two faces
CONNECTIONS = {
    "asic_ip": ("ASIC.bump", "IP.pad"),
    "hbm1_ip": ("HBM1.bump", "IP.pad"),
    "hbm2_ip": ("HBM2.bump", "IP.pad"),
    "ip_sub": ("IP.c4", "SUB.pad"),
}
PATHS = {
    "Path1": ("HBM1.bump", "ASIC.bump", "NOT SUB.pad"),  # die to die on the interposer
    "Path2": ("ASIC.bump", "SUB.pad"),  # through the interposer, pads to C4
}

# rule -> the parts its markers may name in the broken variant, and why it fires
PLANTED = {
    "ASIC.IP": (("ASIC", "IP"), "the ASIC turned by 90 degrees: its bumps off their pads"),
    "ASIC.IP.NET": (("ASIC", "IP"), "the ASIC turned: its nets on the wrong pads"),
    "HBM2.IP": (("HBM2", "IP"), "HBM2 shifted by 2 um"),
    "HBM1.IP": (("HBM1", "IP"), "HBM1 misses its top row of die-to-die bumps"),
    "HBM1.IP.N": (("HBM1", "IP"), "HBM1 misses its top row of die-to-die bumps"),
    "HBM1.IP.NET": (("HBM1", "IP"), "the missing row's five signals land nowhere"),
    "IP.SUB.NET": (("IP", "SUB"), "two I/O signals swapped in the interposer's C4 bump map"),
}
