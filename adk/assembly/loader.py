"""Assembly files (YAML) to :class:`~adk.assembly.model.Assembly`, every fault with its line.

    assembly: focos_bridge
    parts:
      FOM:
        layout: fom.gds
        layers: {outline: 1/0, pad: 20/0}
      ASIC:
        layout: asic.gds
        on: FOM
        at: [9000, 2000]
        face: down
        layers: {outline: 1/0, bump: 30/0}
        bump_map: asic_bumps.csv
        type: die
    connections:
      asic_fom: {top: ASIC.bump, bottom: FOM.pad}
    paths:
      Path1: [ASIC.bump, FOM.pad]

docs/assembly.md lists every key. The file is read as layer maps are (YAML's safe
loader only, up to 1 MB, nested at most 20 levels, at most 50 aliases); keys and values
are taken from the document's nodes as written, so ``on`` is a key and not YAML 1.1's
truth value, and ``rotation: 090`` is refused rather than read as octal. Every entry is
checked, so one reading reports every fault. Relative paths are from the file's folder.
"""

from __future__ import annotations

import math
import os
import re

import yaml

from adk.assembly.model import (
    CAD_LAYERS,
    CHIPLET_TYPES,
    FACES,
    NET_LAYER,
    PACKAGE,
    ROTATIONS,
    SIDES,
    Assembly,
    Chiplet,
    Connection,
    Part,
    PathAssertion,
    Placement,
    regions,
)
from adk.errors import AdkError, DeckError, Diagnostic
from adk.lang.model import Span
from adk.layout.layermap import LimitedSafeLoader, yaml_fault
from adk.textfile import TextFault, read_text

MAX_BYTES = 1024 * 1024
FILE_KEYS = ("assembly", "dbu", "deck", "netlist", "parts", "connections", "paths")
PART_KEYS = (
    "layout",
    "top",
    "on",
    "at",
    "rotation",
    "mirror",
    "magnification",
    "face",
    "layers",
    "bump_map",
    "deck",
    "layer_map",
    "type",
    "tsv",
    "sides",
)
CONNECTION_KEYS = ("top", "bottom")
# offsets and database units in µm: a package is at most a metre, a grid at least 1e-6 um
MAX_OFFSET = 1e6
MAGNIFICATIONS = (1e-3, 1e3)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LAYER = re.compile(r"\s*([0-9]{1,5})\s*/\s*([0-9]{1,5})\s*")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_REGION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")
_PATH_NAME = re.compile(r"Path[1-9][0-9]*")  # 3Dblox's, so that a stack written keeps the ids


def load_assembly(path: str) -> Assembly:
    """Read and check the assembly file at ``path``; raises DeckError listing every fault."""
    return parse_assembly(_read_text(path), path)


def parse_assembly(text: str, path: str) -> Assembly:
    """The assembly ``text``, read as the file ``path``."""
    reader = _Reader(path, text)
    assembly = reader.read()
    if reader.problems:
        raise DeckError(reader.problems, {path: text})
    return assembly


def _read_text(path: str) -> str:
    try:
        return read_text(path, MAX_BYTES)
    except TextFault as fault:
        if fault.kind == "unreadable":
            raise AdkError(f"{path}: cannot read assembly: {fault.detail}") from None
        if fault.kind == "too large":
            raise _fault(path, 1, 1, f"assembly over the limit of {fault.detail}") from None
        raise _fault(path, fault.line, fault.column, "assembly is not UTF-8 text") from None


def _fault(path: str, line: int, column: int, message: str) -> DeckError:
    return DeckError([Diagnostic(path, line, column, message)])


