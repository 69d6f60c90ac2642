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

from .deck import Deck, DrawnLayer, Layer
from .errors import DeckError, Diagnostic

_LAYER_TEXT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def load_layer_map(path: str) -> dict[str, tuple[int, int, Diagnostic]]:
    """Read a layer map: name -> (layer, datatype, where it is written)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise DeckError([Diagnostic(path, 1, 1, f"cannot read layer map: {exc.strerror}")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DeckError([Diagnostic(path, line, column, f"invalid YAML: {problem}")],
                        {path: text}) from None
    entries, errors = _entries(root, path)
    if errors:
        raise DeckError(errors, {path: text})
    return entries


def _entries(root, path: str) -> tuple[dict, list[Diagnostic]]:
    errors: list[Diagnostic] = []
    if root is None:
        return {}, []
    if isinstance(root, yaml.MappingNode) and len(root.value) == 1 and \
            root.value[0][0].value == "layers":
        root = root.value[0][1]
    if not isinstance(root, yaml.MappingNode):
        return {}, [_at(path, root, "a layer map is a mapping of layer names to layer/datatype")]
    entries = {}
    for key, value in root.value:
        name = key.value
        if not isinstance(key, yaml.ScalarNode) or not re.match(r"^[A-Za-z_]\w*$", str(name)):
            errors.append(_at(path, key, f"'{name}' is not a layer name"))
            continue
        if name in entries:
            errors.append(_at(path, key, f"layer '{name}' is mapped twice"))
            continue
        numbers = _numbers(value)
        if numbers is None:
            errors.append(_at(path, value, f"layer '{name}': expected layer/datatype such as 10/0"))
            continue
        entries[name] = (*numbers, _at(path, key, ""))
    return entries, errors


def _numbers(node) -> tuple[int, int] | None:
    if isinstance(node, yaml.ScalarNode):
        match = _LAYER_TEXT.match(str(node.value))
        values = (int(match.group(1)), int(match.group(2))) if match else None
    elif isinstance(node, yaml.SequenceNode) and len(node.value) == 2 and \
            all(isinstance(n, yaml.ScalarNode) and str(n.value).isdigit() for n in node.value):
        values = (int(node.value[0].value), int(node.value[1].value))
    else:
        values = None
    if values is None or max(values) > 65535:
        return None
    return values


def _at(path: str, node, message: str) -> Diagnostic:
    mark = node.start_mark
    return Diagnostic(path, mark.line + 1, mark.column + 1, message)


def apply_layer_map(deck: Deck, path: str) -> dict[str, Layer]:
    """The deck's layers with the map's numbers for the layers it names."""
    entries = load_layer_map(path)
    layers = dict(deck.layers)
    errors = []
    for name, (layer, datatype, where) in entries.items():
        declared = layers.get(name)
        if declared is None:
            close = difflib.get_close_matches(name, list(layers), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.append(replace(where, message=f"unknown layer '{name}': the deck "
                                                 f"'{deck.name}' has no such layer{hint}"))
        elif not isinstance(declared, DrawnLayer):
            errors.append(replace(where, message=f"'{name}' is a derived layer; only drawn "
                                                 "layers can be mapped"))
        else:
            layers[name] = replace(declared, layer=layer, datatype=datatype)
    if errors:
        with open(path, encoding="utf-8") as handle:
            raise DeckError(errors, {path: handle.read()})
    return layers
