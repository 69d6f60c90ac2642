"""Benchmark: net by net across a million-bump interface: opens and shorts, and a 3Dblox
stack's connection and path assertion.

    python benchmarks/assembly_nets.py                 # 1000 x 1000 bumps, one timed run
    python benchmarks/assembly_nets.py --side 300 --repeats 3

The parts and bump maps are those of ``benchmarks/assembly.py --nets`` (a die face down,
turned by 90°, on a carrier; one pad moved by 3 um, one missing; one net per bump),
written to a temporary folder, then as a 3Dblox stack with a ``Connection`` between the
die's bumps and the carrier's pads and a ``Path`` through it. Each run reads the stack,
assembles it (the bump maps placed as texts), and checks ``opens_shorts`` across the
interface and the stack's connection and path. The times are medians; the marker counts
must be the planted ones: two opens (the bump on the moved pad, whose net differs; the
bump over the missing pad, landing on nothing), the connection and the path holding.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from assembly import report, write_parts  # noqa: E402  (benchmarks/assembly.py)

from adk.assembly import build, load_assembly, load_assembly_deck  # noqa: E402
from adk.assembly.stack_checks import check_stack  # noqa: E402
from adk.assembly.threedblox import load_3dbx, write_3dblox  # noqa: E402
from adk.run.engine import run_deck  # noqa: E402

DECK = (
    "units um\n"
    'rule OS "opens and shorts" : '
    "opens_shorts(DIE.bump_net, BASE.pad_net, within DIE.outline) <= 20 um\n"
)
ASSERTIONS = """
Connection:
  die_base: {top: DIE.regions.bump, bot: BASE.regions.pad}
Path:
  Path1: [DIE.regions.bump, BASE.regions.pad]
"""
EXPECTED = {"OS": 2, "3DBLOX.CONN.die_base": 0, "3DBLOX.PATH.Path1": 0}


def write_stack(folder: str, side: int) -> str:
    """The benchmark's parts as a 3Dblox stack with a connection and a path; its path."""
    write_parts(folder, side, nets=True)
    assembly = load_assembly(os.path.join(folder, "assembly.yaml"))
    stack = write_3dblox(assembly, os.path.join(folder, "stack"), "stack")[-1]
    with open(stack, "a", encoding="utf-8") as handle:
        handle.write(ASSERTIONS)
    return stack


def run_once(stack: str, deck_path: str) -> tuple[dict[str, float], dict[str, int]]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    assembly = load_3dbx(stack)
    deck = load_assembly_deck(assembly, deck_path)
    assembled = build(assembly)
    times["assemble"] = time.perf_counter() - started
    result = run_deck(deck, deck.layers, assembled.loaded(), flat_markers=True)
    outcomes = result.outcomes + check_stack(assembly, assembled)
    for outcome in outcomes:
        times[outcome.rule.id] = outcome.seconds
    times["total"] = time.perf_counter() - started
    return times, {o.rule.id: len(o.markers) for o in outcomes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1000, help="bumps along each side")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adk-nets-bench-") as folder:
        stack = write_stack(folder, args.side)
        deck_path = os.path.join(folder, "nets.adk")
        with open(deck_path, "w", encoding="utf-8") as handle:
            handle.write(DECK)
        runs = [run_once(stack, deck_path) for _ in range(args.repeats)]
    return report(runs, EXPECTED, args.side, 22)


if __name__ == "__main__":
    sys.exit(main())
