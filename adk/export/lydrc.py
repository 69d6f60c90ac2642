"""A deck as a native KLayout DRC script (``.lydrc``), for users without adk.

The polygon rules KLayout's DRC language expresses are translated with adk's semantics:
layers merged, Euclidean distances measured to the nearest database unit, a value at a
limit passing, the same extra markers (the overlap of two separated layers, an inner shape
outside its enclosure, a forbidden shape inside a keep-out zone), the same density windows.
Its markers are adk's, with adk's texts (``width 1.5 um < 2 um``): where a rule joins the
markers of one defect (``markers areas``, the default), the script joins them as adk does.

The script writes one category per rule id, in deck order, as ``adk check`` does; rules
that share a category (``category`` in the deck) write to one, their items tagged with
their rules. It reads
absent layers as ``adk check`` does: a drawn layer the layout lacks is empty, and a rule is
not checked only when every drawn layer it reads is absent; absent layers are a warning, or
a note when the deck marks them optional. Object rules (bumps, bridges, counts, distances
between objects) have no DRC equivalent: each has an empty category named ``RULE (not
exported)``, and they are listed in a comment at the top of the script, with the command
that checks them.

Each kind translates its own rules (``lydrc`` in its module, see :mod:`adk.checks`); this
module writes the script around them: the layers, the Ruby helpers they call, one category
per rule.

The script runs flat, without tiles or threads. Run it in KLayout (Macros > Macro
Development, or Tools > DRC) on the current layout, or in batch mode:
``klayout -b -r DECK.lydrc -rd input=LAYOUT.gds -rd report=REPORT.lyrdb``.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from adk import checks
from adk.checks.drc import drc_layer, drc_variable, ruby_string
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
    script = "\n".join(
        [
            *_header(deck, skipped),
            *_names(deck),
            _PRELUDE,
            *_layer_lines(exported, layers),
            "adk_about_run\n",
            *(_rule_lines(rule, layers, deck.units, _shared(deck)) for rule in deck.rules),
            _EPILOGUE,
        ]
    )
    return Exported(_macro(deck, script), [r.id for r in exported], [r.id for r in skipped])


def _exported(rule: Rule) -> bool:
    return checks.exporter(rule.check.kind) is not None


def not_exported_category(rule_id: str) -> str:
    """The name of the empty category of a rule the script cannot check: the marker browser
    shows a category's name, and its description only with one of its markers."""
    return f"{rule_id} (not exported)"


def _header(deck: Deck, skipped: list[Rule]) -> list[str]:
    title = f'"{deck.title}" ' if deck.title else ""
    lines = [
        f"# adk deck {deck.name} {title}version {deck.version or '-'} "
        f"({os.path.basename(deck.path)}), translated by adk {__version__}",
        "# Run: klayout -b -r THIS.lydrc -rd input=LAYOUT.gds -rd report=REPORT.lyrdb",
        "# In KLayout it checks the current layout and opens the markers in the marker browser.",
        *_comment(_SEMANTICS),
    ]
    if skipped:
        count = f"{len(skipped)} rule{'s' if len(skipped) > 1 else ''}"
        lines += _comment(
            f"Not translated ({count}): KLayout's DRC language cannot express them; each has "
            "an empty category 'RULE (not exported)'."
        )
        lines.append("# Check them with 'adk check LAYOUT --deck DECK':")
        width = max(len(rule.id) for rule in skipped)
        lines += [
            f"#   {rule.id:<{width}}  {rule.check.kind:<12}  {rule.description}" for rule in skipped
        ]
    return lines + [""]


_SEMANTICS = (
    "Markers and texts as adk check gives them: where a rule joins the markers of one defect "
    "('markers areas', the default), touching edge pairs, and touching density windows "
    "failing the same way, are one marker, with the worst value and their number; with "
    "'markers pairs' or 'markers windows', one marker each. Absent layers as adk check "
    "reads them: a drawn layer the layout lacks is empty; a rule is not checked only when "
    "every drawn layer it reads is absent; absent layers are a warning in the category "
    "'about this run', a note when the deck marks them optional."
)


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, 88, break_on_hyphens=False)]


