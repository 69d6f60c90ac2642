"""Waiver files: violations accepted on purpose, each with a reason, an owner and an
optional expiry date (docs/reports.md).

A waiver names a rule and the violation's bounding box in µm, in the top cell's
coordinates, and waives every marker of that rule whose box matches within a tolerance.
KLayout's own waivers match on cell name and values; a box survives a renamed cell. A
waiver may name a net instead of a box (or beside it): it then waives every marker of its
rule that involves the net (the net checks' markers: an intentional short or open).

    tolerance: 0.01            # µm, optional: the default for every entry
    waivers:
    - rule: UB.P
      box: [100.0, 250.0, 130.0, 250.0]
      reason: bumps of the test structure, pitch agreed with the assembly house
      owner: jane.doe
      expires: 2030-06-30      # optional: from the day after, it no longer waives
      text: pitch 30 um < 40 um  # optional: what the marker said, for the reader
      tolerance: 0.05          # optional: this entry's own
    - rule: HBM.OS
      net: VDD_SENSE           # instead of box: every marker of the rule involving the net
      reason: Kelvin sense line joined to VDD on the interposer, on purpose
      owner: pi-team

The file is read with YAML's safe loader only, up to 10 MB; every malformed entry is
reported as ``file:line:col: error: ...``.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import yaml

from adk.errors import AdkError, DeckError, Diagnostic
from adk.layout.layermap import LimitedSafeLoader, yaml_fault
from adk.report.matching import Box, format_box
from adk.report.options import DEFAULT_TOLERANCE

MAX_BYTES = 10 * 1024 * 1024
ENTRY_KEYS = ("rule", "box", "net", "reason", "owner", "expires", "text", "tolerance")
REQUIRED_KEYS = ("rule", "reason", "owner")
FILE_KEYS = ("waivers", "tolerance")


@dataclass(frozen=True)
class Waiver:
    """One entry: it waives the markers of ``rule`` at ``box`` (None: anywhere) that
    involve ``net`` ("": whatever their nets)."""

    rule: str
    box: Box | None
    reason: str
    owner: str
    expires: datetime.date | None
    tolerance: float
    text: str = ""
    file: str = ""  # where the entry is written
    line: int = 0
    net: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def expired(self, today: datetime.date) -> bool:
        """An expiry date is the last day the waiver holds."""
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        at = "" if self.box is None else f" at {format_box(self.box)}"
        on = f" on net {self.net}" if self.net else ""
        return f"{self.where}: waiver of {self.rule}{at}{on}"


class WaiverFileError(DeckError):
    """A waiver file with malformed entries: each with file, line and column, rendered
    like a deck's errors (the source line and a caret under the fault)."""


def load_waivers(path: str, tolerance: float = DEFAULT_TOLERANCE) -> list[Waiver]:
    """The waivers of a file, in file order; ``tolerance`` for entries that give none and
    a file that sets none."""
    return parse_waivers(path, _read_limited(path), tolerance)


def parse_waivers(path: str, text: str, tolerance: float = DEFAULT_TOLERANCE) -> list[Waiver]:
    """The waivers of ``text``, read as the file ``path``."""
    reader = _EntryReader(path, text)
    waivers = reader.read(tolerance)
    if reader.problems:
        raise WaiverFileError(reader.problems, {path: text})
    return waivers


