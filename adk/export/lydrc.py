"""A deck as a native KLayout DRC script (``.lydrc``), for users without adk.

The polygon rules KLayout's DRC language expresses are translated with adk's semantics:
layers merged, Euclidean distances measured to the nearest database unit, a value at a
limit passing, the same extra markers (the overlap of two separated layers, an inner shape
outside its enclosure, a forbidden shape inside a keep-out zone), the same density windows.
The script writes one category per rule id, as ``adk check`` does; a rule reading a layer
the layout lacks gets an empty category marked "not checked". Object rules (bumps, bridges,
counts, distances between objects) have no DRC equivalent: they are listed in a comment at
the top of the script, with the command that checks them.

Each kind translates its own rules (``lydrc`` in its module, see :mod:`adk.checks`); this
module writes the script around them: the layers, the Ruby helpers they call, one category
per rule.

The script runs flat, without tiles or threads. Run it in KLayout (Macros > Macro
Development, or Tools > DRC) on the current layout, or in batch mode:
``klayout -b -r DECK.lydrc -rd input=LAYOUT.gds -rd report=REPORT.lyrdb``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from xml.sax.saxutils import escape

from adk import checks
from adk.checks.drc import drc_layer, drc_variable
from adk.lang.model import Check, Deck, DerivedLayer, DrawnLayer, Layer, Rule, layer_names
from adk.run.plan import drawn_layers, rule_layers
from adk.version import __version__


@dataclass
class Exported:
    """The script and which rules it holds."""

    text: str  # the .lydrc file
    rules: list[str]  # ids of the rules translated
    skipped: list[str]  # ids of the rules it cannot express


def export_deck(deck: Deck, layers: dict[str, Layer] | None = None) -> Exported:
    """The deck (``layers``: its layers, a layer map applied) as a .lydrc file."""
    layers = layers or deck.layers
    exported = [rule for rule in deck.rules if _exported(rule)]
    skipped = [rule for rule in deck.rules if not _exported(rule)]
    names = [
        f"@adk_deck = {_ruby_string(deck.name)}",
        f'@adk_generator = "adk {__version__} (KLayout DRC script)"',
    ]
    script = "\n".join(
        [
            *_header(deck, skipped),
            *names,
            _PRELUDE,
            *_layer_lines(exported, layers),
            *(_rule_lines(rule, layers, deck.units) for rule in exported),
            _EPILOGUE,
        ]
    )
    return Exported(_macro(deck, script), [r.id for r in exported], [r.id for r in skipped])


def _exported(rule: Rule) -> bool:
    return checks.exporter(rule.check.kind) is not None


def _header(deck: Deck, skipped: list[Rule]) -> list[str]:
    title = f'"{deck.title}" ' if deck.title else ""
    lines = [
        f"# adk deck {deck.name} {title}version {deck.version or '-'} "
        f"({os.path.basename(deck.path)}), translated by adk {__version__}",
        "# Run: klayout -b -r THIS.lydrc -rd input=LAYOUT.gds -rd report=REPORT.lyrdb",
        "# In KLayout it checks the current layout and opens the markers in the marker browser.",
    ]
    if skipped:
        lines.append(
            f"# Not translated ({len(skipped)} rules: KLayout's DRC language cannot "
            "express them; check them with 'adk check LAYOUT --deck DECK'):"
        )
        width = max(len(rule.id) for rule in skipped)
        lines += [
            f"#   {rule.id:<{width}}  {rule.check.kind:<12}  {rule.description}" for rule in skipped
        ]
    grouped = [
        rule.id for rule in deck.rules if rule.check.param("markers") == "areas" and _exported(rule)
    ]
    if grouped:
        lines.append(
            "# One marker per edge pair here, where adk joins touching pairs into one "
            f"area ('markers areas'): {', '.join(grouped)}"
        )
    return lines + [""]


def _macro(deck: Deck, script: str) -> str:
    """The KLayout macro file around the script (a DRC script in the XML format)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<klayout-macro>
 <description>{escape(deck.title or deck.name)} (adk deck {escape(deck.name)})</description>
 <version>{escape(deck.version)}</version>
 <category>drc</category>
 <prolog/>
 <epilog/>
 <doc/>
 <autorun>false</autorun>
 <autorun-early>false</autorun-early>
 <shortcut/>
 <show-in-menu>true</show-in-menu>
 <group-name>drc_scripts</group-name>
 <menu-path>tools_menu.drc.end</menu-path>
 <interpreter>dsl</interpreter>
 <dsl-interpreter-name>drc-dsl-xml</dsl-interpreter-name>
 <text>{escape(script)}</text>
</klayout-macro>
"""


# ---------------------------------------------------------------- layers
def _layer_lines(rules: list[Rule], layers: dict[str, Layer]) -> list[str]:
    """Every layer the rules read, drawn ones first, each derived one after its inputs."""
    needed: list[str] = []

    def visit(name: str) -> None:
        if name in needed:
            return
        layer = layers[name]
        if isinstance(layer, DerivedLayer):
            for inner in layer_names(layer.expr):
                visit(inner)
        needed.append(name)

    for rule in rules:
        for expr in rule_layers(rule):
            for name in layer_names(expr):
                visit(name)
    lines = ["# layers"]
    for name in needed:
        layer = layers[name]
        if isinstance(layer, DrawnLayer):
            lines.append(
                f'{drc_variable(name)} = adk_input("{name}", {layer.layer}, {layer.datatype})'
            )
        else:
            lines.append(f"{drc_variable(name)} = {drc_layer(layer.expr)}")
    return lines + [""]


# ---------------------------------------------------------------- rules
def _rule_lines(rule: Rule, layers: dict[str, Layer], unit: str) -> str:
    from adk.report.rule_table import rule_row

    row = rule_row(rule, unit)
    names = [n for expr in rule_layers(rule) for n in layer_names(expr)]
    drawn = ", ".join(f'"{name}"' for name in drawn_layers(names, layers))
    description = f"{rule.description} ({rule.severity})"
    return (
        f"# {rule.id}: {rule.check.kind}({row['layers']}) {row['value']}\n"
        f"adk_rule({_ruby_string(rule.id)}, {_ruby_string(description)}, [{drawn}]) do\n"
        f"  {_markers(rule.check)}\n"
        "end\n"
    )


def _ruby_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'


def _markers(check: Check) -> str:
    """The Ruby expression giving a rule's markers: a list of DRC layers and RBA containers."""
    translate = checks.exporter(check.kind)
    if translate is None:
        reason = checks.not_exported_reason(check.kind)
        raise ValueError(f"check kind {check.kind!r} has no DRC translation: {reason}")
    return translate(check, [drc_layer(expr) for expr in check.layers])


