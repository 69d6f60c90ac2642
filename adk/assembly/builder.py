"""The assembled package: every part's layout in one KLayout layout, in package coordinates.

Each part's layout is copied in as a cell tree (hierarchy and arrays kept, so a bump
array stays one instance and the bump checks read it arithmetically), its top cell
renamed after the part, and placed in the assembly's top cell with the part's transform
into the package. Every layer of every part gets a layer number of its own: first the
layers the assembly names, in file order (``HBM1.bump`` is one), then the part's bump-map
nets, then its other layers, so the deck's rules and the existing check kinds run on the
assembled layout unchanged, and their markers are in package coordinates.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import klayout.db as kdb
import numpy as np

from adk.assembly.bumpmap import load_bump_map
from adk.assembly.model import NET_LAYER, Assembly, Drawing, Part
from adk.errors import AdkError
from adk.lang.model import DrawnLayer
from adk.lang.parts import PartLayers
from adk.layout.reader import LoadedLayout, read_layout

# a placement landing this close to the database grid (units) lands on it
_ON_GRID = 1e-6


@dataclass
class Assembled:
    """The assembled layout with what the deck and the reports need to know of it:
    ``layers``, each part's named layers as the deck's drawn layers; ``extents``, each
    part's bounding box in package coordinates (µm); ``trans``, each part's own
    coordinates to the package's (µm); ``sources``, each part's layout as read."""

    assembly: Assembly
    layout: kdb.Layout
    top: kdb.Cell
    layers: PartLayers
    extents: dict[str, kdb.DBox]
    trans: dict[str, kdb.DCplxTrans]
    sources: dict[str, LoadedLayout]

    def loaded(self, path: str | None = None) -> LoadedLayout:
        """The assembled layout as a read layout; ``path`` names it in reports (the file
        it is written to), the assembly file by default."""
        return LoadedLayout(path or self.assembly.path, self.layout, self.top)


def part_layers(assembly: Assembly) -> dict[str, dict[str, DrawnLayer]]:
    """The layer each ``PART.LAYER`` name has in the assembled layout: numbered from 1 in
    the order the file names them, each part's bump-map nets after its named layers. The
    numbers depend on the assembly file alone, so a deck is checked before any layout is
    read."""
    bound: dict[str, dict[str, DrawnLayer]] = {}
    number = 0
    for part in assembly.parts:
        layers: dict[str, DrawnLayer] = {}
        source = os.path.basename(part.layout) or "its description"
        for name, (layer, datatype) in part.layers.items():
            number += 1
            description = f"{name} of part {part.name} ({layer}/{datatype} in {source})"
            span = part.layer_spans[name]
            layers[name] = DrawnLayer(f"{part.name}.{name}", number, 0, description, span)
        for net, bump_map in part.bump_maps.items():
            number += 1
            description = f"nets of part {part.name} from {os.path.basename(bump_map)}"
            span = part.layer_spans[net]
            layers[net] = DrawnLayer(f"{part.name}.{net}", number, 0, description, span)
        bound[part.name] = layers
    return bound


def build(assembly: Assembly) -> Assembled:
    """Read every part's layout and assemble them; AdkError (with the assembly's line)
    for a part that cannot be read or placed."""
    sources = {part.name: _read_part(assembly, part) for part in assembly.parts}
    layout = kdb.Layout()
    layout.dbu = _database_unit(assembly, sources)
    bound = part_layers(assembly)
    numbers = _Numbers(1 + sum(len(layers) for layers in bound.values()))
    top = layout.create_cell(_top_name(assembly))
    extents: dict[str, kdb.DBox] = {}
    transforms: dict[str, kdb.DCplxTrans] = {}
    for part in assembly.stacked():
        cell = _copy_part(layout, part, sources[part.name], bound[part.name], numbers)
        trans = assembly.package_trans(part.name)
        top.insert(kdb.CellInstArray(cell.cell_index(), _on_grid(assembly, part, trans, layout)))
        transforms[part.name] = trans
        extents[part.name] = cell.dbbox().transformed(trans)
    return Assembled(assembly, layout, top, bound, extents, transforms, sources)


def _read_part(assembly: Assembly, part: Part) -> LoadedLayout:
    if part.drawing is not None:
        return _drawn(part, part.drawing)
    try:
        return read_layout(part.layout, part.top)
    except AdkError as exc:
        raise assembly.fault(part.spans.get("layout"), f"part '{part.name}': {exc}") from None


def _drawn(part: Part, drawing: Drawing) -> LoadedLayout:
    """A part without a layout file, drawn from its description: its design area as a
    box on its outline layer, each bump of a bump map of layer L (net layer ``L_net``) a
    small square on L, so the bump checks see the bumps the maps describe."""
    layout = kdb.Layout()
    layout.dbu = drawing.dbu
    top = layout.create_cell(part.name)
    if "outline" in part.layers:
        outline = layout.layer(*part.layers["outline"])
        top.shapes(outline).insert(kdb.DBox(0, 0, drawing.width, drawing.height))
    half = drawing.bump / 2
    for net, path in part.bump_maps.items():
        layer = net[: -len(NET_LAYER) - 1]
        if layer not in part.layers:
            continue
        shapes = top.shapes(layout.layer(*part.layers[layer]))
        units = np.rint(load_bump_map(path).points / drawing.dbu).astype(np.int64).tolist()
        size = round(half / drawing.dbu)
        boxes = kdb.Region()
        for x, y in units:
            boxes.insert(kdb.Box(x - size, y - size, x + size, y + size))
        shapes.insert(boxes)
    return LoadedLayout(f"{part.name} (drawn)", layout, top)


def _database_unit(assembly: Assembly, sources: dict[str, LoadedLayout]) -> float:
    """The assembly's database unit (by default the finest of the parts'), of which
    every part's is a whole multiple, so that no coordinate is rounded on the way."""
    dbu = assembly.dbu or min((loaded.dbu for loaded in sources.values()), default=0.001)
    for part in assembly.parts:
        ratio = sources[part.name].dbu / dbu
        if abs(ratio - round(ratio)) > 1e-9 * ratio or round(ratio) < 1:
            raise assembly.fault(
                part.spans.get("layout"),
                f"part '{part.name}': its database unit {sources[part.name].dbu:g} um is not "
                f"a whole multiple of the assembly's {dbu:g} um",
            )
    return dbu


