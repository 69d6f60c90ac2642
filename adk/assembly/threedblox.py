"""3Dblox stacks (``.3dbx``) and chiplet definitions (``.3dbv``) to an
:class:`~adk.assembly.model.Assembly`, every fault with its file, line and column.

    # stack.3dbx
    Header: {version: "1.0", unit: micron, precision: 1000, include: [chiplets.3dbv]}
    Design: {name: package}
    ChipletInst:
      HBM1: {reference: HBM}
    Stack:
      HBM1: {loc: [3500, 1000], z: 100, orient: MZ}
    Connection:
      hbm1_fom: {top: HBM1.regions.bump, bot: FOM.regions.pad, thickness: 0}

The files are YAML, read as OpenROAD reads them (``#!define NAME VALUE`` lines replace
NAME in the lines after them) but with YAML's safe loader on the document's nodes, so
that every fault has its place. Each chiplet instance is a part named after it; its
definition's regions are its named layers (``gds_layer``) and bump maps (``bmap``, net
layer ``REGION_net``); its ``cad_layer`` of type ``design_area`` is its ``outline``. The
layout is the definition's ``external: GDS_file`` (GDS or OASIS, ``GDS_top`` its top
cell); a definition without one is drawn from its design area and bump maps
(:class:`~adk.assembly.model.Drawing`). ``loc`` and ``orient`` are the placement on the
package: ``R0``..``R270``, ``MX``, ``MY``, ``MXR90``, ``MYR90`` (and their synonyms), each
optionally ``MZ_``-prefixed; ``MZ`` is face down (docs/assembly.md, "3Dblox"). Relative
paths are from the file naming them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import yaml

from adk.assembly.model import (
    CHIPLET_TYPES,
    FACE_DOWN,
    NET_LAYER,
    PACKAGE,
    SIDES,
    Assembly,
    Chiplet,
    Connection,
    Drawing,
    Part,
    PathAssertion,
    Placement,
)
from adk.assembly.model import regions as part_regions
from adk.errors import AdkError, DeckError, Diagnostic
from adk.lang.model import Span
from adk.layout.layermap import LimitedSafeLoader, yaml_fault
from adk.textfile import TextFault, read_text

MAX_BYTES = 1024 * 1024
STACK_KEYS = ("Header", "Design", "ChipletInst", "Stack", "Connection", "Path")
CHIPLET_FILE_KEYS = ("Header", "ChipletDef")
HEADER_KEYS = ("version", "unit", "precision", "include")
DESIGN_KEYS = ("name", "external")
INST_KEYS = ("reference", "external")
INST_EXTERNAL_KEYS = ("verilog_file", "sdc_file", "def_file")
STACK_ENTRY_KEYS = ("loc", "z", "orient")
CONNECTION_KEYS = ("top", "bot", "thickness")
CHIPLET_KEYS = (
    "type",
    "design_area",
    "seal_ring_width",
    "scribe_line_remaining_width",
    "thickness",
    "shrink",
    "tsv",
    "offset",
    "cad_layer",
    "regions",
    "external",
)
CAD_TYPES = {"design_area": "outline", "seal_ring": "seal_ring", "scribe_line": "scribe_line"}
REGION_KEYS = ("side", "coords", "bmap", "pmap", "layer", "gds_layer")
EXTERNAL_KEYS = (
    "LEF_file",
    "APR_tech_file",
    "liberty_file",
    "DEF_file",
    "verilog_file",
    "GDS_file",
    "GDS_top",
)
UNITS = ("micron", "um")
DRAWN_BUMP = 2  # database units: the side of a bump drawn from a bump map
FIRST_DRAWN_LAYER = 1000  # layer numbers for a drawn chiplet's regions without gds_layer
# written for a part of no type (an assembly file's): an ip, which joins none of its regions
UNJOINED = Chiplet("ip", False, {})

# orientation (upper case) -> (rotation, mirror about x) in KLayout's order: mirror, then
# rotation; MY is the mirror about the y axis
ORIENTS = {
    "R0": (0, False),
    "R90": (90, False),
    "R180": (180, False),
    "R270": (270, False),
    "MX": (0, True),
    "MXR90": (90, True),
    "MX_R90": (90, True),
    "MY": (180, True),
    "MYR90": (270, True),
    "MY_R90": (270, True),
    "MY_R180": (0, True),
    "MY_R270": (90, True),
    "MX_R180": (180, True),
    "MX_R270": (270, True),
}
ORIENT_NAMES = ("R0", "R90", "R180", "R270", "MX", "MXR90", "MY", "MYR90")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_GDS_LAYER = re.compile(r"\s*([0-9]{1,5})\s*[;/]\s*([0-9]{1,5})\s*")
_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.regions\.([A-Za-z_][A-Za-z0-9_]*)")


def is_3dblox(path: str) -> bool:
    """Whether ``path`` names a 3Dblox stack, read by :func:`load_3dbx`."""
    return path.lower().endswith(".3dbx")


def load_3dbx(path: str) -> Assembly:
    """Read the 3Dblox stack at ``path`` and the chiplet definitions it includes; raises
    DeckError listing every fault of every file."""
    reader = _Reader()
    assembly = reader.stack(path)
    if reader.problems:
        raise DeckError(reader.problems, reader.texts)
    return assembly


@dataclass
class _Region:
    name: str
    side: str
    layer: tuple[int, int] | None
    bmap: str | None
    span: Span


@dataclass
class _Chiplet:
    name: str
    area: tuple[float, float] | None
    shrink: float
    layers: dict[str, tuple[int, int]]
    layer_spans: dict[str, Span]
    regions: dict[str, _Region]
    layout: str | None
    top: str | None
    span: Span
    spans: dict[str, Span] = field(default_factory=dict)
    kind: str = "die"
    tsv: bool = False


class _Reader:
    """Reads a stack and its includes, collecting every problem of every file."""

    def __init__(self) -> None:
        self.problems: list[Diagnostic] = []
        self.texts: dict[str, str] = {}
        self.chiplets: dict[str, _Chiplet] = {}
        self.path = ""
        self.precision: int | None = None
        self.instances: set[str] = set()  # every instance named, a faulty one too
        self.faulty: set[str] = set()  # chiplets defined with faults, reported
        self.placed_chiplets: dict[str, Chiplet] = {}  # instance -> its chiplet's connectivity

    # ------------------------------------------------------------ files
    def _document(self, path: str, at: Span | None) -> yaml.Node | None:
        text = self._read(path, at)
        if text is None:
            return None
        self.path = path
        self.texts[path] = text
        try:
            return LimitedSafeLoader(_defined(text)).get_single_node()
        except yaml.YAMLError as exc:
            line, column, message = yaml_fault(exc, text)
            self.problems.append(Diagnostic(path, line, column, message))
            return None

    def _read(self, path: str, at: Span | None) -> str | None:
        try:
            return read_text(path, MAX_BYTES)
        except TextFault as fault:
            if fault.kind == "not utf-8":
                self.problems.append(Diagnostic(path, fault.line, 1, "not UTF-8 text"))
            elif fault.kind == "unreadable":
                self._problem_at(at, f"cannot read {path}: {fault.detail}")
            else:
                self._problem_at(at, f"{path}: over the limit of {fault.detail}")
            return None

    def stack(self, path: str) -> Assembly:
        name = os.path.splitext(os.path.basename(path))[0]
        if not os.path.exists(path):
            raise AdkError(f"{path}: no such 3Dblox file")
        root = self._document(path, None)
        if not isinstance(root, yaml.MappingNode):
            if root is not None or not self.problems:
                self._problem_at(Span(path, 1, 1, 1, 1), "a 3Dblox stack is a mapping: Header, ...")
            return Assembly(name, path, (), text=self.texts.get(path, ""), texts=self.texts)
        fields = self._mapping(root, STACK_KEYS, "a 3Dblox stack")
        if "Header" in fields:
            self._header(fields["Header"], path, stack=True)
        self.path = path
        netlist: tuple[str, Span] | None = None
        if "Design" in fields:
            name, netlist = self._design(fields["Design"], name)
        parts = self._parts(fields.get("ChipletInst"), fields.get("Stack"), root)
        names = {part.name: part for part in parts}
        connections = self._connections(fields.get("Connection"), names)
        paths = self._paths(fields.get("Path"), names)
        dbu = 1.0 / self.precision if self.precision else None
        return Assembly(
            name,
            path,
            tuple(parts),
            dbu,
            None,
            self.texts[path],
            tuple(connections),
            tuple(paths),
            self.texts,
            {part.name: self.placed_chiplets[part.name] for part in parts},
            netlist=netlist[0] if netlist else None,
            netlist_span=netlist[1] if netlist else None,
        )

    def _header(self, node: yaml.Node, path: str, stack: bool) -> None:
        fields = self._mapping(node, HEADER_KEYS, "Header")
        if "unit" in fields:
            unit = self._scalar(fields["unit"])
            if unit not in UNITS:
                self._problem(fields["unit"], f"'unit' must be micron, not {unit!r}")
        if "precision" in fields:
            self._precision(fields["precision"])
        includes = self._list(fields["include"], "include") if "include" in fields else []
        folder = os.path.dirname(os.path.abspath(path))
        for item in includes:
            text = self._text(item, "include")
            if not text:
                continue
            if not text.lower().endswith(".3dbv"):
                self._problem(item, f"include {text!r}: only chiplet definitions (.3dbv) are read")
                continue
            self._chiplet_file(os.path.normpath(os.path.join(folder, text)), self._span(item))
            self.path = path

    def _precision(self, node: yaml.Node) -> None:
        text = self._scalar(node)
        if text is None or not text.isdigit() or not 1 <= int(text) <= 1_000_000:
            self._problem(node, "'precision' must be database units per micron, 1 to 1000000")
            return
        if self.precision is None or int(text) > self.precision:
            self.precision = int(text)

    def _design(self, node: yaml.Node, name: str) -> tuple[str, tuple[str, Span] | None]:
        """The design's name (``name`` without one) and the netlist it names, with where."""
        fields = self._mapping(node, DESIGN_KEYS, "Design")
        netlist = None
        if "external" in fields:
            external = self._mapping(fields["external"], ("verilog_file",), "Design external")
            if "verilog_file" in external:
                netlist = self._file(external["verilog_file"], "verilog_file")
        if "name" not in fields:
            self._problem(node, "Design needs 'name'")
            return name, netlist
        return self._name(fields["name"], "design name") or name, netlist

    def _file(self, node: yaml.Node, key: str) -> tuple[str, Span] | None:
        """A file named at ``node``, relative to the file naming it, with where."""
        text = self._text(node, key)
        if not text:
            return None
        folder = os.path.dirname(os.path.abspath(self.path))
        return os.path.normpath(os.path.join(folder, text)), self._span(node)

    # ------------------------------------------------------------ chiplet definitions
    def _chiplet_file(self, path: str, at: Span) -> None:
        if path in self.texts:
            return
        root = self._document(path, at)
        if root is None:
            return
        if not isinstance(root, yaml.MappingNode):
            self._problem(root, "a 3Dblox chiplet file is a mapping: Header, ChipletDef")
            return
        fields = self._mapping(root, CHIPLET_FILE_KEYS, "a 3Dblox chiplet file")
        if "Header" in fields:
            self._header(fields["Header"], path, stack=False)
            self.path = path
        node = fields.get("ChipletDef")
        if not isinstance(node, yaml.MappingNode):
            self._problem(node or root, "'ChipletDef' must be a mapping of chiplet names")
            return
        for key, value in node.value:
            name = self._name(key, "chiplet name")
            if name is None:
                continue
            if name in self.chiplets:
                self._problem(key, f"chiplet '{name}' is defined twice")
                continue
            chiplet = self._chiplet(name, key, value)
            if chiplet is not None:
                self.chiplets[name] = chiplet
            else:
                self.faulty.add(name)

    def _chiplet(self, name: str, key: yaml.Node, node: yaml.Node) -> _Chiplet | None:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"chiplet '{name}' must be a mapping of type, regions, ...")
            return None
        before = len(self.problems)
        fields = self._mapping(node, CHIPLET_KEYS, f"chiplet '{name}'")
        kind = CHIPLET_TYPES[0]
        if "type" not in fields:
            self._problem(key, f"chiplet '{name}' needs 'type': {', '.join(CHIPLET_TYPES)}")
        else:
            kind = self._choice(fields["type"], "type", CHIPLET_TYPES)
        area = self._pair(fields["design_area"], "design_area") if "design_area" in fields else None
        for key_name, count in (("seal_ring_width", 4), ("scribe_line_remaining_width", 4)):
            if key_name in fields:
                self._numbers(fields[key_name], key_name, count)
        for key_name in ("thickness",):
            if key_name in fields:
                self._number(fields[key_name], key_name)
        if "tsv" in fields and self._scalar(fields["tsv"]) not in ("true", "false"):
            self._problem(fields["tsv"], "'tsv' must be true or false")
        if "offset" in fields:
            offset = self._pair(fields["offset"], "offset")
            if offset not in (None, (0.0, 0.0)):
                self._problem(fields["offset"], "'offset' other than [0, 0] is not supported")
        shrink = self._shrink(fields["shrink"]) if "shrink" in fields else 1.0
        layers, spans = self._cad_layers(fields.get("cad_layer"))
        regions = self._regions(fields.get("regions"), name)
        layout, top = self._external(fields.get("external"))
        chiplet = _Chiplet(
            name, area, shrink, layers, spans, regions, layout, top, self._span(key),
            {k: self._span(v) for k, v in fields.items()},
            kind, "tsv" in fields and self._scalar(fields["tsv"]) == "true",
        )  # fmt: skip
        if layout is None and area is None:
            self._problem(key, f"chiplet '{name}' names no GDS_file: it needs 'design_area'")
        return chiplet if len(self.problems) == before else None

    def _shrink(self, node: yaml.Node) -> float:
        value = self._number(node, "shrink")
        if value is not None and not 1e-3 <= value <= 1e3:
            self._problem(node, "'shrink' must be between 0.001 and 1000")
            return 1.0
        return 1.0 if value is None else value

    def _cad_layers(
        self, node: yaml.Node | None
    ) -> tuple[dict[str, tuple[int, int]], dict[str, Span]]:
        layers: dict[str, tuple[int, int]] = {}
        spans: dict[str, Span] = {}
        if node is None:
            return layers, spans
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'cad_layer' must map LAYER;DATATYPE to a type")
            return layers, spans
        for key, value in node.value:
            numbers = self._gds_layer(key)
            if not isinstance(value, yaml.MappingNode):
                self._problem(value, "a cad_layer entry must be a mapping with 'type'")
                continue
            fields = self._mapping(
                value, ("type", "seal_ring_width", "scribe_line_remaining_width"), "cad_layer"
            )
            if "type" not in fields:
                self._problem(key, "a cad_layer entry needs 'type'")
                continue
            kind = self._choice(fields["type"], "type", tuple(CAD_TYPES))
            name = CAD_TYPES[kind]
            if numbers is not None and name in layers:
                self._problem(fields["type"], f"cad_layer '{kind}' is given twice")
            elif numbers is not None:
                layers[name], spans[name] = numbers, self._span(key)
        return layers, spans

    def _regions(self, node: yaml.Node | None, chiplet: str) -> dict[str, _Region]:
        regions: dict[str, _Region] = {}
        if node is None:
            return regions
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'regions' must be a mapping of region names")
            return regions
        folder = os.path.dirname(os.path.abspath(self.path))
        for key, value in node.value:
            name = self._name(key, "region name")
            if name is None:
                continue
            if name in regions:
                self._problem(key, f"region '{name}' of chiplet '{chiplet}' is given twice")
                continue
            if name in CAD_TYPES.values() or name.endswith(f"_{NET_LAYER}"):
                self._problem(key, f"region name '{name}' is taken by a layer adk makes")
                continue
            if not isinstance(value, yaml.MappingNode):
                self._problem(value, f"region '{name}' must be a mapping of side, bmap, ...")
                continue
            fields = self._mapping(value, REGION_KEYS, f"region '{name}'")
            side = self._choice(fields["side"], "side", SIDES) if "side" in fields else "front"
            if "coords" in fields:
                self._coords(fields["coords"])
            layer = self._gds_layer(fields["gds_layer"]) if "gds_layer" in fields else None
            bmap = None
            if "bmap" in fields:
                text = self._text(fields["bmap"], "bmap")
                bmap = os.path.normpath(os.path.join(folder, text)) if text else None
            regions[name] = _Region(name, side, layer, bmap, self._span(key))
        return regions

    def _coords(self, node: yaml.Node) -> None:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        if items is None or len(items) != 4:
            self._problem(node, "'coords' must be the 4 corners [x, y] of a rectangle")
            return
        for item in items:
            self._pair(item, "coords")

    def _external(self, node: yaml.Node | None) -> tuple[str | None, str | None]:
        if node is None:
            return None, None
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'external' must be a mapping of files")
            return None, None
        fields = self._mapping(node, EXTERNAL_KEYS, "external")
        layout = None
        if "GDS_file" in fields:
            text = self._text(fields["GDS_file"], "GDS_file")
            folder = os.path.dirname(os.path.abspath(self.path))
            layout = os.path.normpath(os.path.join(folder, text)) if text else None
        top = self._text(fields["GDS_top"], "GDS_top") if "GDS_top" in fields else None
        return layout, top

    # ------------------------------------------------------------ instances
    def _parts(
        self, insts: yaml.Node | None, stack: yaml.Node | None, root: yaml.Node
    ) -> list[Part]:
        if not isinstance(insts, yaml.MappingNode) or not insts.value:
            self._problem(insts or root, "'ChipletInst' must be a mapping of instance names")
            return []
        placed = self._stack_entries(stack, root)
        parts: list[Part] = []
        seen: set[str] = set()
        for key, value in insts.value:
            name = self._name(key, "chiplet instance name")
            if name is None:
                continue
            if name == PACKAGE or name in seen:
                self._problem(key, f"chiplet instance '{name}' is given twice or is reserved")
                continue
            seen.add(name)
            self.instances.add(name)
            part = self._part(name, key, value, placed.get(name))
            if part is not None:
                parts.append(part)
        for name, (key, _) in placed.items():
            if name not in seen:
                self._problem(key, f"Stack entry '{name}' is no chiplet instance")
        return parts

    def _stack_entries(
        self, node: yaml.Node | None, root: yaml.Node
    ) -> dict[str, tuple[yaml.Node, Placement | None]]:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node or root, "'Stack' must be a mapping of instance placements")
            return {}
        entries: dict[str, tuple[yaml.Node, Placement | None]] = {}
        for key, value in node.value:
            name = self._name(key, "Stack entry")
            if name is None:
                continue
            if name in entries:
                self._problem(key, f"Stack entry '{name}' is given twice")
                continue
            entries[name] = (key, self._placement(value, name))
        return entries

    def _placement(self, node: yaml.Node, name: str) -> Placement | None:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"Stack entry '{name}' must be a mapping of loc, z, orient")
            return None
        fields = self._mapping(node, STACK_ENTRY_KEYS, f"Stack entry '{name}'")
        for key in STACK_ENTRY_KEYS:
            if key not in fields:
                self._problem(node, f"Stack entry '{name}' needs '{key}'")
        loc = self._pair(fields["loc"], "loc") if "loc" in fields else None
        if "z" in fields:
            self._number(fields["z"], "z")
        orient = self._orient(fields["orient"]) if "orient" in fields else None
        if loc is None or orient is None:
            return None
        rotation, mirror, face = orient
        return Placement(loc, rotation, mirror, 1.0, face)

    def _orient(self, node: yaml.Node) -> tuple[int, bool, str] | None:
        text = (self._scalar(node) or "").strip().upper()
        face = "up"
        if text == "MZ" or text.startswith("MZ_"):
            face, text = "down", text[3:] or "R0"
        if text not in ORIENTS:
            names = ", ".join(ORIENT_NAMES)
            self._problem(node, f"'orient' must be one of {names}, optionally MZ_-prefixed, or MZ")
            return None
        rotation, mirror = ORIENTS[text]
        return rotation, mirror, face

    def _part(
        self,
        name: str,
        key: yaml.Node,
        node: yaml.Node,
        placed: tuple[yaml.Node, Placement | None] | None,
    ) -> Part | None:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"chiplet instance '{name}' must be a mapping with 'reference'")
            return None
        fields = self._mapping(node, INST_KEYS, f"chiplet instance '{name}'")
        if "external" in fields:
            self._mapping(fields["external"], INST_EXTERNAL_KEYS, "ChipletInst external")
        if "reference" not in fields:
            self._problem(key, f"chiplet instance '{name}' needs 'reference': a chiplet")
            return None
        reference = self._text(fields["reference"], "reference")
        chiplet = self.chiplets.get(reference)
        if chiplet is None and reference in self.faulty:
            return None
        if chiplet is None:
            known = ", ".join(self.chiplets) or "none"
            self._problem(fields["reference"], f"unknown chiplet '{reference}' ({known})")
            return None
        if placed is None:
            self._problem(key, f"chiplet instance '{name}' has no Stack entry")
            return None
        if placed[1] is None:
            return None
        return self._made_part(name, key, chiplet, placed[1], placed[0])

    def _made_part(
        self, name: str, key: yaml.Node, chiplet: _Chiplet, placement: Placement, at: yaml.Node
    ) -> Part:
        sides = {region.name: region.side for region in chiplet.regions.values()}
        self.placed_chiplets[name] = Chiplet(chiplet.kind, chiplet.tsv, sides)
        layers = dict(chiplet.layers)
        spans = dict(chiplet.layer_spans)
        drawing = None
        if chiplet.layout is None:
            assert chiplet.area is not None
            dbu = 1.0 / (self.precision or 1000)
            drawing = Drawing(*chiplet.area, dbu, DRAWN_BUMP * dbu)
            if "outline" not in layers:
                layers["outline"], spans["outline"] = (FIRST_DRAWN_LAYER, 0), chiplet.span
        bump_maps: dict[str, str] = {}
        for number, region in enumerate(chiplet.regions.values(), FIRST_DRAWN_LAYER + 1):
            if region.layer is not None or drawing is not None:
                layers[region.name] = region.layer or (number, 0)
                spans[region.name] = region.span
            if region.bmap is not None:
                net = f"{region.name}_{NET_LAYER}"
                bump_maps[net], spans[net] = region.bmap, region.span
        placement = Placement(
            placement.offset, placement.rotation, placement.mirror, chiplet.shrink, placement.face
        )
        return Part(
            name=name,
            layout=chiplet.layout or "",
            top=chiplet.top,
            carrier=PACKAGE,
            placement=placement,
            layers=layers,
            layer_spans=spans,
            bump_maps=bump_maps,
            spans={"layout": chiplet.spans.get("external", chiplet.span), "at": self._span(at)},
            span=self._span(key),
            drawing=drawing,
        )

    # ------------------------------------------------------------ connections and paths
    def _connections(self, node: yaml.Node | None, parts: dict[str, Part]) -> list[Connection]:
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'Connection' must be a mapping of connection names")
            return []
        connections = []
        seen: set[str] = set()
        for key, value in node.value:
            name = self._name(key, "connection name")
            if name is not None and name in seen:
                self._problem(key, f"connection '{name}' is given twice")
                continue
            seen.add(name or "")
            if name is None or not isinstance(value, yaml.MappingNode):
                if name is not None:
                    self._problem(value, f"connection '{name}' must be a mapping of top, bot")
                continue
            fields = self._mapping(value, CONNECTION_KEYS, f"connection '{name}'")
            if "thickness" in fields:
                self._number(fields["thickness"], "thickness")
            if "top" not in fields or "bot" not in fields:
                self._problem(key, f"connection '{name}' needs 'top' and 'bot'")
                continue
            top = self._region_path(fields["top"], parts, allow_none=False)
            bottom = self._region_path(fields["bot"], parts, allow_none=True)
            if top and bottom != ():
                assert len(top) == 2 and (bottom is None or len(bottom) == 2)
                connections.append(Connection(name, top, bottom, self._span(key)))
        return connections

    def _region_path(
        self, node: yaml.Node, parts: dict[str, Part], allow_none: bool
    ) -> tuple[str, str] | tuple[()] | None:
        """``(part, region)``; None for ``~`` where allowed; ``()`` after a fault."""
        text = self._scalar(node)
        if text is None and allow_none:
            return None
        match = _PATH.fullmatch((text or "").strip())
        if match is None:
            self._problem(node, f"expected INSTANCE.regions.REGION, not {text!r}")
            return ()
        part, region = match.group(1), match.group(2)
        if part not in parts and part in self.instances:
            return ()  # the instance's own fault is reported
        if part not in parts:
            self._problem(node, f"unknown chiplet instance '{part}' ({', '.join(parts)})")
            return ()
        known = part_regions(parts[part])
        if region not in known:
            listed = ", ".join(known) or "none"
            self._problem(node, f"chiplet instance '{part}' has no region '{region}' ({listed})")
            return ()
        return part, region

    def _paths(self, node: yaml.Node | None, parts: dict[str, Part]) -> list[PathAssertion]:
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'Path' must be a mapping of Path1, Path2, ...")
            return []
        paths = []
        seen: set[str] = set()
        for key, value in node.value:
            name = self._scalar(key) or ""
            if not re.fullmatch(r"Path[1-9][0-9]*", name):
                self._problem(key, f"path assertion {name!r} must be named PathN (Path1, Path2)")
                continue
            if name in seen:
                self._problem(key, f"path assertion '{name}' is given twice")
                continue
            seen.add(name)
            if not isinstance(value, yaml.SequenceNode) or not value.value:
                self._problem(value, f"path assertion '{name}' must be a list of regions")
                continue
            entries = []
            for item in value.value:
                text = (self._scalar(item) or "").strip()
                negated = text.startswith("NOT ")
                region = yaml.ScalarNode(
                    "tag:yaml.org,2002:str", text[4:] if negated else text,
                    item.start_mark, item.end_mark,
                )  # fmt: skip
                found = self._region_path(region, parts, allow_none=False)
                if found:
                    entries.append((found[0], found[1], negated))
            paths.append(PathAssertion(name, tuple(entries), self._span(key)))
        return paths

    # ------------------------------------------------------------ values
    def _mapping(self, node: yaml.Node, known: tuple[str, ...], what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"{what} must be a mapping of {', '.join(known)}")
            return {}
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in known:
                self._problem(
                    key_node, f"unknown key {key!r} in {what}; expected one of {', '.join(known)}"
                )
            elif key in fields:
                self._problem(key_node, f"'{key}' given twice")
            else:
                fields[key] = value_node
        return fields

    def _scalar(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not node.tag.startswith("tag:yaml.org"):
            return None
        if node.style is None and node.value in ("", "~", "null", "Null", "NULL"):
            return None
        return node.value

    def _text(self, node: yaml.Node, key: str) -> str:
        text = self._scalar(node)
        if text is None or not text.strip() or any(ord(c) < 32 for c in text):
            self._problem(node, f"'{key}' must be a non-empty text on one line")
            return ""
        return text.strip()

    def _name(self, node: yaml.Node, what: str) -> str | None:
        text = self._scalar(node)
        if text is None or not _NAME.fullmatch(text):
            shown = text if text is not None else getattr(node, "value", "")
            self._problem(
                node, f"{what} {shown!r} is not a name (letters, digits and '_', not a digit first)"
            )
            return None
        return text

    def _choice(self, node: yaml.Node, key: str, choices: tuple[str, ...]) -> str:
        text = self._scalar(node)
        if text not in choices:
            self._problem(node, f"'{key}' must be one of {', '.join(choices)}")
            return choices[0]
        return text

    def _list(self, node: yaml.Node, key: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self._problem(node, f"'{key}' must be a list")
            return []
        return list(node.value)

    def _number(self, node: yaml.Node, key: str) -> float | None:
        text = self._scalar(node)
        if text is None or not _NUMBER.fullmatch(text.strip()) or abs(float(text)) > 1e6:
            self._problem(node, f"'{key}' must be a number in um, within 1 m")
            return None
        return float(text) + 0.0

    def _numbers(self, node: yaml.Node, key: str, count: int) -> list[float] | None:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        if items is None or len(items) != count:
            self._problem(node, f"'{key}' must be a list of {count} numbers")
            return None
        values = [self._number(item, key) for item in items]
        return None if any(v is None for v in values) else [v for v in values if v is not None]

    def _pair(self, node: yaml.Node, key: str) -> tuple[float, float] | None:
        values = self._numbers(node, key, 2)
        return None if values is None else (values[0], values[1])

    def _gds_layer(self, node: yaml.Node) -> tuple[int, int] | None:
        text = self._scalar(node)
        match = _GDS_LAYER.fullmatch(text) if text is not None else None
        if match is None or max(int(match.group(1)), int(match.group(2))) > 65535:
            self._problem(node, f"expected a GDS layer LAYER;DATATYPE such as 30;0, not {text!r}")
            return None
        return int(match.group(1)), int(match.group(2))

    # ------------------------------------------------------------ positions
    def _span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span(self.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def _problem(self, node: yaml.Node, message: str) -> None:
        self._problem_at(self._span(node), message)

    def _problem_at(self, span: Span | None, message: str) -> None:
        if span is None:
            self.problems.append(Diagnostic(self.path, 1, 1, message))
            return
        length = span.end_column - span.column if span.end_line == span.line else 1
        self.problems.append(Diagnostic(span.file, span.line, span.column, message, max(1, length)))


def _defined(text: str) -> str:
    """``text`` with its ``#!define NAME VALUE`` lines applied to the lines after them, as
    OpenROAD does; each define line is left empty, so lines keep their numbers."""
    defines: dict[str, str] = {}
    lines = []
    for line in text.split("\n"):
        if line.startswith("#!define"):
            name, _, value = line[len("#!define") :].strip().partition(" ")
            if name:
                defines[name] = value.strip()
            lines.append("")
            continue
        for name, value in defines.items():
            line = line.replace(name, value)
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------- writing
def write_3dblox(
    assembly: Assembly, folder: str, name: str = "stack", regions: dict[str, str] | None = None
) -> list[str]:
    """Write ``assembly`` as a 3Dblox stack ``NAME.3dbx``, its chiplets ``NAME.3dbv`` and
    a ``.bmap`` per bump map, in ``folder``; the files written. Each part is a chiplet of
    its own (its type and sides, :data:`UNJOINED` without), placed on the package with its
    transform into it; the connections, paths and netlist follow. A part's one bump map
    (net layer ``net``) is given to the region ``regions[PART]``, by default its one named
    layer other than ``outline``; the deck then names its nets ``PART.REGION_net``."""
    os.makedirs(folder, exist_ok=True)
    written: list[str] = []
    chiplets: list[str] = []
    stack: list[str] = []
    for part in assembly.parts:
        region_of = _region_names_for(part, (regions or {}).get(part.name))
        chiplet = assembly.chiplets.get(part.name, UNJOINED)
        chiplets += _chiplet_text(part, chiplet, folder, region_of, written)
        stack += _stack_text(assembly, part)
    chiplet_path = os.path.join(folder, f"{name}.3dbv")
    _write(chiplet_path, _header_text(assembly, None) + "ChipletDef:\n" + "".join(chiplets))
    insts = "".join(f"  {part.name}:\n    reference: {part.name}\n" for part in assembly.parts)
    text = (
        _header_text(assembly, f"{name}.3dbv")
        + _design_text(assembly, folder)
        + f"ChipletInst:\n{insts}\nStack:\n"
        + "".join(stack)
        + _connection_text(assembly)
        + _path_text(assembly)
    )
    stack_path = os.path.join(folder, f"{name}.3dbx")
    _write(stack_path, text)
    return [*written, chiplet_path, stack_path]


def _design_text(assembly: Assembly, folder: str) -> str:
    lines = [f"Design:\n  name: {assembly.name}\n"]
    if assembly.netlist is not None:
        netlist = os.path.relpath(assembly.netlist, folder)
        lines.append(f"  external:\n    verilog_file: {netlist}\n")
    return "".join(lines) + "\n"


def _region_names_for(part: Part, chosen: str | None) -> dict[str, str]:
    """Net layer -> the region its bump map is given to."""
    named = [layer for layer in part.layers if layer not in CAD_TYPES.values()]
    mapping = {}
    for net in part.bump_maps:
        if net != NET_LAYER:
            mapping[net] = net[: -len(NET_LAYER) - 1]
        elif chosen is not None or len(named) == 1:
            mapping[net] = chosen or named[0]
        else:
            raise AdkError(f"part '{part.name}': name the region of its bump map")
    return mapping


def _header_text(assembly: Assembly, include: str | None) -> str:
    precision = round(1.0 / assembly.dbu) if assembly.dbu else 1000
    lines = ['Header:\n  version: "1.0"\n  unit: micron\n', f"  precision: {precision}\n"]
    if include is not None:
        lines.append(f"  include:\n    - {include}\n")
    return "".join(lines) + "\n"


def _chiplet_text(
    part: Part, chiplet: Chiplet, folder: str, region_of: dict[str, str], written: list[str]
) -> list[str]:
    from adk.assembly.bumpmap import bmap_text, load_bump_map

    lines = [f"  {part.name}:\n    type: {chiplet.kind}\n"]
    if chiplet.tsv:
        lines.append("    tsv: true\n")
    magnification = part.placement.magnification
    if magnification != 1.0:
        lines.append(f"    shrink: {magnification:g}\n")
    if "outline" in part.layers:
        layer, datatype = part.layers["outline"]
        lines.append(f'    cad_layer:\n      "{layer};{datatype}":\n        type: design_area\n')
    maps = {region_of[net]: path for net, path in part.bump_maps.items()}
    regions = [n for n in part.layers if n not in CAD_TYPES.values()]
    regions += [r for r in maps if r not in regions]
    if regions:
        lines.append("    regions:\n")
    for region in regions:
        side = chiplet.sides.get(region, "front")
        lines.append(f"      {region}:\n        side: {side}\n")
        if region in part.layers:
            layer, datatype = part.layers[region]
            lines.append(f'        gds_layer: "{layer};{datatype}"\n')
        if region in maps:
            bmap = f"{part.name}_{region}.bmap"
            _write(os.path.join(folder, bmap), bmap_text(load_bump_map(maps[region])))
            written.append(os.path.join(folder, bmap))
            lines.append(f"        bmap: {bmap}\n")
    if part.layout:
        layout = os.path.relpath(part.layout, folder)
        lines.append(f"    external:\n      GDS_file: {layout}\n")
        if part.top:
            lines.append(f"      GDS_top: {part.top}\n")
    return lines


def _stack_text(assembly: Assembly, part: Part) -> list[str]:
    """The part's Stack entry: its transform into the package as loc and orient."""
    trans = assembly.package_trans(part.name)
    down = sum(assembly.part(p).placement.face == "down" for p in assembly.stack(part.name)) % 2
    plane = trans * FACE_DOWN if down else trans
    rotation, mirror = round(plane.angle) % 360, plane.is_mirror()
    orient = next(o for o in ORIENT_NAMES if ORIENTS[o] == (rotation, mirror))
    if down:
        orient = "MZ" if orient == "R0" else f"MZ_{orient}"
    x, y = trans.disp.x, trans.disp.y
    return [f"  {part.name}:\n    loc: [{x:g}, {y:g}]\n    z: 0\n    orient: {orient}\n"]


def _connection_text(assembly: Assembly) -> str:
    if not assembly.connections:
        return ""
    lines = ["\nConnection:\n"]
    for connection in assembly.connections:
        top = f"{connection.top[0]}.regions.{connection.top[1]}"
        bottom = "~"
        if connection.bottom is not None:
            bottom = f"{connection.bottom[0]}.regions.{connection.bottom[1]}"
        lines.append(f"  {connection.name}:\n    top: {top}\n    bot: {bottom}\n")
        lines.append("    thickness: 0\n")
    return "".join(lines)


def _path_text(assembly: Assembly) -> str:
    if not assembly.paths:
        return ""
    lines = ["\nPath:\n"]
    for path in assembly.paths:
        lines.append(f"  {path.name}:\n")
        for part, region, negated in path.entries:
            lines.append(f"    - {'NOT ' if negated else ''}{part}.regions.{region}\n")
    return "".join(lines)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
