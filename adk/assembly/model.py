"""An assembly as its file describes it: the parts, where each sits, what its layers are.

A part's coordinates map to its carrier's (the package, or the part it sits on) by its
placement: face, then mirror, magnification and rotation, then the offset
(docs/assembly.md, "Transforms"). The placements compose down the stack, so a part's
transform into the package is its carrier's transform after its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import klayout.db as kdb

from adk.errors import DeckError, Diagnostic
from adk.lang.model import Span

PACKAGE = "package"  # the carrier of a part placed on no other part
ROTATIONS = (0, 90, 180, 270)
FACES = ("up", "down")
NET_LAYER = "net"  # the layer a part's bump map fills with net texts; LAYER_net for a layer's
# 3Dblox's CAD layers: a part's extent and its rings, never a region that connects
CAD_LAYERS = ("outline", "seal_ring", "scribe_line")
CHIPLET_TYPES = ("die", "rdl", "ip", "substrate")
SIDES = ("front", "back", "internal", "internal_ext")

# face down turns the part over left to right: x -> -x about its own origin, which is
# KLayout's mirror about the x axis followed by a half turn
FACE_DOWN = kdb.DCplxTrans(1.0, 180.0, True, 0.0, 0.0)


@dataclass(frozen=True)
class Placement:
    """Where a part sits on its carrier: ``offset`` in µm in the carrier's coordinates,
    ``rotation`` counter-clockwise in degrees, ``mirror`` about the x axis, ``face``
    ``up`` or ``down`` (flip-chip)."""

    offset: tuple[float, float] = (0.0, 0.0)
    rotation: int = 0
    mirror: bool = False
    magnification: float = 1.0
    face: str = "up"

    def trans(self) -> kdb.DCplxTrans:
        """The part's coordinates to its carrier's, in µm."""
        x, y = self.offset
        placed = kdb.DCplxTrans(self.magnification, float(self.rotation), self.mirror, x, y)
        return placed * FACE_DOWN if self.face == "down" else placed


@dataclass(frozen=True)
class Drawing:
    """A part described without a layout file (a 3Dblox chiplet naming none), drawn from
    its description so that its bumps are checked all the same: its design area as a box
    on its ``outline`` layer, and each entry of a bump map on layer ``L`` (net layer
    ``L_net``) as a square of ``bump`` µm on ``L``."""

    width: float
    height: float
    dbu: float
    bump: float


@dataclass(frozen=True)
class Connection:
    """A connection of a 3Dblox stack or an assembly file: the region ``top`` (``(part,
    region)``) bonded to ``bottom`` (None: to nothing, a virtual connection), with where
    the file writes it."""

    name: str
    top: tuple[str, str]
    bottom: tuple[str, str] | None
    span: Span | None = None


@dataclass(frozen=True)
class PathAssertion:
    """A path assertion (of a 3Dblox stack or an assembly file): regions that must be
    connected (``negated`` False) and regions the route must avoid (``negated`` True)."""

    name: str
    entries: tuple[tuple[str, str, bool], ...]  # (part, region, negated)
    span: Span | None = None


@dataclass(frozen=True)
class Chiplet:
    """What a 3Dblox chiplet definition, or an assembly file's part, says of the
    connectivity inside a part: its ``kind`` (die, rdl, ip, substrate), whether a die has
    through-silicon vias (``tsv``), and each region's side (front, back, internal,
    internal_ext)."""

    kind: str
    tsv: bool
    sides: dict[str, str]


def regions(part: Part) -> list[str]:
    """The regions of a part that connections and paths name: its named layers but the
    CAD layers, then the layers only its bump maps name (``REGION_net``)."""
    named = [name for name in part.layers if name not in CAD_LAYERS]
    suffix = f"_{NET_LAYER}"
    mapped = [net[: -len(suffix)] for net in part.bump_maps if net.endswith(suffix)]
    return list(dict.fromkeys(named + mapped))


@dataclass(frozen=True)
class Part:
    """One layout of the assembly. ``layers``: the part's named layers, name -> (layer,
    datatype) in its own layout, with ``layer_spans`` where the file names each (for the
    deck's messages); ``spans``: where the file writes each key of the part, and ``span``
    its name; ``bump_maps``: net layer name -> a CSV of bump name, net, x, y in the part's
    coordinates (``net`` for the part's one bump map, ``LAYER_net`` for a layer's)."""

    name: str
    layout: str
    top: str | None
    carrier: str
    placement: Placement
    layers: dict[str, tuple[int, int]]
    layer_spans: dict[str, Span] = field(default_factory=dict)
    bump_maps: dict[str, str] = field(default_factory=dict)
    deck: str | None = None
    layer_map: str | None = None
    spans: dict[str, Span] = field(default_factory=dict)
    span: Span | None = None
    drawing: Drawing | None = None  # drawn from its description when it names no layout


@dataclass(frozen=True)
class Assembly:
    """The whole assembly file: its parts in file order (every carrier before the parts
    on it is not required; :meth:`stacked` gives that order)."""

    name: str
    path: str
    parts: tuple[Part, ...]
    dbu: float | None = None
    deck: str | None = None
    text: str = ""  # the file's text, to show the line of a fault found later
    connections: tuple[Connection, ...] = ()
    paths: tuple[PathAssertion, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)  # other files' texts, for faults
    chiplets: dict[str, Chiplet] = field(default_factory=dict)  # part -> its connectivity
    netlist: str | None = None  # the Verilog netlist the file names, compared by default
    netlist_span: Span | None = None  # where the file names it

    def fault(self, span: Span | None, message: str) -> DeckError:
        """An error at ``span`` of the file (its start without one), shown with its line."""
        line, column, length = (1, 1, 1) if span is None else (span.line, span.column, 1)
        if span is not None and span.end_line == span.line:
            length = max(1, span.end_column - span.column)
        path = self.path if span is None else (span.file or self.path)
        sources = {self.path: self.text, **self.texts}
        return DeckError([Diagnostic(path, line, column, message, length)], sources)

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)

    def stacked(self) -> list[Part]:
        """The parts, each after its carrier, otherwise in file order."""
        placed: list[Part] = []
        done = {PACKAGE}
        pending = list(self.parts)
        while pending:
            ready = [part for part in pending if part.carrier in done]
            if not ready:
                raise ValueError("the parts' carriers form a cycle")  # the loader refuses it
            placed += ready
            done |= {part.name for part in ready}
            pending = [part for part in pending if part.name not in done]
        return placed

    def package_trans(self, name: str) -> kdb.DCplxTrans:
        """A part's coordinates to the package's, in µm: its placement, then its carrier's."""
        part = self.part(name)
        trans = part.placement.trans()
        while part.carrier != PACKAGE:
            part = self.part(part.carrier)
            trans = part.placement.trans() * trans
        return trans

    def stack(self, name: str) -> list[str]:
        """The part and the parts under it, down to the package: ``[HBM1, IP, SUB]``."""
        chain = [name]
        while self.part(chain[-1]).carrier != PACKAGE:
            chain.append(self.part(chain[-1]).carrier)
        return chain
