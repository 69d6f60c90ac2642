"""Layers of the parts of an assembly, as a deck names them: ``PART.LAYER``.

An assembly (docs/assembly.md) places several layouts, its parts, in one package. Its
deck reads a part's layer by a qualified name, ``HBM1.bump``; the assembly binds each
name to the layer/datatype the part's layer has in the assembled layout, so the deck is
checked like any other once the names are bound. The binding is handed to the deck
loader by its caller, as the check signatures are: the language knows no assembly.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from adk.lang.model import DrawnLayer

# part name -> the part's layer name -> the drawn layer it is in the assembled layout
PartLayers = Mapping[str, Mapping[str, DrawnLayer]]


class UnknownPartLayer(ValueError):
    """A qualified name the assembly does not bind; the message says why."""


def part_layer(name: str, parts: PartLayers | None) -> DrawnLayer:
    """The drawn layer ``PART.LAYER`` stands for; UnknownPartLayer when the deck is not
    an assembly's, or the assembly has no such part or the part no such layer."""
    part, layer = name.split(".", 1)
    if parts is None:
        raise UnknownPartLayer(
            f"'{name}' is a layer of the part '{part}' (PART.LAYER): only an assembly "
            "has parts (adk check-assembly, docs/assembly.md)"
        )
    if part not in parts:
        hint = _suggest(part, parts) or f" (its parts: {', '.join(parts)})"
        raise UnknownPartLayer(f"unknown part '{part}': the assembly has no such part{hint}")
    layers = parts[part]
    if layer not in layers:
        hint = _suggest(layer, layers) or (
            f" (its layers: {', '.join(layers)})" if layers else " (it names no layers)"
        )
        raise UnknownPartLayer(f"part '{part}' has no layer '{layer}'{hint}")
    return layers[layer]


def _suggest(name: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = [c for c in candidates if c.lower() == name.lower()]
    return f" (did you mean '{close[0]}'?)" if close else ""