def _names(deck: Deck) -> list[str]:
    """The deck's names and unit, as the prelude uses them."""
    return [
        f"@adk_deck = {ruby_string(deck.name)}",
        f"@adk_title = {ruby_string(deck.title or deck.name)}",
        f"@adk_unit = {ruby_string(deck.units)}",
        f'@adk_generator = "adk {__version__} (KLayout DRC script)"',
    ]


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
            optional = ", optional: true" if layer.optional else ""
            lines.append(
                f'{drc_variable(name)} = adk_input("{name}", {layer.layer}, {layer.datatype}'
                f"{optional})"
            )
        else:
            lines.append(f"{drc_variable(name)} = {drc_layer(layer.expr)}")
    return lines + [""]


# ---------------------------------------------------------------- rules
def _shared(deck: Deck) -> set[str]:
    """The categories that several rules share, or that a rule is reported under instead
    of its id: their descriptions name each rule, as adk check's do."""
    return {
        name for name, rules in deck.categories().items() if len(rules) > 1 or rules[0].id != name
    }


def _rule_lines(rule: Rule, layers: dict[str, Layer], unit: str, shared: set[str]) -> str:
    """A rule's category, after a comment saying what the rule checks."""
    from adk.report.rule_table import rule_row

    row = rule_row(rule, unit)
    comment = f"# {rule.id}: {rule.check.kind}({row['layers']}) {row['value']}".rstrip()
    texts = f"{ruby_string(rule.description)}, {ruby_string(rule.severity)}"
    reason = checks.not_exported_reason(rule.check.kind)
    if reason is not None:
        name = ruby_string(not_exported_category(rule.id))
        return f"{comment}\nadk_not_exported({name}, {texts}, {ruby_string(reason)})\n"
    names = [n for expr in rule_layers(rule) for n in layer_names(expr)]
    drawn = ", ".join(ruby_string(name) for name in drawn_layers(names, layers))
    joined = ", joined: true" if checks.joins_markers(rule.check) else ""
    if rule.reported_under in shared:
        joined += f", category: {ruby_string(rule.reported_under)}"
    call = f"adk_rule({ruby_string(rule.id)}, {texts}, [{drawn}]{joined}) do"
    return f"{comment}\n{call}\n  {_markers(rule.check)}\nend\n"


def _markers(check: Check) -> str:
    """The Ruby expression giving a rule's markers: a list of marker lists."""
    translate = checks.exporter(check.kind)
    if translate is None:
        reason = checks.not_exported_reason(check.kind)
        raise ValueError(f"check kind {check.kind!r} has no DRC translation: {reason}")
    return translate(check, [drc_layer(expr) for expr in check.layers])