def _read_limited(path: str) -> str:
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise AdkError(
                f"{path}: waiver file of {size} bytes, over the limit of {MAX_BYTES} bytes"
            )
        with open(path, encoding="utf-8-sig") as handle:
            # a device or a pipe has no size: read no more than the limit all the same
            text = handle.read(MAX_BYTES + 1)
        if len(text) > MAX_BYTES:
            raise AdkError(f"{path}: waiver file over the limit of {MAX_BYTES} bytes")
        return text
    except OSError as exc:
        raise AdkError(f"{path}: cannot read waiver file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AdkError(f"{path}: waiver file is not UTF-8 text: {exc.reason}") from None


def compose(path: str, text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """The document's node tree, with line numbers, and the safe loader that turns its
    scalars into values (only plain YAML types: no tags that run code)."""
    try:
        # nesting is limited (composing recurses once per level); aliases are not, as
        # nothing here walks what they stand for. The loader checks every character as
        # it starts, so it starts inside the try.
        loader = LimitedSafeLoader(text, max_aliases=None)
        return loader, loader.get_single_node()
    except yaml.YAMLError as exc:
        fault = yaml_fault(exc, text, invalid="not valid YAML")
        raise WaiverFileError([Diagnostic(path, *fault)], {path: text}) from None


class _EntryReader:
    """Turns the document's nodes into waivers, collecting every problem on the way."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.loader, self.root = compose(path, text)
        self.problems: list[Diagnostic] = []

    def read(self, tolerance: float) -> list[Waiver]:
        if self.root is None:  # an empty file waives nothing
            return []
        if not isinstance(self.root, yaml.MappingNode):
            self._problem(self.root, "expected a mapping with a 'waivers' list")
            return []
        fields = self._mapping(self.root, FILE_KEYS)
        if "tolerance" in fields:
            tolerance = self._tolerance(fields["tolerance"], tolerance)
        entries = fields.get("waivers")
        if entries is None or entries.tag == "tag:yaml.org,2002:null":  # none yet
            return []
        if not isinstance(entries, yaml.SequenceNode):
            self._problem(entries, "'waivers' must be a list of entries")
            return []
        read = (self._entry(node, tolerance) for node in entries.value)
        return [waiver for waiver in read if waiver is not None]

    def _entry(self, node: yaml.Node, tolerance: float) -> Waiver | None:
        """The entry's waiver, or None when anything in it is wrong: every field is
        checked all the same, so one reading reports every problem."""
        if not isinstance(node, yaml.MappingNode):
            self._problem(node, "a waiver must be a mapping of rule, box, reason, owner, ...")
            return None
        before = len(self.problems)
        fields = self._mapping(node, ENTRY_KEYS)
        for key in REQUIRED_KEYS:
            if key not in fields:
                self._problem(node, f"waiver without '{key}'")
        if "box" not in fields and "net" not in fields:
            self._problem(node, "waiver without 'box' or 'net': it must say what it waives")

        def text(key: str, empty: bool = False) -> str:
            return self._text(fields[key], key, empty) if key in fields else ""

        box = self._box(fields["box"]) if "box" in fields else None
        expires = self._date(fields["expires"]) if "expires" in fields else None
        if "tolerance" in fields:
            tolerance = self._tolerance(fields["tolerance"], tolerance)
        waiver = Waiver(
            rule=text("rule"),
            box=box,
            reason=text("reason"),
            owner=text("owner"),
            expires=expires,
            tolerance=tolerance,
            text=text("text", empty=True),
            file=self.path,
            line=node.start_mark.line + 1,
            net=self._net(fields["net"]) if "net" in fields else "",
        )
        return waiver if len(self.problems) == before else None

    def _mapping(self, node: yaml.MappingNode, known: tuple[str, ...]) -> dict[str, yaml.Node]:
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in known:
                self._problem(key_node, f"unknown key {key!r}; expected one of {', '.join(known)}")
            elif key in fields:
                self._problem(key_node, f"'{key}' given twice")
            else:
                fields[key] = value_node
        return fields

    def _value(self, node: yaml.Node) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:  # a tag the safe loader refuses: reported as a wrong value
            return None

    def _text(self, node: yaml.Node, key: str, empty: bool = False) -> str:
        """A scalar as written: ``rule: 1.10`` is the rule 1.10 and ``reason: yes`` the
        word, not a number or a truth value."""
        scalar = isinstance(node, yaml.ScalarNode) and self._value(node) is not None
        text = node.value if scalar else None  # not None: neither null nor a refused tag
        if not isinstance(text, str) or not (empty or text.strip()):
            self._problem(node, f"'{key}' must be {'a' if empty else 'a non-empty'} text")
            return ""
        return text.strip()

    def _net(self, node: yaml.Node) -> str:
        """A net as the bump maps write it: a word without spaces."""
        net = self._text(node, "net")
        if net and any(c.isspace() for c in net):
            self._problem(node, "'net' must be a net's name, without spaces")
        return net

    def _box(self, node: yaml.Node) -> Box:
        values = self._value(node) if isinstance(node, yaml.SequenceNode) else None
        if not isinstance(values, list) or len(values) != 4 or not all(map(_is_number, values)):
            self._problem(node, "'box' must be [left, bottom, right, top] in um")
            return (0.0, 0.0, 0.0, 0.0)
        left, bottom, right, top = (float(value) for value in values)
        if left > right or bottom > top:
            self._problem(
                node, "'box' must be [left, bottom, right, top]: left > right or bottom > top"
            )
        return (left, bottom, right, top)

    def _date(self, node: yaml.Node) -> datetime.date | None:
        value = self._value(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self._problem(node, "'expires' must be a date, YYYY-MM-DD")
        return None

    def _tolerance(self, node: yaml.Node, default: float) -> float:
        value = self._value(node) if isinstance(node, yaml.ScalarNode) else None
        if not _is_number(value) or not 0 <= float(value) < float("inf"):  # type: ignore[arg-type]
            self._problem(node, "'tolerance' must be a distance in um, 0 or more")
            return default
        return float(value)  # type: ignore[arg-type]

    def _problem(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        length = max(1, node.end_mark.index - mark.index) if node.end_mark.line == mark.line else 1
        self.problems.append(Diagnostic(self.path, mark.line + 1, mark.column + 1, message, length))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
