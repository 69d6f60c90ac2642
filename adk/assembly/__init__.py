"""Multi-die assemblies: several layouts (chiplets, HBM stacks, bridges, an interposer, a
substrate), each from its own team, placed in one package and checked together
(docs/assembly.md).

- :mod:`~adk.assembly.model`: the parts, their placements and how placements compose;
- :mod:`~adk.assembly.loader`: the assembly file (YAML), every fault with its line;
- :mod:`~adk.assembly.bumpmap`: bump maps (CSV of bump name, net, x, y; 3Dblox ``.bmap``);
- :mod:`~adk.assembly.cdx`: CDX pin maps (OCP's CDXML pin list), read and written;
- :mod:`~adk.assembly.threedblox`: 3Dblox stacks (``.3dbx``, ``.3dbv``) read and written;
- :mod:`~adk.assembly.builder`: the assembled layout, one KLayout layout in package
  coordinates, with each part's layers bound to the deck's ``PART.LAYER`` names;
- :mod:`~adk.assembly.stack_checks`: a 3Dblox stack's connections and path assertions;
- :mod:`~adk.assembly.verilog`: a package's structural Verilog netlist, read;
- :mod:`~adk.assembly.netlist_check`: the netlist against the nets across the stack;
- :mod:`~adk.assembly.run`: the assembly's deck on it and each part's own deck.
"""

from __future__ import annotations

from adk.assembly.builder import Assembled, build, part_layers, write_assembled
from adk.assembly.loader import load_assembly, parse_assembly
from adk.assembly.model import Assembly, Part, Placement
from adk.assembly.run import AssemblyRun, check_assembly, load_assembly_deck

__all__ = [
    "Assembled",
    "Assembly",
    "AssemblyRun",
    "Part",
    "Placement",
    "build",
    "check_assembly",
    "load_assembly",
    "load_assembly_deck",
    "parse_assembly",
    "part_layers",
    "write_assembled",
]
