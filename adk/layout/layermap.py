"""Layer maps: a customer's layer/datatype numbers for the deck's drawn layers, in YAML.

    # layers of ACME's package layouts
    layers:
      RDL1: 10/0
      UBUMP: [30, 0]

The ``layers:`` key is optional: a plain mapping of names works too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

import yaml

from adk.errors import DeckError, Diagnostic
from adk.lang.model import Deck, DrawnLayer, Layer

Entries = dict[str, tuple[int, int, Diagnostic]]  # name -> layer, datatype, where it is written

# at most 9 digits each: ASCII only (int() takes other digits too), and never a huge int()
_LAYER_TEXT = re.compile(r"\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*")
_NUMBER_TEXT = re.compile(r"[0-9]{1,9}")


def load_layer_map(path: str) -> Entries:
    """Read a layer map: name -> (layer, datatype, where it is written)."""
    text, entries, errors = _read(path)
    if errors:
        raise DeckError(errors, {path: text})
    return entries


def _read(path: str) -> tuple[str, Entries, list[Diagnostic]]:
    """The map's text, its well-formed entries and the faults of the others."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise DeckError(
            [Diagnostic(path, 1, 1, f"cannot read layer map: {exc.strerror}")]
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DeckError(
            [Diagnostic(path, line, column, f"invalid YAML: {problem}")], {path: text}
        ) from None
    return (text, *_entries(root, path))


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
    text, entries, errors = _read(path)
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
