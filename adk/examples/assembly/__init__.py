"""Example assemblies, generated: each part a layout file of its own, with its bump map,
the assembly file (YAML) and the assembly's deck, clean or with planted errors.

An example module defines ``NAME``, ``parts(broken) -> {name: PartDrawing}``, ``PLANTED``
(rule -> the parts its markers may name in the broken variant, and why), the stack's
connectivity (``TYPES`` and ``SIDES`` of the parts, ``CONNECTIONS``, ``PATHS``) and its
deck as ``NAME.adk`` beside it. ``adk example-assembly NAME FOLDER [--broken]`` writes one.
"""

from __future__ import annotations

import os
import re
from importlib import import_module
from pathlib import Path
from types import ModuleType

from adk.errors import AdkError
from adk.examples.assembly.kit import LAYERS, PartDrawing, bump_map_text, layout_of

EXAMPLES = ("focos_bridge", "interposer")
ASSEMBLY_FILE = "assembly.yaml"
DECK_FILE = "assembly.adk"


def example(name: str) -> ModuleType:
    if name not in EXAMPLES:
        raise AdkError(f"no example assembly '{name}' (examples: {', '.join(EXAMPLES)})")
    return import_module(f"{__name__}.{name}")


def deck_text(name: str) -> str:
    return (Path(__file__).parent / f"{example(name).NAME}.adk").read_text(encoding="utf-8")


def write_assembly_example(
    name: str, folder: str, broken: bool = False, per_layer: bool = False
) -> list[str]:
    """Write the example ``name`` into ``folder`` (made if need be): the part layouts, their
    bump maps, ``assembly.yaml`` and ``assembly.adk``. Returns the files written.
    ``per_layer``: each bump map given to its layer (net layers ``LAYER_net``), as a 3Dblox
    region's, with the deck naming them so."""
    module = example(name)
    drawings = module.parts(broken)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise AdkError(f"{folder}: cannot make the folder: {exc.strerror}") from None
    written = []
    for file, drawing in _layout_files(drawings).items():
        path = os.path.join(folder, file)
        layout_of(drawing).write(path)
        written.append(path)
    for drawing in drawings.values():
        for layer, file in drawing.bump_maps.items():
            written.append(_write(folder, file, bump_map_text(drawing, layer)))
    title = f"{name} example assembly{' with planted errors' if broken else ''}"
    yaml_text = assembly_yaml(name, title, drawings, per_layer)
    written.append(_write(folder, ASSEMBLY_FILE, yaml_text))
    deck = _per_layer_deck(deck_text(name), drawings) if per_layer else deck_text(name)
    written.append(_write(folder, DECK_FILE, deck))
    return written


def write_3dblox_example(name: str, folder: str, broken: bool = False) -> list[str]:
    """Write the example ``name`` as a 3Dblox stack: ``stack.3dbx``, ``stack.3dbv``, a
    ``.bmap`` per bump map, with the part layouts and the deck (naming each part's nets
    ``PART.LAYER_net``). ``broken`` plants the errors of the broken example and one more:
    HBM1, face down (``MZ``), with the bump map of its face-up placement: its entries
    mirrored across the map's middle, so that its nets land mirrored."""
    from adk.assembly.loader import load_assembly
    from adk.assembly.threedblox import write_3dblox

    written = write_assembly_example(name, folder, broken, per_layer=True)
    written += write_3dblox(load_assembly(os.path.join(folder, ASSEMBLY_FILE)), folder, "stack")
    if broken:
        _mirror_bmap(os.path.join(folder, "HBM1_bump.bmap"))
    return written


