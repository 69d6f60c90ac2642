"""CDX pin maps: a chiplet's pins with their nets and positions, in the XML form of the
Open Compute Project's Chiplet Design Exchange (CDXML), read as a bump map.

    <cdxml>
      <io>
        <pin>
          <pnum>A1</pnum>                      <!-- the bump's name -->
          <pname>GPOUT</pname>                 <!-- its net, without a netlist_name -->
          <netlist_name>U1_GPOUT</netlist_name>
          <position><x>-500</x><y>500</y><unit>um</unit></position>
        </pin>
      </io>
    </cdxml>

Of the document only the pin list is read: ``cdxml/io/pin`` with its ``pnum``, ``pname``,
``netlist_name`` and ``position`` (``x``, ``y``, ``unit``); every other element and every
attribute is ignored (docs/assembly.md, "CDX pin maps"). Positions convert to µm, the
part's coordinates as a CSV bump map gives them. The file is read by expat without DTDs:
one holding ``<!DOCTYPE`` or ``<!ENTITY`` is refused, so no entity is ever expanded and no
external file is opened. Every fault is ``file:line:col: error: ...``, at the element or
the value it is about.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import xml.parsers.expat as expat
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

from adk.assembly.bump_table import MAX_COORDINATE, MAX_ERRORS, WORD, BumpMap
from adk.errors import AdkError, DeckError, Diagnostic

SUFFIXES = (".xml", ".cdx")
ROOT, PIN_LIST, PIN = "cdxml", "io", "pin"
PIN_FIELDS = ("pnum", "pname", "netlist_name", "position")  # a pin's other children: ignored
POSITION_FIELDS = ("x", "y", "unit")
# µm per unit; the names are matched without regard to case
UNITS = {"nm": 1e-3, "um": 1.0, "µm": 1.0, "μm": 1.0, "micron": 1.0, "mm": 1e3, "mil": 25.4}
DEFAULT_UNIT = "um"
CHUNK = 1 << 20  # characters handed to expat at a time

_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_DECLARATION = re.compile(r"<!(DOCTYPE|ENTITY)")


def is_cdx(path: str) -> bool:
    """Whether ``path`` names a CDX pin map (``.xml`` or ``.cdx``)."""
    return path.lower().endswith(SUFFIXES)


@dataclass
class _Element:
    """An element of a pin, with where its start tag and its text begin (1-based)."""

    tag: str
    line: int
    column: int
    parts: list[str] = field(default_factory=list)
    text_at: tuple[int, int] | None = None
    children: list[_Element] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def value_at(self) -> tuple[int, int]:
        """Where the text starts, past leading white space; the start tag without text."""
        raw = "".join(self.parts)
        if self.text_at is None or not raw.strip():
            return self.line, self.column
        line, column = self.text_at
        lead = raw[: len(raw) - len(raw.lstrip())]
        if "\n" in lead:
            return line + lead.count("\n"), len(lead) - lead.rfind("\n")
        return line, column + len(lead)


class _TooMany(Exception):
    """Enough faults to stop reading."""


def parse_cdx(text: str, path: str) -> BumpMap:
    """The CDX pin map ``text``, read as the file ``path``: its pins as bump name, net and
    position in µm; DeckError listing its faults."""
    reader = _PinReader(path)
    refused = _DECLARATION.search(text)
    if refused is not None:
        line, column = _place(text, refused.start())
        message = f"<!{refused.group(1)}> refused: a CDX pin map is read without DTDs or entities"
        reader.problems.append(Diagnostic(path, line, column, message, len(refused.group(0))))
    else:
        reader.read(text)
    if reader.problems:
        raise DeckError(reader.problems[:MAX_ERRORS], {path: text})
    points = np.array(reader.points, dtype=float).reshape(-1, 2)
    return BumpMap(path, reader.names, reader.nets, points)


def _place(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _PinReader:
    """Expat's events to pins: the root, its pin list, and each pin's elements kept until
    the pin ends, when it becomes a bump or faults."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Diagnostic] = []
        self.names: list[str] = []
        self.nets: list[str] = []
        self.points: list[tuple[float, float]] = []
        self.seen: dict[str, int] = {}
        self.stack: list[_Element | None] = []  # None: an element not read
        self.root: _Element | None = None
        self.pin_list: _Element | None = None
        self.pin: _Element | None = None
        self.pins = 0

    def read(self, text: str) -> None:
        # the text is UTF-8 already decoded: an encoding the declaration names is overridden
        parser = expat.ParserCreate(encoding="UTF-8", namespace_separator="}")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = lambda tag, _attributes: self._start(parser, tag)
        parser.EndElementHandler = lambda _tag: self._end()
        parser.CharacterDataHandler = lambda data: self._data(parser, data)
        try:
            for start in range(0, max(len(text), 1), CHUNK):
                parser.Parse(text[start : start + CHUNK], start + CHUNK >= len(text))
            self._check_pins()
        except expat.ExpatError as exc:
            message = f"malformed XML: {expat.ErrorString(exc.code)}"
            self.problems.append(Diagnostic(self.path, exc.lineno, exc.offset + 1, message))
        except _TooMany:
            return  # the first faults are listed; reading stops there

    # ------------------------------------------------------------ events
    def _start(self, parser: expat.XMLParserType, tag: str) -> None:
        here = _Element(
            tag.rsplit("}", 1)[-1], parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        )
        parent = self.stack[-1] if self.stack else None
        kept: _Element | None = None
        if not self.stack:
            kept = self.root = here
            if here.tag != ROOT:
                self._problem(
                    here, f"the root element is <{here.tag}>; a CDX pin map's is <{ROOT}>"
                )
        elif self.pin is not None and parent is not None:
            kept = here
            parent.children.append(here)
        elif len(self.stack) == 1 and parent is self.root and here.tag == PIN_LIST:
            kept = self._pin_list(here)
        elif len(self.stack) == 2 and parent is not None and here.tag == PIN:
            kept = self.pin = here
            self.pins += 1
        self.stack.append(kept)

    def _end(self) -> None:
        element = self.stack.pop()
        if element is not None and element is self.pin:
            self.pin = None
            self._read_pin(element)

    def _data(self, parser: expat.XMLParserType, data: str) -> None:
        element = self.stack[-1] if self.stack else None
        if self.pin is None or element is None:
            return
        if element.text_at is None:
            element.text_at = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        element.parts.append(data)

    def _pin_list(self, element: _Element) -> _Element | None:
        if self.root is None or self.root.tag != ROOT:
            return None
        if self.pin_list is not None:
            first = self.pin_list.line
            self._problem(element, f"<{PIN_LIST}> given twice (first on line {first})")
            return None
        self.pin_list = element
        return element

    def _check_pins(self) -> None:
        """A pin map lists at least one pin."""
        if self.root is None or self.root.tag != ROOT or self.pins:
            return
        if self.pin_list is None:
            self._problem(self.root, f"no pins: <{ROOT}> holds no <{PIN_LIST}> of <{PIN}> elements")
        else:
            self._problem(self.pin_list, f"no pins: <{PIN_LIST}> holds no <{PIN}>")

    # ------------------------------------------------------------ a pin
    def _read_pin(self, pin: _Element) -> None:
        before = len(self.problems)
        fields = self._fields(pin, PIN_FIELDS, known_only=False)
        name = self._word(fields.get("pnum"), pin, f"<{PIN}> without <pnum>: its bump name")
        label = f"pin '{name}'" if name else f"<{PIN}>"
        net_field = fields.get("netlist_name") or fields.get("pname")
        net = self._word(net_field, pin, f"{label} has no <netlist_name> nor <pname>: its net")
        point = self._position(fields.get("position"), pin, label)
        if len(self.problems) > before or name is None or net is None or point is None:
            return
        if name in self.seen:
            message = f"pin '{name}' is listed twice (first on line {self.seen[name]})"
            self._problem(fields["pnum"], message, True)
            return
        self.seen[name] = fields["pnum"].value_at()[0]
        self.names.append(name)
        self.nets.append(net)
        self.points.append(point)

    def _fields(
        self, element: _Element, read: tuple[str, ...], known_only: bool
    ) -> dict[str, _Element]:
        """The children ``read`` names, each at most once; with ``known_only`` no other."""
        fields: dict[str, _Element] = {}
        for child in element.children:
            if child.tag not in read:
                if known_only:
                    expected = ", ".join(read)
                    message = (
                        f"unknown element <{child.tag}> in <{element.tag}>; expected {expected}"
                    )
                    self._problem(child, message)
                continue
            if child.tag in fields:
                first = fields[child.tag].line
                self._problem(
                    child, f"<{child.tag}> given twice in a <{element.tag}> (first on line {first})"
                )
                continue
            fields[child.tag] = child
        return fields

    def _word(self, element: _Element | None, pin: _Element, missing: str) -> str | None:
        if element is None:
            self._problem(pin, missing)
            return None
        if not WORD.fullmatch(element.text):
            message = f"<{element.tag}> must be a word without spaces, not {element.text!r}"
            self._problem(element, message, True)
            return None
        return element.text

    def _position(
        self, element: _Element | None, pin: _Element, label: str
    ) -> tuple[float, float] | None:
        if element is None:
            self._problem(pin, f"{label} has no <position>")
            return None
        fields = self._fields(element, POSITION_FIELDS, known_only=True)
        unit = self._unit(fields.get("unit"))
        for axis in ("x", "y"):
            if axis not in fields:
                self._problem(element, f"{label}: <position> has no <{axis}>")
        x, y = (self._coordinate(fields.get(axis), unit) for axis in ("x", "y"))
        if x is None or y is None:
            return None
        return x, y

    def _unit(self, element: _Element | None) -> tuple[float, str] | None:
        """µm per unit of the position, and the unit as written; None for an unknown
        unit, reported."""
        if element is None:
            return UNITS[DEFAULT_UNIT], DEFAULT_UNIT
        scale = UNITS.get(element.text.lower())
        if scale is None:
            message = f"unknown unit {element.text!r} in <unit>: expected nm, um, mm or mil"
            self._problem(element, message, True)
            return None
        return scale, element.text

    def _coordinate(self, element: _Element | None, unit: tuple[float, str] | None) -> float | None:
        if element is None or unit is None:
            return None
        text = element.text
        if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
            self._problem(element, f"<{element.tag}> must be a number, not {text!r}", True)
            return None
        value = float(text) * unit[0]
        if abs(value) > MAX_COORDINATE:
            message = f"<{element.tag}> must lie within 1 m of the origin, not {text} {unit[1]}"
            self._problem(element, message, True)
            return None
        return value + 0.0

    # ------------------------------------------------------------ faults
    def _problem(self, element: _Element, message: str, at_value: bool = False) -> None:
        """A fault at ``element``'s start tag, or at its value."""
        if at_value:
            line, column = element.value_at()
            length = len(element.text) if "\n" not in element.text and element.text else 1
        else:
            line, column, length = element.line, element.column, len(element.tag) + 1
        self.problems.append(Diagnostic(self.path, line, column, message, length))
        if len(self.problems) >= MAX_ERRORS:
            raise _TooMany


