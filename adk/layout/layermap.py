"""Layer maps: a customer's layer/datatype numbers for the deck's drawn layers, in YAML.

    # layers of ACME's package layouts
    layers:
      RDL1: 10/0
      UBUMP: [30, 0]

The ``layers:`` key is optional: a plain mapping of names works too.

The file is read with YAML's safe loader only (no tag constructs an object, let alone
runs code), up to 1 MB, nested at most 20 levels and with at most 50 aliases; every fault
is reported as ``file:line:col: error: ...``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import NoReturn

import yaml

from adk.errors import DeckError, Diagnostic
from adk.lang.model import Deck, DrawnLayer, Layer
from adk.textfile import TextFault, read_text

Entries = dict[str, tuple[int, int, Diagnostic]]  # name -> layer, datatype, where it is written

MAX_BYTES = 1024 * 1024  # a map of a thousand layers is some 20 kB
MAX_NESTING = 20  # composing recurses once per level; a layer map needs three
# an alias stands for a whole node: nine levels of nine make a billion leaves to whatever
# walks them, and a layer map has no use for many
MAX_ALIASES = 50

# at most 9 digits each: ASCII only (int() takes other digits too), and never a huge int()
_LAYER_TEXT = re.compile(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*")
_NUMBER_TEXT = re.compile(r"[0-9]{1,9}")


class YamlLimitExceeded(yaml.MarkedYAMLError):
    """A document nested too deeply or with too many aliases."""


class LimitedSafeLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing documents nested deeper than MAX_NESTING (composing
    would exhaust Python's recursion) or, unless ``max_aliases`` is None, with more
    aliases than that."""

    def __init__(self, text: str, max_aliases: int | None = MAX_ALIASES) -> None:
        super().__init__(text)
        self.max_aliases = max_aliases
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.max_aliases is not None and self.aliases > self.max_aliases:
                self._refuse(f"too many YAML aliases (more than {self.max_aliases})")
        if self.depth >= MAX_NESTING:
            self._refuse(f"YAML nested too deeply (more than {MAX_NESTING} levels)")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _refuse(self, problem: str) -> NoReturn:
        raise YamlLimitExceeded(problem=problem, problem_mark=self.peek_event().start_mark)


def yaml_fault(
    exc: yaml.YAMLError, text: str, invalid: str = "invalid YAML"
) -> tuple[int, int, str]:
    """Line, column and message of a YAML error in ``text``: ``invalid: problem``, or the
    limit passed."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return line, column, f"{invalid}: {exc.reason} (#x{exc.character:04x})"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, YamlLimitExceeded):
        return line, column, problem
    return line, column, f"{invalid}: {problem}"


def load_layer_map(path: str) -> Entries:
    """Read a layer map: name -> (layer, datatype, where it is written)."""
    return parse_layer_map(_read_text(path), path)


def parse_layer_map(text: str, path: str) -> Entries:
    """The layer map ``text``, read as the file ``path``."""
    entries, errors = _parse(text, path)
    if errors:
        raise DeckError(errors, {path: text})
    return entries


def _read_text(path: str) -> str:
    """The file's text, if it is at most MAX_BYTES of UTF-8."""
    try:
        return read_text(path, MAX_BYTES)
    except TextFault as fault:
        if fault.kind == "unreadable":
            raise _fault(path, 1, 1, f"cannot read layer map: {fault.detail}") from None
        if fault.kind == "too large":
            raise _fault(path, 1, 1, f"layer map over the limit of {fault.detail}") from None
        raise _fault(path, fault.line, fault.column, "layer map is not UTF-8 text") from None


def _fault(path: str, line: int, column: int, message: str) -> DeckError:
    return DeckError([Diagnostic(path, line, column, message)])


def _parse(text: str, path: str) -> tuple[Entries, list[Diagnostic]]:
    """The map's well-formed entries and the faults of the others."""
    try:
        # the loader checks every character as it starts
        root = LimitedSafeLoader(text).get_single_node()
    except yaml.YAMLError as exc:
        raise DeckError([Diagnostic(path, *yaml_fault(exc, text))], {path: text}) from None
    return _entries(root, path)


def _entries(root: yaml.Node | None, path: str) -> tuple[Entries, list[Diagnostic]]:
    errors: list[Diagnostic] = []
    if root is None:
        return {}, []
    if (
        isinstance(root, yaml.MappingNode)
        and len(root.value) == 1
        and root.value[0][0].value == "layers"
    ):
        root = root.value[0][1]
    if not isinstance(root, yaml.MappingNode):
        return {}, [_at(path, root, "a layer map is a mapping of layer names to layer/datatype")]
    entries: Entries = {}
    seen: set[str] = set()
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            errors.append(_at(path, key, "expected a layer name"))
            continue
        name = key.value
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            errors.append(_at(path, key, f"'{name}' is not a layer name"))
            continue
        if name in seen:
            errors.append(_at(path, key, f"layer '{name}' is mapped twice"))
            continue
        seen.add(name)
        numbers = _numbers(value)
        if numbers is None:
            errors.append(_at(path, value, f"layer '{name}': expected layer/datatype such as 10/0"))
        elif max(numbers) > 65535:
            errors.append(
                _at(path, value, f"layer '{name}': layer and datatype numbers must be 0..65535")
            )
        else:
            entries[name] = (*numbers, _at(path, key, ""))
    return entries, errors


def _numbers(node: yaml.Node) -> tuple[int, int] | None:
    """``10/0`` or ``[10, 0]`` as numbers; None for anything else."""
    if isinstance(node, yaml.ScalarNode):
        match = _LAYER_TEXT.fullmatch(node.value)
        return (int(match.group(1)), int(match.group(2))) if match else None
    if (
        isinstance(node, yaml.SequenceNode)
        and len(node.value) == 2
        and all(
            isinstance(n, yaml.ScalarNode) and _NUMBER_TEXT.fullmatch(n.value) for n in node.value
        )
    ):
        return int(node.value[0].value), int(node.value[1].value)
    return None


def _at(path: str, node: yaml.Node, message: str) -> Diagnostic:
    start, end = node.start_mark, node.end_mark
    length = end.column - start.column if end.line == start.line else 1
    return Diagnostic(path, start.line + 1, start.column + 1, message, max(1, length))


def apply_layer_map(deck: Deck, path: str) -> dict[str, Layer]:
    """The deck's layers with the map's numbers for the layers it names."""
    text = _read_text(path)
    entries, errors = _parse(text, path)
    layers = dict(deck.layers)
    for name, (layer, datatype, where) in entries.items():
        declared = layers.get(name)
        if declared is None:
            close = difflib.get_close_matches(name, list(layers), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.append(
                replace(
                    where,
                    message=f"unknown layer '{name}': the deck "
                    f"'{deck.name}' has no such layer{hint}",
                )
            )
        elif not isinstance(declared, DrawnLayer):
            errors.append(
                replace(
                    where, message=f"'{name}' is a derived layer; only drawn layers can be mapped"
                )
            )
        else:
            layers[name] = replace(declared, layer=layer, datatype=datatype)
    if errors:
        raise DeckError(errors, {path: text})
    return layers
