"""A deck's drawn layers in KLayout's Layers panel: their names and a colour scheme, as a
layer-properties file (``.lyp``) and applied to a view.

Every drawn layer gets its name and description as the layer's name, with ``layer/datatype``
of the first layout (``@1``) as its source; derived layers are not drawn and get no entry.
The colours and stipples follow the deck's layer order, so the same deck looks the same on
every run: twelve saturated mid-tone colours, which read on KLayout's dark background as on a
light one, and seven sparse stipples (a count prime to twelve, so that colour and stipple
pairs repeat only after 84 layers), sparse because a package's layers lie over each other.
A layer its description calls an outline (package, die, field) is drawn hollow with a wider
frame instead: outlines span most of the layout and would hatch over everything inside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from adk.lang.model import Deck

# saturated mid-tones that stay apart from each other on black and on white
PALETTE = (
    0xF05050,  # red
    0x3C8CF0,  # blue
    0x3CC83C,  # green
    0xF0A01E,  # amber
    0xC050F0,  # violet
    0x1EBEAA,  # teal
    0xF0781E,  # orange
    0x8C82F0,  # periwinkle
    0x96C81E,  # olive
    0xF05AA0,  # pink
    0x1EAAE6,  # cyan
    0x9696A0,  # grey
)
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# KLayout's built-in stipples by index: lightly left-, right- and cross-hatched, coarsely
# dotted, vertical and horizontal sparse, hollow bubbles
STIPPLES = (5, 9, 13, 3, 35, 40, 17)
HOLLOW = 1  # KLayout's "hollow" stipple: the frame only
OUTLINE_WIDTH = 2  # pixels of an outline's frame


@dataclass(frozen=True)
class LayerStyle:
    """How one drawn layer (or several deck layers on one layer/datatype) is shown."""

    name: str
    layer: int
    datatype: int
    color: int  # 0xRRGGBB, for fill and frame
    stipple: int  # index of a KLayout built-in stipple
    width: int = 0  # frame width in pixels; 0: KLayout's default

    @property
    def source(self) -> str:
        return f"{self.layer}/{self.datatype}@1"


def layer_styles(deck: Deck) -> list[LayerStyle]:
    """One style per layer/datatype the deck draws on, in deck order."""
    labels: dict[tuple[int, int], list[str]] = {}
    outlines: set[tuple[int, int]] = set()
    for layer in deck.drawn_layers():
        source = (layer.layer, layer.datatype)
        label = f"{layer.name} - {layer.description}" if layer.description else layer.name
        labels.setdefault(source, []).append(label)
        if re.search(r"\boutline\b", layer.description, re.IGNORECASE):
            outlines.add(source)
    styles = []
    for index, (source, names) in enumerate(labels.items()):
        outline = source in outlines
        styles.append(
            LayerStyle(
                "; ".join(names),
                *source,
                PALETTE[index % len(PALETTE)],
                HOLLOW if outline else STIPPLES[index % len(STIPPLES)],
                OUTLINE_WIDTH if outline else 0,
            )
        )
    return styles


def lyp_text(deck: Deck) -> str:
    """The deck's layers as a KLayout layer-properties file."""
    entries = "".join(_lyp_entry(style) for style in layer_styles(deck))
    return f"{XML_DECLARATION}<layer-properties>\n{entries}</layer-properties>\n"


def _lyp_entry(style: LayerStyle) -> str:
    color = f"#{style.color:06x}"
    elements = [
        ("frame-color", color),
        ("fill-color", color),
        ("dither-pattern", f"I{style.stipple}"),
        ("width", str(style.width) if style.width else ""),
        ("valid", "true"),
        ("visible", "true"),
        ("name", escape(style.name)),
        ("source", style.source),
    ]
    lines = [f"  <{tag}>{value}</{tag}>\n" for tag, value in elements if value]
    return " <properties>\n" + "".join(lines) + " </properties>\n"


def apply_to_view(view: Any, deck: Deck, cellview: int = 0) -> int:
    """Name and colour the layers of ``view`` that show a layer the deck draws on, in the
    layout of ``cellview``; every other layer keeps its properties, and layers the layout
    lacks are not added. Returns how many layers were changed."""
    styles = {(s.layer, s.datatype): s for s in layer_styles(deck)}
    changed = 0
    for index in range(view.num_layer_lists()):
        iterator = view.begin_layers(index)
        while not iterator.at_end():
            node = iterator.current()
            style = styles.get((node.source_layer, node.source_datatype))
            if style is not None and not node.has_children() and node.cellview() == cellview:
                view.set_layer_properties(index, iterator, _styled(node.dup(), style))
                changed += 1
            iterator.next()
    return changed


def _styled(node: Any, style: LayerStyle) -> Any:
    node.name = style.name
    node.fill_color = node.frame_color = style.color
    node.dither_pattern = style.stipple
    if style.width:
        node.width = style.width
    return node