class _Reader:
    """Turns the document's nodes into an assembly, collecting every problem on the way."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.folder = os.path.dirname(os.path.abspath(path))
        self.problems: list[Diagnostic] = []
        self.part_names: dict[str, None] = {}  # every part named in file order, faulty too
        self.chiplets: dict[str, Chiplet] = {}
        try:
            self.root = LimitedSafeLoader(text).get_single_node()
        except yaml.YAMLError as exc:
            raise DeckError([Diagnostic(path, *yaml_fault(exc, text))], {path: text}) from None

    def read(self) -> Assembly:
        name = os.path.splitext(os.path.basename(self.path))[0]
        if not isinstance(self.root, yaml.MappingNode):
            span = self._span(self.root) if self.root is not None else None  # None: empty
            self._problem_at(span, "an assembly is a mapping with a 'parts' mapping")
            return Assembly(name, self.path, (), text=self.text)
        fields = self._mapping(self.root, FILE_KEYS, "assembly")
        if "assembly" in fields:
            name = self._name(fields["assembly"], "assembly name") or name
        dbu = self._dbu(fields["dbu"]) if "dbu" in fields else None
        deck = self._path(fields["deck"], "deck") if "deck" in fields else None
        parts = self._parts(fields.get("parts"), self.root)
        by_name = {part.name: part for part in parts}
        connections = self._connections(fields.get("connections"), by_name)
        paths = self._paths(fields.get("paths"), by_name)
        netlist = self._path(fields["netlist"], "netlist") if "netlist" in fields else None
        return Assembly(
            name,
            self.path,
            tuple(parts),
            dbu,
            deck,
            self.text,
            tuple(connections),
            tuple(paths),
            chiplets={p: chiplet for p, chiplet in self.chiplets.items() if p in by_name},
            netlist=netlist or None,
            netlist_span=self._span(fields["netlist"]) if "netlist" in fields else None,
        )

    # ------------------------------------------------------------ parts
    def _parts(self, node: yaml.Node | None, root: yaml.Node) -> list[Part]:
        if node is None:
            self._problem(root, "an assembly needs 'parts': a mapping of part names to parts")
            return []
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self._problem(node, "'parts' must be a mapping of part names to parts")
            return []
        parts: list[Part] = []
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = self._name(key, "part name")
            if name is None:
                continue
            if name == PACKAGE:
                self._problem(key, f"'{PACKAGE}' is the carrier of the parts, not a part name")
                continue
            if name in seen:
                self._problem(key, f"part '{name}' is given twice")
                continue
            seen[name] = key
            self.part_names[name] = None
            part = self._part(name, key, value)
            if part is not None:
                parts.append(part)
        self._check_carriers(parts, seen)
        return parts

    def _part(self, name: str, key: yaml.Node, node: yaml.Node) -> Part | None:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"part '{name}' must be a mapping of layout, layers, ...")
            return None
        before = len(self.problems)
        fields = self._mapping(node, PART_KEYS, f"part '{name}'")
        if "layout" not in fields:
            self._problem(key, f"part '{name}' needs 'layout': its GDS or OASIS file")
        layers, layer_spans = self._layers(fields.get("layers"), name)
        bump_maps = self._bump_maps(fields.get("bump_map"), layers, layer_spans)
        part = Part(
            name=name,
            layout=self._path(fields["layout"], "layout") if "layout" in fields else "",
            top=self._text(fields["top"], "top") if "top" in fields else None,
            carrier=self._text(fields["on"], "on") if "on" in fields else PACKAGE,
            placement=self._placement(fields),
            layers=layers,
            layer_spans=layer_spans,
            bump_maps=bump_maps,
            deck=self._deck(fields["deck"]) if "deck" in fields else None,
            layer_map=(
                self._path(fields["layer_map"], "layer_map") if "layer_map" in fields else None
            ),
            spans={field: self._span(value) for field, value in fields.items()},
            span=self._span(key),
        )
        if "layer_map" in fields and "deck" not in fields:
            self._problem(fields["layer_map"], "'layer_map' is for the part's deck: give 'deck'")
        chiplet = self._chiplet(part, fields)
        if chiplet is not None:
            self.chiplets[name] = chiplet
        return part if len(self.problems) == before else None

    def _chiplet(self, part: Part, fields: dict[str, yaml.Node]) -> Chiplet | None:
        """What the part joins inside it, for the paths: its ``type``, ``tsv`` and the
        ``sides`` of its regions (front unless given); None without a type."""
        if "type" not in fields:
            for given in ("tsv", "sides"):
                if given in fields:
                    self._problem(
                        fields[given],
                        f"'{given}' describes the part's type: give 'type' "
                        f"({', '.join(CHIPLET_TYPES)})",
                    )
            return None
        kind = self._choice(fields["type"], "type", CHIPLET_TYPES)
        tsv = self._flag(fields["tsv"], "tsv") if "tsv" in fields else False
        sides = dict.fromkeys(regions(part), "front")
        sides.update(self._sides(fields.get("sides"), part))
        return Chiplet(kind, tsv, sides)

    def _sides(self, node: yaml.Node | None, part: Part) -> dict[str, str]:
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"'sides' must map the part's layers to {', '.join(SIDES)}")
            return {}
        known = regions(part)
        sides: dict[str, str] = {}
        for key, value in node.value:
            name = self._name(key, "layer name")
            if name is None:
                continue
            if name in sides:
                self._problem(key, f"the side of '{name}' is given twice")
            elif name not in known:
                self._problem(key, _no_region(part.name, name, known))
            else:
                sides[name] = self._choice(value, "side", SIDES)
        return sides

    def _placement(self, fields: dict[str, yaml.Node]) -> Placement:
        offset = self._offset(fields["at"]) if "at" in fields else (0.0, 0.0)
        rotation = self._rotation(fields["rotation"]) if "rotation" in fields else 0
        mirror = self._flag(fields["mirror"], "mirror") if "mirror" in fields else False
        magnification = 1.0
        if "magnification" in fields:
            magnification = self._magnification(fields["magnification"])
        face = "up"
        if "face" in fields:
            face = self._choice(fields["face"], "face", FACES)
        return Placement(offset, rotation, mirror, magnification, face)

    def _layers(
        self, node: yaml.Node | None, part: str
    ) -> tuple[dict[str, tuple[int, int]], dict[str, Span]]:
        layers: dict[str, tuple[int, int]] = {}
        spans: dict[str, Span] = {}
        if node is None:
            return layers, spans
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'layers' must be a mapping of layer names to layer/datatype")
            return layers, spans
        for key, value in node.value:
            name = self._name(key, "layer name")
            if name is None:
                continue
            if name in layers:
                self._problem(key, f"layer '{name}' of part '{part}' is given twice")
                continue
            numbers = self._layer_numbers(value, name)
            if numbers is not None:
                layers[name] = numbers
                spans[name] = self._span(key)
        return layers, spans

    def _bump_maps(
        self, node: yaml.Node | None, layers: dict[str, tuple[int, int]], spans: dict[str, Span]
    ) -> dict[str, str]:
        """Net layer -> bump map: one file (the layer ``net``), or one per named layer
        (``LAYER_net``); each net layer's span is where its file is named."""
        if node is None:
            return {}
        if isinstance(node, yaml.MappingNode):
            entries = [(self._name(key, "layer name"), key, value) for key, value in node.value]
        else:
            entries = [(None, node, node)]
        maps: dict[str, str] = {}
        for layer, key, value in entries:
            if key is not node and layer is None:
                continue  # not a name: reported
            if layer is not None and layer not in layers:
                known = ", ".join(layers) or "none"
                self._problem(key, f"bump map of '{layer}': the part names no such layer ({known})")
                continue
            net = NET_LAYER if layer is None else f"{layer}_{NET_LAYER}"
            if net in layers:
                self._problem(
                    key, f"'{net}' is the layer its bump map makes: name the layer otherwise"
                )
                continue
            maps[net] = self._path(value, "bump_map")
            spans[net] = self._span(value)
        return maps

    def _check_carriers(self, parts: list[Part], written: dict[str, yaml.Node]) -> None:
        """Every carrier is a part or the package, and no part sits on itself, however
        far down the stack."""
        carriers = {part.name: part.carrier for part in parts}
        for part in parts:
            at = part.spans.get("on")
            if part.carrier == part.name:
                self._problem_at(at, f"part '{part.name}' cannot sit on itself")
                continue
            if part.carrier != PACKAGE and part.carrier not in written:
                known = ", ".join(written)
                self._problem_at(
                    at, f"unknown carrier '{part.carrier}': not {PACKAGE} nor a part ({known})"
                )
                continue
            chain = [part.name]
            below = part.carrier
            while below in carriers and below not in chain:
                chain.append(below)
                below = carriers[below]
            if below == part.name and part.name == min(chain):  # the loop, reported once
                loop = " on ".join([*chain, part.name])
                self._problem_at(at, f"the parts sit on each other in a loop: {loop}")

    # ------------------------------------------------------------ connections and paths
    def _connections(self, node: yaml.Node | None, parts: dict[str, Part]) -> list[Connection]:
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'connections' must be a mapping of connection names")
            return []
        connections: list[Connection] = []
        seen: set[str] = set()
        for key, value in node.value:
            name = self._name(key, "connection name")
            if name is None:
                continue
            if name in seen:
                self._problem(key, f"connection '{name}' is given twice")
                continue
            seen.add(name)
            connection = self._connection(name, key, value, parts)
            if connection is not None:
                connections.append(connection)
        return connections

    def _connection(
        self, name: str, key: yaml.Node, node: yaml.Node, parts: dict[str, Part]
    ) -> Connection | None:
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, f"connection '{name}' must be a mapping of top and bottom")
            return None
        fields = self._mapping(node, CONNECTION_KEYS, f"connection '{name}'")
        if "top" not in fields or "bottom" not in fields:
            self._problem(key, f"connection '{name}' needs 'top' and 'bottom' (~: to nothing)")
            return None
        top = self._region(fields["top"], parts)
        if _is_null(fields["bottom"]):  # bonded to nothing: a virtual connection
            return None if top is None else Connection(name, top, None, self._span(key))
        bottom = self._region(fields["bottom"], parts)
        if top is None or bottom is None:
            return None
        return Connection(name, top, bottom, self._span(key))

    def _region(self, node: yaml.Node, parts: dict[str, Part]) -> tuple[str, str] | None:
        """``(part, layer)`` of a ``PART.LAYER`` text; None after a fault (reported)."""
        text = self._scalar(node)
        match = _REGION.fullmatch(text.strip()) if text is not None else None
        if match is None:
            shown = text if text is not None else getattr(node, "value", "")
            self._problem(node, f"expected PART.LAYER, a layer of a part, not {shown!r}")
            return None
        part, layer = match.groups()
        if part not in parts:
            if part not in self.part_names:  # else the part's own fault is reported
                listed = ", ".join(self.part_names) or "none"
                self._problem(node, f"unknown part '{part}' ({listed})")
            return None
        known = regions(parts[part])
        if layer not in known:
            self._problem(node, _no_region(part, layer, known))
            return None
        return part, layer

    def _paths(self, node: yaml.Node | None, parts: dict[str, Part]) -> list[PathAssertion]:
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "'paths' must be a mapping of Path1, Path2, ...")
            return []
        paths: list[PathAssertion] = []
        seen: set[str] = set()
        for key, value in node.value:
            name = self._scalar(key) or ""
            if not _PATH_NAME.fullmatch(name):
                self._problem(key, f"path {name!r} must be named PathN (Path1, Path2, ...)")
            elif name in seen:
                self._problem(key, f"path '{name}' is given twice")
            elif not isinstance(value, yaml.SequenceNode) or not value.value:
                self._problem(value, f"path '{name}' must be a list of PART.LAYER, NOT PART.LAYER")
            else:
                seen.add(name)
                entries = [self._path_entry(item, parts) for item in value.value]
                found = tuple(entry for entry in entries if entry is not None)
                paths.append(PathAssertion(name, found, self._span(key)))
        return paths

    def _path_entry(self, node: yaml.Node, parts: dict[str, Part]) -> tuple[str, str, bool] | None:
        """``(part, layer, negated)`` of ``PART.LAYER`` or ``NOT PART.LAYER``."""
        written = self._scalar(node) or ""
        negated = written.strip().startswith("NOT ")
        if negated:  # the region's text alone, at its own place, for its faults
            text = written.strip()[4:].strip()
            skip = written.index(text) + (getattr(node, "style", None) in ("'", '"'))
            start = node.start_mark
            at = yaml.Mark(start.name, start.index + skip, start.line, start.column + skip, "", 0)
            node = yaml.ScalarNode(node.tag, text, at, node.end_mark)
        region = self._region(node, parts)
        return None if region is None else (*region, negated)

    # ------------------------------------------------------------ values
    def _mapping(
        self, node: yaml.MappingNode, known: tuple[str, ...], what: str
    ) -> dict[str, yaml.Node]:
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
        """A plain scalar's text as written; None for a mapping, a list, a null or a tag."""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _PLAIN_TAGS:
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
                node,
                f"{what} {shown!r} is not a name (letters, digits and '_', not a digit first)",
            )
            return None
        return text

    def _path(self, node: yaml.Node, key: str) -> str:
        """A file the assembly names, relative to the assembly's folder."""
        text = self._text(node, key)
        if "\0" in text:
            self._problem(node, f"'{key}' cannot hold a NUL character")
        return os.path.normpath(os.path.join(self.folder, text)) if text else ""

    def _deck(self, node: yaml.Node) -> str:
        """A part's deck: a file relative to the assembly, or a shipped deck's name."""
        text = self._text(node, "deck")
        if _NAME.fullmatch(text) and not os.path.exists(os.path.join(self.folder, text)):
            return text  # a shipped deck by name (adk.kit.decks)
        return self._path(node, "deck")

    def _number(self, node: yaml.Node, key: str) -> float | None:
        text = self._scalar(node)
        if text is None or not _NUMBER.fullmatch(text.strip()):
            self._problem(node, f"'{key}' must be a number")
            return None
        value = float(text)
        if not math.isfinite(value):
            self._problem(node, f"'{key}' must be a finite number")
            return None
        return value

    def _offset(self, node: yaml.Node) -> tuple[float, float]:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        if items is None or len(items) != 2:
            self._problem(node, "'at' must be [x, y] in um")
            return (0.0, 0.0)
        x, y = (self._number(item, "at") for item in items)
        if x is None or y is None:
            return (0.0, 0.0)
        if max(abs(x), abs(y)) > MAX_OFFSET:
            self._problem(node, f"'at' must lie within {MAX_OFFSET:g} um (1 m) of the origin")
        return (x + 0.0, y + 0.0)

    def _rotation(self, node: yaml.Node) -> int:
        text = self._scalar(node)
        if text is None or text.strip() not in {str(r) for r in ROTATIONS}:
            listed = ", ".join(str(r) for r in ROTATIONS)
            self._problem(node, f"'rotation' must be one of {listed} (degrees, counter-clockwise)")
            return 0
        return int(text)

    def _flag(self, node: yaml.Node, key: str) -> bool:
        text = self._scalar(node)
        if text not in ("true", "false", "True", "False"):
            self._problem(node, f"'{key}' must be true or false")
            return False
        return text.lower() == "true"

    def _choice(self, node: yaml.Node, key: str, choices: tuple[str, ...]) -> str:
        text = self._scalar(node)
        if text not in choices:
            self._problem(node, f"'{key}' must be {' or '.join(choices)}")
            return choices[0]
        return text

    def _magnification(self, node: yaml.Node) -> float:
        value = self._number(node, "magnification")
        low, high = MAGNIFICATIONS
        if value is None:
            return 1.0
        if not low <= value <= high:
            self._problem(node, f"'magnification' must be between {low:g} and {high:g}")
            return 1.0
        return value

    def _dbu(self, node: yaml.Node) -> float | None:
        value = self._number(node, "dbu")
        if value is not None and not 1e-6 <= value <= 1.0:
            self._problem(node, "'dbu' must be a database unit in um, from 1e-6 to 1")
            return None
        return value

    def _layer_numbers(self, node: yaml.Node, name: str) -> tuple[int, int] | None:
        text = self._scalar(node)
        if isinstance(node, yaml.SequenceNode) and len(node.value) == 2:
            text = "/".join(self._scalar(n) or "x" for n in node.value)
        match = _LAYER.fullmatch(text) if text is not None else None
        if match is None:
            self._problem(node, f"layer '{name}': expected layer/datatype such as 30/0")
            return None
        numbers = (int(match.group(1)), int(match.group(2)))
        if max(numbers) > 65535:
            self._problem(node, f"layer '{name}': layer and datatype numbers must be 0..65535")
            return None
        return numbers

    # ------------------------------------------------------------ positions
    def _span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span(self.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def _problem(self, node: yaml.Node, message: str) -> None:
        self._problem_at(self._span(node), message)

    def _problem_at(self, span: Span | None, message: str) -> None:
        line, column = (span.line, span.column) if span else (1, 1)
        length = span.end_column - span.column if span and span.end_line == span.line else 1
        self.problems.append(Diagnostic(self.path, line, column, message, max(1, length)))


def _no_region(part: str, layer: str, known: list[str]) -> str:
    if layer in CAD_LAYERS:
        return f"'{part}.{layer}' is the part's extent, not a layer that connects"
    return f"part '{part}' has no layer '{layer}' ({', '.join(known) or 'none'})"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