_PRELUDE = r"""source($input) if $input
@adk_missing = []
@adk_rdb = RBA::ReportDatabase.new(@adk_deck)
@adk_rdb.generator = @adk_generator
@adk_rdb.top_cell_name = source.cell_name
@adk_rdb.original_file = source.path.to_s
@adk_cell = @adk_rdb.create_cell(source.cell_name)

# a drawn layer; an empty one, remembered as missing, when the layout lacks it
def adk_input(name, layer, datatype)
  return input(layer, datatype) if source.layout.find_layer(layer, datatype)
  @adk_missing << name
  polygon_layer
end

# one category per rule; its markers unless it reads a missing layer
def adk_rule(id, description, drawn)
  missing = drawn & @adk_missing
  category = @adk_rdb.create_category(id)
  if missing.empty?
    trans = RBA::CplxTrans.new(dbu)
    yield.each do |markers|
      data = markers.respond_to?(:data) ? markers.data : markers
      @adk_rdb.create_items(@adk_cell.rdb_id, category.rdb_id, trans, data)
    end
  else
    description += " [not checked: missing #{missing.join(', ')}]"
  end
  category.description = description
end

# whether a measured value breaks a limit, both in database units, rounded far below the grid
def adk_breaks(measured, op, limit)
  measured, limit = measured.round(6), limit.round(6)
  { ">=" => measured < limit, ">" => measured <= limit, "<=" => measured > limit,
    "<" => measured >= limit, "==" => measured != limit }[op]
end

# the distance below which KLayout's check reports a pair: the strictest minimum
def adk_threshold(limits)
  limits.map { |op, um| v = (um / dbu).round(6); op == ">" ? v.floor + 1 : v.ceil }.max.dbu
end

def adk_segment(edge, point)
  dx, dy = (edge.p2.x - edge.p1.x).to_f, (edge.p2.y - edge.p1.y).to_f
  length2 = dx * dx + dy * dy
  t = length2 == 0 ? 0.0 : (((point.x - edge.p1.x) * dx + (point.y - edge.p1.y) * dy) / length2)
  t = [[t, 0.0].max, 1.0].min
  Math.hypot(point.x - edge.p1.x - t * dx, point.y - edge.p1.y - t * dy)
end

# an edge pair's distance to the nearest database unit (0 where its edges meet)
def adk_distance(pair)
  a, b = pair.first, pair.second
  return 0 if a.intersect?(b)
  [adk_segment(b, a.p1), adk_segment(b, a.p2), adk_segment(a, b.p1), adk_segment(a, b.p2)]
    .min.round(half: :even)
end

# the edge pairs whose rounded distance breaks a limit: a 45 degree line snapped to the grid
# at the limit passes
def adk_short(pairs, limits)
  kept = RBA::EdgePairs.new
  pairs.data.each do |pair|
    d = adk_distance(pair)
    kept.insert(pair) if limits.any? { |op, um| adk_breaks(d, op, um / dbu) }
  end
  kept
end

# merged shapes whose area breaks a limit (limits in um2)
def adk_area(layer, limits)
  kept = RBA::Region.new
  layer.data.merged.each do |polygon|
    area = polygon.area2 / 2.0
    kept.insert(polygon) if limits.any? { |op, um2| adk_breaks(area, op, um2 / (dbu * dbu)) }
  end
  kept
end

# window starts along one axis: every step from low, the last one moved back to end at high
def adk_starts(low, high, size, step)
  return [[low], high - low] if high - low <= size
  [(low...(high - size)).step(step).to_a + [high - size], size]
end

# windows whose covered fraction of the scope (within, else the top cell's box) breaks a limit
def adk_density(layer, within, window, step, limits)
  scope = within ? within.data.merged : RBA::Region.new(source.cell_obj.bbox)
  covered = within ? layer.data & scope : layer.data.merged
  extent = scope.bbox
  windows = RBA::Region.new
  return windows if extent.empty? || extent.area == 0
  xs, width = adk_starts(extent.left, extent.right, (window / dbu).round, (step / dbu).round)
  ys, height = adk_starts(extent.bottom, extent.top, (window / dbu).round, (step / dbu).round)
  xs.product(ys).each do |x, y|
    box = RBA::Box.new(x, y, x + width, y + height)
    whole = scope.area(box)
    next if whole <= 0
    density = covered.area(box).to_f / whole
    windows.insert(box) if limits.any? { |op, limit| adk_breaks(density, op, limit) }
  end
  windows
end
"""

_EPILOGUE = r"""
if $report || RBA::LayoutView.current.nil?
  @adk_rdb.save($report || "#{@adk_deck}.lyrdb")
else
  view = RBA::LayoutView.current
  view.show_rdb(view.add_rdb(@adk_rdb), view.active_cellview_index)
end
"""