def _mirror_bmap(path: str) -> None:
    """The bump map at ``path`` with its x mirrored across the middle of its entries."""
    rows = [line.split() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    xs = [float(row[2]) for row in rows]
    middle = min(xs) + max(xs)
    for row in rows:
        row[2] = f"{middle - float(row[2]):.4f}"
    _write(os.path.dirname(path), os.path.basename(path), "".join(" ".join(r) + "\n" for r in rows))


def _per_layer_deck(deck: str, drawings: dict[str, PartDrawing]) -> str:
    """The deck with each part's one net layer ``PART.net`` named ``PART.LAYER_net``."""
    for drawing in drawings.values():
        if list(drawing.bump_maps) == [""]:
            layer = _map_layer(drawing)
            deck = re.sub(rf"\b{drawing.name}\.net\b", f"{drawing.name}.{layer}_net", deck)
    return deck


def _map_layer(drawing: PartDrawing) -> str:
    """The layer a part's one bump map describes: its bumps, or else its pads."""
    return "bump" if drawing.bumps else "pad"


def _layout_files(drawings: dict[str, PartDrawing]) -> dict[str, PartDrawing]:
    """Each layout file with the first part drawn from it: parts sharing a file are one
    design (the same layout, bump maps of their own)."""
    files: dict[str, PartDrawing] = {}
    for drawing in drawings.values():
        files.setdefault(drawing.file, drawing)
    return files


def _write(folder: str, file: str, text: str) -> str:
    path = os.path.join(folder, file)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def assembly_yaml(
    name: str, title: str, drawings: dict[str, PartDrawing], per_layer: bool = False
) -> str:
    """The assembly file: every part with its layout, placement, layers, bump map and
    type, then the connections and paths."""
    module = example(name)
    lines = [f"# {title}", f"assembly: {name}", f"deck: {DECK_FILE}", "parts:"]
    for drawing in drawings.values():
        where = drawing.where
        lines += [f"  {drawing.name}:", f"    layout: {drawing.file}", f"    top: {drawing.top}"]
        if where.on != "package":
            lines.append(f"    on: {where.on}")
        if where.offset != (0.0, 0.0) and where.offset != (0, 0):
            lines.append(f"    at: [{where.offset[0]:g}, {where.offset[1]:g}]")
        if where.rotation:
            lines.append(f"    rotation: {where.rotation}")
        if where.face != "up":
            lines.append(f"    face: {where.face}")
        layers = ["outline"] + [n for n in ("bump", "c4", "pad") if _has(drawing, n)]
        entries = ", ".join(f"{n}: {LAYERS[n][0]}/{LAYERS[n][1]}" for n in layers)
        lines.append(f"    layers: {{{entries}}}")
        if list(drawing.bump_maps) == [""] and per_layer:
            lines.append(f"    bump_map: {{{_map_layer(drawing)}: {drawing.bump_maps['']}}}")
        elif list(drawing.bump_maps) == [""]:
            lines.append(f"    bump_map: {drawing.bump_maps['']}")
        elif drawing.bump_maps:
            maps = ", ".join(f"{layer}: {file}" for layer, file in drawing.bump_maps.items())
            lines.append(f"    bump_map: {{{maps}}}")
        lines += _connectivity_yaml(module, drawing.name)
    lines += _stack_yaml(module)
    return "\n".join(lines) + "\n"


def _connectivity_yaml(module: ModuleType, part: str) -> list[str]:
    """The part's type and the sides of its layers not on its front."""
    lines = [f"    type: {module.TYPES[part]}"]
    sides = module.SIDES.get(part, {})
    if sides:
        lines.append(f"    sides: {{{', '.join(f'{k}: {v}' for k, v in sides.items())}}}")
    return lines


def _stack_yaml(module: ModuleType) -> list[str]:
    """The connections, top bumps on bottom pads, and the path assertions."""
    lines = ["connections:"]
    for name, (top, bottom) in module.CONNECTIONS.items():
        lines.append(f"  {name}: {{top: {top}, bottom: {bottom}}}")
    lines.append("paths:")
    lines += [f"  {name}: [{', '.join(entries)}]" for name, entries in module.PATHS.items()]
    return lines


def _has(drawing: PartDrawing, layer: str) -> bool:
    return bool({"bump": drawing.bumps, "c4": drawing.c4, "pad": drawing.pads}[layer])