_PRELUDE = r"""source($input) if $input
@adk_absent = {}  # drawn layers the layout lacks: name => whether the deck marks it optional
@adk_rdb = RBA::ReportDatabase.new(@adk_deck)
@adk_rdb.description = "#{@adk_title} on #{File.basename(source.path.to_s)}"
@adk_rdb.generator = @adk_generator
@adk_rdb.top_cell_name = source.cell_name
@adk_rdb.original_file = source.path.to_s
@adk_cell = @adk_rdb.create_cell(source.cell_name)

# A marker is [shape in database units, measured value, text], as adk check reports it; the
# value is in um (distances), um2 (areas) or a fraction (densities).

# ---- layers, absent ones as adk check reads them

# a drawn layer; an empty one when the layout lacks it
def adk_input(name, layer, datatype, optional: false)
  return input(layer, datatype) if source.layout.find_layer(layer, datatype)
  @adk_absent[name] = optional
  polygon_layer
end

# first, as adk check does, a category for what the run says beside the markers: the
# absent layers the deck needs (a warning) and its absent optional ones (a note)
def adk_about_run
  return if @adk_absent.empty?
  category = @adk_rdb.create_category("about this run")
  category.description = "warnings and notes on how the deck fits the layout (no geometry)"
  optional, required = @adk_absent.keys.sort.partition { |name| @adk_absent[name] }
  absent = "absent from the layout, read as empty"
  adk_note(category, "warning", "#{adk_layers(required)} #{absent}") unless required.empty?
  adk_note(category, "info", "optional #{adk_layers(optional)} #{absent}") unless optional.empty?
end

def adk_layers(names)
  (names.size == 1 ? "layer " : "layers ") + names.join(", ")
end

def adk_note(category, tag, text)
  item = @adk_rdb.create_item(@adk_cell.rdb_id, category.rdb_id)
  item.add_value(text)
  item.add_tag(@adk_rdb.tag_id(tag))
end

# ---- one category per rule

# a rule's markers, unless every drawn layer it reads is absent: then there is nothing to
# check it on. joined: the edge pairs of one defect joined into one marker (a kind joining
# other markers, density windows, does so in its translation). category: the category it
# is reported under when the deck names one that other rules share, or that is not its id
def adk_rule(id, description, severity, drawn, joined: false, category: nil)
  absent = drawn.select { |name| @adk_absent.key?(name) }
  about = "#{description} (#{severity})#{adk_absence(drawn, absent)}"
  target = adk_category(category || id, category ? "#{id}: #{about}" : about)
  return if !absent.empty? && absent.size == drawn.size
  markers = yield.flatten(1)
  markers = adk_joined_pairs(markers) if joined
  adk_items(target, severity, markers, category && category != id ? "rule #{id}" : nil)
end

# the category named name, made by its first rule; each later rule adds its description
def adk_category(name, about)
  @adk_categories ||= {}
  category = @adk_categories[name]
  if category
    category.description = "#{category.description}; #{about}"
  else
    category = @adk_categories[name] = @adk_rdb.create_category(name)
    category.description = about
  end
  category
end

# what a rule's category says of its absent layers, as adk check's says it
def adk_absence(drawn, absent)
  names = absent.join(", ")
  return "" if absent.empty?
  return " [absent, read as empty: #{names}]" if absent.size < drawn.size
  return " [not checked: optional layers absent: #{names}]" if absent.all? { |n| @adk_absent[n] }
  " [not checked: missing #{names}]"
end

# a rule the script cannot check: an empty category, whose name says so
def adk_not_exported(name, description, severity, reason)
  category = @adk_rdb.create_category(name)
  advice = "check with adk check"
  category.description = "#{description} (#{severity}) [not exported: #{reason}; #{advice}]"
end

# one item per marker, in adk's order, with its shape, its text and the rule's severity;
# rule: the tag naming the rule, in a category named otherwise
def adk_items(category, severity, markers, rule = nil)
  tags = [@adk_rdb.tag_id(severity)] + (rule ? [@adk_rdb.tag_id(rule)] : [])
  markers.sort_by { |marker| adk_position(marker) }.each do |shape, _, text|
    item = @adk_rdb.create_item(@adk_cell.rdb_id, category.rdb_id)
    item.add_value(shape.to_dtype(dbu))
    item.add_value(text)
    tags.each { |tag| item.add_tag(tag) }
  end
end

# a marker's place in adk's order: its box, then its text
def adk_position(marker)
  shape, _, text = marker
  box = shape.is_a?(RBA::Box) ? shape : shape.bbox
  [box.left, box.bottom, box.right, box.top, text]
end

# ---- texts, as adk writes them

# a value in base units (um, um2, a fraction) in the deck's unit, mm or mm2 when large
def adk_quantity(value, dim)
  return "#{adk_number(value * 100)} %" if dim == :ratio
  unit, large, from = dim == :area ? ["#{@adk_unit}2", "mm2", 1e5] : [@adk_unit, "mm", 1e3]
  unit = large if @adk_unit != "mm" && value.abs >= from
  "#{adk_number(value / adk_unit_size(unit))} #{unit}"
end

def adk_unit_size(unit)
  { "nm" => 1e-3, "um" => 1.0, "mm" => 1e3, "nm2" => 1e-6, "um2" => 1.0, "mm2" => 1e6 }[unit]
end

# up to four decimals, trailing zeros dropped; rounded from the exact binary value, as adk
# rounds it (Ruby's "%.4f" rounds 1.00005, just above the half, down)
def adk_number(value)
  units = (value.to_r * 10_000).round(half: :even)
  return "0" if units.zero?
  whole, part = units.abs.divmod(10_000)
  decimals = part.zero? ? "" : ".#{part.to_s.rjust(4, "0").sub(/0+\z/, "")}"
  "#{units.negative? ? "-" : ""}#{whole}#{decimals}"
end

# the measured value against the limit it breaks: "width 1.5 um < 2 um"
def adk_violation(prop, measured, op, limit, dim)
  negated = { ">=" => "<", ">" => "<=", "<=" => ">", "<" => ">=", "==" => "!=" }[op]
  "#{prop} #{adk_quantity(measured, dim)} #{negated} #{adk_quantity(limit, dim)}"
end

# ---- measuring

# whether a measured value breaks a limit, both in database units, rounded far below the grid
def adk_breaks(measured, op, limit)
  measured, limit = measured.round(6), limit.round(6)
  case op
  when ">=" then measured < limit
  when ">" then measured <= limit
  when "<=" then measured > limit
  when "<" then measured >= limit
  else measured != limit
  end
end

# the first of the limits ([op, value in base units]) a value in units of scale breaks
def adk_broken(value, limits, scale)
  limits.find { |op, limit| adk_breaks(value, op, limit / scale) }
end

# the distance below which KLayout's check reports a pair: the strictest minimum
def adk_threshold(limits)
  limits.map { |op, um| v = (um / dbu).round(6); op == ">" ? v.floor + 1 : v.ceil }.max.dbu
end

# the distance from the point (px, py) to the segment from (x1, y1) to (x2, y2)
def adk_segment(x1, y1, x2, y2, px, py)
  dx, dy = (x2 - x1).to_f, (y2 - y1).to_f
  length2 = dx * dx + dy * dy
  t = length2 == 0 ? 0.0 : (((px - x1) * dx + (py - y1) * dy) / length2)
  t = t.clamp(0.0, 1.0)
  Math.hypot(px - x1 - t * dx, py - y1 - t * dy)
end

# an edge pair's distance to the nearest database unit (0 where its edges meet); the
# coordinates are read once, as each call into KLayout costs more than the arithmetic
def adk_distance(pair)
  a, b = pair.first, pair.second
  return 0 if a.intersect?(b)
  a = [a.x1, a.y1, a.x2, a.y2]
  b = [b.x1, b.y1, b.x2, b.y2]
  [adk_segment(*b, a[0], a[1]), adk_segment(*b, a[2], a[3]),
   adk_segment(*a, b[0], b[1]), adk_segment(*a, b[2], b[3])].min.round(half: :even)
end

# markers for the edge pairs whose rounded distance breaks a limit (a 45 degree line snapped
# to the grid at the limit passes); a block gives the end of each pair's text; symmetric:
# the pairs of a check of one layer, whose edges have no order of their own
def adk_pairs(pairs, prop, limits, symmetric = false)
  texts = {}  # by distance: many pairs share one
  markers = []
  pairs.data.each do |pair|
    distance = adk_distance(pair)
    text = texts.fetch(distance) { texts[distance] = adk_pair_text(distance, prop, limits) }
    next unless text
    text += yield(pair) if block_given?
    markers << [adk_oriented(pair, symmetric), (distance * dbu).round(9), text]
  end
  markers
end

# the text of a pair at a distance (database units), nil when it breaks no limit
def adk_pair_text(distance, prop, limits)
  op, limit = adk_broken(distance, limits, dbu)
  op && adk_violation(prop, (distance * dbu).round(9), op, limit, :length)
end

# a symmetric pair (space: neither edge comes first) with the lesser edge first, as adk
# writes it: KLayout's order depends on the order it meets the shapes in (and so, for two
# edges of one polygon, whether it says the pair is symmetric)
def adk_oriented(pair, symmetric = false)
  return pair unless (symmetric || pair.symmetric?) && pair.second < pair.first
  RBA::EdgePair.new(pair.second, pair.first)
end

# a marker at 0 for each polygon of a layer, with one text
def adk_pieces(layer, text)
  markers = []
  layer.data.each { |polygon| markers << [polygon, 0.0, text] }
  markers
end

# a marker at 0 for each polygon or edge of a layer, its text naming the named layers
# ([[name, layer], ...]) it lies on
def adk_named(layer, named, before, after)
  name = adk_namer(layer.data, named)
  markers = []
  layer.data.each { |item| markers << [item, 0.0, "#{before}#{name.call(item)}#{after}"] }
  markers
end

# markers for edge pairs as adk_pairs, each text ending in the layers its first edge lies on
def adk_named_pairs(pairs, prop, limits, named, after)
  name = adk_namer(pairs.data.first_edges, named)
  adk_pairs(pairs, prop, limits) { |pair| " (#{name.call(pair.first)}#{after})" }
end

# names each polygon or edge of items after the named layers it lies on; one lying on
# several abutting layers but on none of them alone gets every name
def adk_namer(items, named)
  every = named.map(&:first).join(", ")
  return ->(_) { every } if named.size == 1
  items.merged_semantics = false  # keep the items as they are, to look them up
  found = {}
  named.each do |name, layer|
    on = items.is_a?(RBA::Region) ? items.overlapping(layer.data) : items.inside(layer.data)
    # an edge shared by two pairs is there twice
    on.each { |item| (found[item] ||= []) << name unless found[item]&.include?(name) }
  end
  ->(item) { (found[item] || [every]).join(", ") }
end

# markers for the merged shapes whose area breaks a limit (limits in um2)
def adk_area(layer, limits)
  unit_area = dbu * dbu
  markers = []
  layer.data.merged.each do |polygon|
    area = polygon.area2 / 2.0
    op, limit = adk_broken(area, limits, unit_area)
    next unless op
    measured = area * unit_area
    markers << [polygon, measured, adk_violation("area", measured, op, limit, :area)]
  end
  markers
end

# markers for the vertices of a layer's merged shapes off a grid (um, a whole number of
# database units), each point once
def adk_off_grid(layer, grid)
  units = (grid / dbu).round(6)
  raise "ongrid: grid #{grid} um is not a whole number of the database unit #{dbu} um" \
    if units != units.round
  text = "vertex off the #{adk_quantity(grid, :length)} grid"
  points = {}
  layer.data.grid_check(units.round, units.round).each do |pair|
    points[[pair.first.x1, pair.first.y1]] = true
  end
  points.keys.map do |x, y|
    point = RBA::Edge.new(x, y, x, y)
    [RBA::EdgePair.new(point, point), nil, text]
  end
end

# the largest width maximum limits (um) allow, in whole database units
def adk_largest_allowed(limits)
  limits.map { |op, um| v = (um / dbu).round(6); op == "<=" ? v.floor : v.ceil - 1 }.min
end

# markers for the parts of a layer's merged shapes wider than a maximum: in quarter
# database units, each shape shrunk by half the width allowed and a quarter unit, grown
# back; each part with its width, the least whole W for which it shrunk by W / 2 and a
# quarter unit keeps nothing
def adk_too_wide(layer, limits)
  allowed = adk_largest_allowed(limits)
  quarters = layer.data.merged.transformed(RBA::ICplxTrans.new(4.0))
  shrink = 2 * allowed + 1
  core = quarters.sized(-shrink)
  return [] if core.is_empty?
  markers = []
  (core.sized(shrink) & quarters).merged.each do |part|
    width = adk_part_width(part, allowed)
    next unless width
    op, limit = adk_broken(width, limits, dbu)
    next unless op
    measured = (width * dbu).round(9)
    shape = part.transformed(RBA::ICplxTrans.new(0.25))
    markers << [shape, measured, adk_violation("width", measured, op, limit, :length)]
  end
  markers
end

def adk_part_width(part, allowed)
  piece = RBA::Region.new(part)
  kept = ->(width) { !piece.sized(-(2 * width + 1)).is_empty? }
  return nil unless kept.call(allowed)
  box = part.bbox
  low, high = allowed, ([box.width, box.height].min / 4.0).ceil + 1
  while high - low > 1
    middle = (low + high) / 2
    kept.call(middle) ? low = middle : high = middle
  end
  high
end

# markers for the merged shapes that are no rectangles, and for the rectangles with a side
# breaking a limit ([[property, op, um], ...] in the deck's order: size bounds both sides,
# width the shorter, length the longer)
def adk_size(layer, limits)
  markers = []
  layer.data.merged.each do |polygon|
    next markers << [polygon, nil, "size: not a rectangle"] unless polygon.is_box?
    box = polygon.bbox
    sides = { "width" => [box.width, box.height].min, "length" => [box.width, box.height].max }
    found = adk_broken_side(sides, limits)
    next unless found
    side, op, limit = found
    measured = (sides[side] * dbu).round(9)
    size = sides.values.map { |v| adk_quantity((v * dbu).round(9), :length) }.join(" x ")
    text = "#{adk_violation(side, measured, op, limit, :length)} (#{size})"
    markers << [polygon, measured, text]
  end
  markers
end

# the first limit a side breaks, with the side's name
def adk_broken_side(sides, limits)
  limits.each do |prop, op, limit|
    names = prop == "size" ? ["width", "length"] : [prop]
    names.each do |side|
      return [side, op, limit] if adk_broken(sides[side], [[op, limit]], dbu)
    end
  end
  nil
end

# window starts along one axis: every step from low, the last one moved back to end at high
def adk_starts(low, high, size, step)
  return [[low], high - low] if high - low <= size
  [(low...(high - size)).step(step).to_a + [high - size], size]
end

# markers for the windows whose covered fraction of the scope (within, else the top cell's
# box) breaks a limit
def adk_density(layer, within, window, step, limits)
  scope = within ? within.data.merged : RBA::Region.new(source.cell_obj.bbox)
  covered = within ? layer.data & scope : layer.data.merged
  extent = scope.bbox
  markers = []
  return markers if extent.empty? || extent.area == 0
  xs, width = adk_starts(extent.left, extent.right, (window / dbu).round, (step / dbu).round)
  ys, height = adk_starts(extent.bottom, extent.top, (window / dbu).round, (step / dbu).round)
  xs.product(ys).each do |x, y|
    box = RBA::Box.new(x, y, x + width, y + height)
    whole = scope.area(box)
    next if whole <= 0
    density = covered.area(box).to_f / whole
    op, limit = adk_broken(density, limits, 1.0)
    markers << [box, density, adk_violation("density", density, op, limit, :ratio)] if op
  end
  markers
end

# ---- one marker per defect, as adk's 'markers areas' joins them

# edge-pair markers whose areas touch or overlap joined into one: the merged area, with the
# smallest value, its text and the number of pairs; other markers stay as they are. An
# area is widened by a unit, so that pairs of facing corners (no area) and pairs meeting
# at a corner join; that puts the middle of a pair's first edge inside its own area.
def adk_joined_pairs(markers)
  pairs, others = markers.partition { |shape, _, _| shape.is_a?(RBA::EdgePair) }
  normal = pairs.map { |pair, _, _| pair.normalized }
  middles = normal.map do |pair|
    edge = pair.first
    RBA::Point.new(((edge.x1 + edge.x2) / 2.0).round(half: :even),
                   ((edge.y1 + edge.y2) / 2.0).round(half: :even))
  end
  spans = normal.map { |pair| pair.polygon(1) }
  others + adk_joined(pairs, spans, middles, "edge pairs", 1)
end

# failing windows that overlap or touch and fail on the same side of the limits joined:
# a sparse area beside a dense one is two defects
def adk_joined_windows(windows, limits)
  dense, sparse = windows.partition do |_, density, _|
    op, _ = adk_broken(density, limits, 1.0)
    ["<=", "<"].include?(op)
  end
  adk_window_groups(sparse, 1) + adk_window_groups(dense, -1)
end

# windows joined, each group named after its lowest density (sign 1) or highest (sign -1)
def adk_window_groups(windows, sign)
  spans = windows.map { |box, _, _| RBA::Polygon.new(box) }
  centres = windows.map { |box, _, _| box.center }
  adk_joined(windows, spans, centres, "windows", sign)
end

# one marker per merged area of the spans (the markers' areas, each holding its point): a
# lone marker as it is, a group as its area with the text of its worst marker
def adk_joined(markers, spans, points, noun, sign)
  areas = []
  RBA::Region.new(spans).merged.each { |area| areas << area }
  adk_members(points, areas).zip(areas).map do |group, area|
    next markers[group[0]] if group.size == 1
    _, value, text = adk_worst(group.map { |k| markers[k] }, sign)
    [area, value, "#{text} (#{group.size} #{noun})"]
  end
end

# the marker with the lowest value (sign 1) or the highest (sign -1); position breaks ties
def adk_worst(markers, sign)
  least = markers.map { |marker| sign * marker[1] }.min
  markers.select { |marker| sign * marker[1] == least }.min_by { |m| adk_position(m) }
end

# for each of the areas, the indices of the points inside it; the areas are merged, so each
# point lies in one, found through KLayout's box tree
def adk_members(points, areas)
  tree = RBA::Shapes.new
  areas.each_with_index { |area, k| tree.insert(area, k) }
  members = Array.new(areas.size) { [] }
  points.each_with_index do |point, k|
    found = []
    tree.each_touching(RBA::Box.new(point, point)) { |shape| found << shape.prop_id }
    found.select! { |a| areas[a].inside?(point) } if found.size > 1
    members[found[0]] << k
  end
  members
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