def cdx_text(bumps: BumpMap) -> str:
    """``bumps`` as a CDX pin map: one ``<pin>`` per bump, its name as ``pnum``, its net
    as ``netlist_name``, its position in µm."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{ROOT}>", f"  <{PIN_LIST}>"]
    for name, net, (x, y) in zip(bumps.names, bumps.nets, bumps.points.tolist()):
        lines += [
            f"    <{PIN}>",
            f"      <pnum>{escape(name)}</pnum>",
            f"      <netlist_name>{escape(net)}</netlist_name>",
            f"      <position><x>{_number(x)}</x><y>{_number(y)}</y><unit>um</unit></position>",
            f"    </{PIN}>",
        ]
    lines += [f"  </{PIN_LIST}>", f"</{ROOT}>"]
    return "".join(line + "\n" for line in lines)


def _number(value: float) -> str:
    """The shortest text that reads back as ``value``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def write_cdx(bumps: BumpMap, path: str) -> None:
    """Write ``bumps`` to ``path`` as a CDX pin map, through a temporary file and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".cdx.", suffix=".xml", dir=folder)
    except OSError as exc:
        raise AdkError(f"{path}: cannot write the CDX pin map: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(cdx_text(bumps))
        os.replace(temporary, path)
    except OSError as exc:
        os.unlink(temporary)
        raise AdkError(f"{path}: cannot write the CDX pin map: {exc.strerror}") from None