def _top_name(assembly: Assembly) -> str:
    """The top cell: the assembly's name, unless a part takes it."""
    names = {part.name for part in assembly.parts}
    return assembly.name if assembly.name not in names else f"{assembly.name}_ASSEMBLY"


class _Numbers:
    """Layer numbers for the layers the assembly does not name, after those it does."""

    def __init__(self, first: int):
        self.next = first

    def take(self) -> int:
        if self.next > 65535:
            raise AdkError("the parts have more than 65535 layers together")
        self.next += 1
        return self.next - 1


def _copy_part(
    layout: kdb.Layout,
    part: Part,
    source: LoadedLayout,
    named: dict[str, DrawnLayer],
    numbers: _Numbers,
) -> kdb.Cell:
    """The part's cell tree copied into ``layout`` under a cell named after the part."""
    cell = layout.create_cell(part.name)
    cells = kdb.CellMapping()
    cells.for_single_cell_full(layout, cell.cell_index(), source.layout, source.top.cell_index())
    targets = _layer_targets(layout, part, source.layout, named, numbers)
    mapping = kdb.LayerMapping()
    for index, (first, *_) in targets.items():
        mapping.map(index, first)
    layout.copy_tree_shapes(source.layout, cells, mapping)
    for first, *others in targets.values():
        for other in others:  # one drawn layer under two names
            layout.copy_layer(first, other)
    for source_index, target_index in cells.table().items():
        if target_index != cell.cell_index():
            name = f"{part.name}.{source.layout.cell(source_index).name}"
            layout.rename_cell(target_index, layout.unique_cell_name(name))
    for net, bump_map in part.bump_maps.items():
        _net_texts(layout, cell, bump_map, named[net])
    return cell


