"""Benchmark: one die-to-carrier interface of a million micro-bumps, assembled and aligned.

    python benchmarks/assembly.py                 # 1000 x 1000 bumps, 3 timed runs
    python benchmarks/assembly.py --side 2000 --nets --repeats 1

A die (face down, turned by 90°) carries one array of ``side`` x ``side`` micro-bumps at
40 um pitch; its carrier a pad array where they land, one pad moved by 3 um and one
missing. The two layouts are written to a temporary folder (never into the repository),
with bump maps when ``--nets`` is given. Each run assembles them with ``adk.assembly``
and checks the interface: alignment both ways, the counts, the grid, and with ``--nets``
the net agreement. The times are medians; the marker counts must be the planted ones
(the moved pad: one marker, the missing one: one). Arrays stay arrays: the assembled
layout holds two array instances, and the bumps are never flattened into polygons.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import klayout.db as kdb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from adk.assembly import build, load_assembly, load_assembly_deck  # noqa: E402
from adk.run.engine import run_deck  # noqa: E402

PITCH = 40.0
DBU = 0.001
DECK = """\
units um
rule ALIGN "bumps on pads both ways" : align(DIE.bump, both BASE.pad, within DIE.outline) <= 1 um
rule COUNT "as many bumps as pads" : bump_count(DIE.bump, BASE.pad, within DIE.outline) == 0
rule GRID "bump centres on the 1 um grid" : bump_grid(DIE.bump, grid 1 um)
"""
NETS = 'rule NETS "nets agree" : nets(DIE.net, both BASE.net, within DIE.outline) <= 20 um\n'
EXPECTED = {"ALIGN": 2, "COUNT": 1, "GRID": 0, "NETS": 4}


def write_parts(folder: str, side: int, nets: bool) -> None:
    """The die and its carrier, and with ``nets`` their bump maps."""
    size = side * PITCH
    die, base = kdb.Layout(), kdb.Layout()
    for layout in (die, base):
        layout.dbu = DBU
    top = die.create_cell("DIE")
    top.shapes(die.layer(1, 0)).insert(kdb.DBox(0, 0, size, size))
    bump = die.create_cell("UBUMP")
    bump.shapes(die.layer(30, 0)).insert(kdb.DBox(-10, -10, 10, 10))
    top.insert(_array(bump, (0, 0), (side, side)))
    carrier = base.create_cell("BASE")
    carrier.shapes(base.layer(1, 0)).insert(kdb.DBox(-1000, -1000, size + 1000, size + 1000))
    pad = base.create_cell("PAD")
    pad.shapes(base.layer(20, 0)).insert(kdb.DBox(-12, -12, 12, 12))
    # the die lands face down, turned by 90 degrees, at (size, size): its bump (u, v) lands
    # at (size - v, size - u), on the same grid. The pads: every row but the top one, and
    # of the top row the first moved by 3 um, the second missing
    carrier.insert(_array(pad, (0, 0), (side, side - 1)))
    carrier.insert(_array(pad, (2, side - 1), (side - 2, 1)))
    moved = (PITCH / 2 + 3, PITCH / 2 + (side - 1) * PITCH)
    carrier.insert(kdb.DCellInstArray(pad.cell_index(), kdb.DTrans(*moved)))
    die.write(os.path.join(folder, "die.gds"))
    base.write(os.path.join(folder, "base.gds"))
    yaml = [
        "parts:",
        "  BASE: {layout: base.gds, layers: {outline: 1/0, pad: 20/0}"
        + (", bump_map: base.csv}" if nets else "}"),
        f"  DIE: {{layout: die.gds, on: BASE, at: [{size:g}, {size:g}], rotation: 90, "
        "face: down, layers: {outline: 1/0, bump: 30/0}"
        + (", bump_map: die.csv}" if nets else "}"),
    ]
    with open(os.path.join(folder, "assembly.yaml"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(yaml) + "\n")
    if nets:
        _bump_maps(folder, side, moved)


def _array(cell: kdb.Cell, first: tuple[int, int], counts: tuple[int, int]) -> kdb.DCellInstArray:
    """``counts`` of ``cell`` at the pitch, the first at grid place ``first``."""
    start = kdb.DTrans(PITCH / 2 + first[0] * PITCH, PITCH / 2 + first[1] * PITCH)
    a, b = kdb.DVector(PITCH, 0), kdb.DVector(0, PITCH)
    return kdb.DCellInstArray(cell.cell_index(), start, a, b, *counts)


def _bump_maps(folder: str, side: int, moved: tuple[float, float]) -> None:
    """One net per bump, the same on both sides."""
    centre = PITCH / 2
    with open(os.path.join(folder, "die.csv"), "w", encoding="utf-8") as die:
        die.write("name,net,x,y\n")
        for j in range(side):
            for i in range(side):
                die.write(f"B{i}_{j},N{i}_{j},{centre + i * PITCH:g},{centre + j * PITCH:g}\n")
    size = side * PITCH
    with open(os.path.join(folder, "base.csv"), "w", encoding="utf-8") as base:
        base.write("name,net,x,y\n")
        for j in range(side):
            for i in range(side) if j < side - 1 else range(2, side):
                x, y = centre + i * PITCH, centre + j * PITCH
                # the die's bump (u, v) lands at (size - v, size - u)
                u, v = size - y, size - x
                bi, bj = round((u - centre) / PITCH), round((v - centre) / PITCH)
                base.write(f"P{i}_{j},N{bi}_{bj},{x:g},{y:g}\n")
        base.write(f"PM,NM,{moved[0]:g},{moved[1]:g}\n")


def run_once(folder: str, nets: bool) -> tuple[dict[str, float], dict[str, int]]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    assembly = load_assembly(os.path.join(folder, "assembly.yaml"))
    deck_path = os.path.join(folder, "bench.adk")
    with open(deck_path, "w", encoding="utf-8") as handle:
        handle.write(DECK + (NETS if nets else ""))
    deck = load_assembly_deck(assembly, deck_path)
    assembled = build(assembly)
    times["assemble"] = time.perf_counter() - started
    result = run_deck(deck, deck.layers, assembled.loaded(), flat_markers=True)
    for outcome in result.outcomes:
        times[outcome.rule.id] = outcome.seconds
    times["total"] = time.perf_counter() - started
    return times, {o.rule.id: len(o.markers) for o in result.outcomes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1000, help="bumps along each side")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nets", action="store_true", help="bump maps and the net check too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adk-assembly-bench-") as folder:
        write_parts(folder, args.side, args.nets)
        runs = [run_once(folder, args.nets) for _ in range(args.repeats)]
    expected = {rule: EXPECTED[rule] for rule in runs[0][1]}
    return report(runs, expected, args.side, 9)


def report(runs: list[tuple[dict, dict]], expected: dict, side: int, width: int) -> int:
    """Print each step's median seconds over ``runs`` and the first run's marker counts
    against ``expected``; the exit status: 0 when they are as planted."""
    counts = runs[0][1]
    print(f"{side * side:,} bumps on {side * side - 1:,} pads")
    for step in runs[0][0]:
        print(f"  {step:<{width}} {statistics.median(r[0][step] for r in runs):7.2f} s")
    print(f"markers {counts} {'as planted' if counts == expected else f'!= {expected}'}")
    return 0 if counts == expected else 1


if __name__ == "__main__":
    sys.exit(main())