def _layer_targets(
    layout: kdb.Layout,
    part: Part,
    source: kdb.Layout,
    named: dict[str, DrawnLayer],
    numbers: _Numbers,
) -> dict[int, list[int]]:
    """Each layer of the part's layout -> the assembled layers it is copied to: those of
    the names the assembly gives it, or one of its own. A named layer the part's layout
    lacks is not made: the run reports it absent, as it would in the part's own file."""
    present = {(info.layer, info.datatype) for info in source.layer_infos()}
    by_numbers: dict[tuple[int, int], list[int]] = {}
    for name, numbers_in_part in part.layers.items():
        if numbers_in_part in present:
            bound = named[name]
            info = kdb.LayerInfo(bound.layer, bound.datatype, bound.name)
            by_numbers.setdefault(numbers_in_part, []).append(layout.layer(info))
    targets: dict[int, list[int]] = {}
    for index in source.layer_indexes():
        info = source.get_info(index)
        key = (info.layer, info.datatype)
        if key not in by_numbers:
            label = f"{part.name}.{info.layer}_{info.datatype}"  # OASIS names take no spaces
            by_numbers[key] = [layout.layer(kdb.LayerInfo(numbers.take(), 0, label))]
        targets[index] = by_numbers[key]
    return targets


def _net_texts(layout: kdb.Layout, cell: kdb.Cell, bump_map: str, layer: DrawnLayer) -> None:
    """A bump map as texts on its net layer, at the bumps in the part's cell, so that they
    are placed with it."""
    bumps = load_bump_map(bump_map)
    texts = kdb.Texts()  # gathered first: a million single inserts into a cell are slow
    units = np.rint(bumps.points / layout.dbu).astype(np.int64).tolist()
    for net, (x, y) in zip(bumps.nets, units):
        texts.insert(kdb.Text(net, x, y))
    cell.shapes(layout.layer(kdb.LayerInfo(layer.layer, layer.datatype, layer.name))).insert(texts)


def _on_grid(
    assembly: Assembly, part: Part, trans: kdb.DCplxTrans, layout: kdb.Layout
) -> kdb.ICplxTrans:
    """``trans`` in database units; an error when it moves the part's origin off the
    database grid (KLayout would round it silently)."""
    disp = trans.disp
    units = (disp.x / layout.dbu, disp.y / layout.dbu)
    if any(abs(u - round(u)) > _ON_GRID for u in units):
        raise assembly.fault(
            part.spans.get("at") or part.span,
            f"part '{part.name}' lands at ({disp.x:g}, {disp.y:g}) um in the package, off "
            f"the database grid of {layout.dbu:g} um",
        )
    return trans.to_itrans(layout.dbu)


def write_assembled(assembled: Assembled, path: str) -> None:
    """Write the assembled layout as GDS or OASIS (by the suffix; ``.gz`` compresses),
    through a temporary file and a rename. OASIS keeps the layer names (``HBM1.bump``);
    GDS keeps the numbers only."""
    lower = path.lower()
    if not lower.endswith((".gds", ".oas", ".gds.gz", ".oas.gz", ".gds2", ".oasis")):
        raise AdkError(f"{path}: the assembled layout must end with .gds or .oas (or .gz)")
    options = kdb.SaveLayoutOptions()
    options.format = "OASIS" if ".oas" in lower else "GDS2"
    folder = os.path.dirname(os.path.abspath(path))
    suffix = "".join(
        s for s in (".gds" if options.format == "GDS2" else ".oas", ".gz") if s in lower
    )
    try:
        handle, temporary = tempfile.mkstemp(prefix=".assembled.", suffix=suffix, dir=folder)
    except OSError as exc:
        raise AdkError(f"{path}: cannot write the assembled layout: {exc.strerror}") from None
    os.close(handle)
    try:
        assembled.layout.write(temporary, options)
        os.replace(temporary, path)
    except (OSError, RuntimeError) as exc:
        os.unlink(temporary)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AdkError(f"{path}: cannot write the assembled layout: {reason}") from None
