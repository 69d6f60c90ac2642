"""The HTML report: ``DIR/index.html`` with its pictures in ``DIR/pictures/``, a page that
opens from the file system with no server, no script and nothing from the network.

It gives the run's facts and the summary table, then a section per rule with a picture of
each violation (the first :data:`PICTURES_PER_RULE`) drawn by KLayout's layout view, its
text beneath, then density maps of the layout's polygon and bump layers. The rules of a
category the deck names are grouped in a section of the category.

The pictures are files beside the page rather than ``data:`` URIs inside it: a deck of
fifty rules with twenty pictures each would make a page of tens of megabytes that a
browser parses before it shows anything, while with files it shows the text at once.

The layout is read again from ``result.layout_path``: reports receive the run's result,
not the layout it was made from; a caller whose layout exists in memory only (an
assembled package) hands it over, and a copy of it is drawn. The run itself is not
touched."""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass

from adk import checks
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.lang.model import Rule
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout, read_layout
from adk.report import pictures
from adk.report.atomic import _umask, write_text_atomically
from adk.report.categories import named_categories
from adk.report.review import MarkerReview, Review
from adk.report.rule_table import rule_row
from adk.report.run_info import RunInfo, run_info
from adk.run.result import RuleOutcome, RunResult
from adk.version import __version__

PICTURES_PER_RULE = 20
PAGE = "index.html"
PICTURES = "pictures"  # the page's own folder inside DIR: replaced on every write


@dataclass(frozen=True)
class Figure:
    """A picture on the page: its file (relative to the page) and what is written under it."""

    source: str
    caption: str
    detail: str = ""


def write_html(
    result: RunResult,
    path: str,
    review: Review | None = None,
    info: RunInfo | None = None,
    limit: int = PICTURES_PER_RULE,
    layout: LoadedLayout | None = None,
) -> None:
    """Write the report into the folder ``path`` (made when absent). The pictures are drawn
    into a fresh folder that then replaces the old one, and the page is written last, so
    an earlier report stays whole until the new one is. ``layout``: the layout checked,
    when it is not to be read again from ``result.layout_path``; it is left as it is."""
    folder = _folder(path)
    staging = _staging(folder, path)
    try:
        loaded = _layout_to_draw(result, layout)
        page = _draw_page(
            result, loaded, review or Review(), info or run_info(result), staging, limit
        )
        _replace(staging, os.path.join(folder, PICTURES))
    except AdkError:
        raise
    except Exception as exc:
        raise AdkError(f"{path}: cannot write HTML report: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it took the old's place
    write_text_atomically(os.path.join(folder, PAGE), page, "HTML report")


def _folder(path: str) -> str:
    if os.path.exists(path) and not os.path.isdir(path):
        raise AdkError(f"{path}: the HTML report is a folder, and this is a file")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise AdkError(f"{path}: cannot write HTML report: {exc.strerror}") from None
    return path


def _staging(folder: str, path: str) -> str:
    try:
        return tempfile.mkdtemp(prefix=f".{PICTURES}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AdkError(f"{path}: cannot write HTML report: {exc.strerror}") from None


def _replace(staging: str, target: str) -> None:
    """Put ``staging`` at ``target``: the old folder is moved aside first, then removed."""
    if os.path.isdir(target):
        old = tempfile.mkdtemp(prefix=f".{PICTURES}.old.", dir=os.path.dirname(target))
        os.replace(target, os.path.join(old, PICTURES))
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
    # mkdtemp makes the folder private; a report is shared like any file the user writes
    with contextlib.suppress(OSError):
        os.chmod(target, 0o777 & ~_umask())


# ---------------------------------------------------------------- drawing
def _layout_to_draw(result: RunResult, layout: LoadedLayout | None) -> LoadedLayout:
    if layout is None:
        return read_layout(result.layout_path, result.top_cell)
    # the layout view frees the layout it shows: it gets a copy, the caller keeps its own
    copy = layout.layout.dup()
    return LoadedLayout(layout.path, copy, copy.cell(layout.top.cell_index()))


def _draw_page(
    result: RunResult,
    loaded: LoadedLayout,
    review: Review,
    info: RunInfo,
    staging: str,
    limit: int,
) -> str:
    started = time.perf_counter()
    # the maps first: the layout view takes the layout over and frees it when it closes
    context = LayoutContext(loaded, result.deck.layers, result.deck.units)
    maps = _density_section(result, context, staging) + _bump_section(result, context, staging)
    painter = pictures.ViolationPainter(loaded, result.deck)
    categories = named_categories(outcome.rule for outcome in result.outcomes)
    try:
        sections = [
            _rule_section(
                position,
                outcome,
                review,
                painter,
                staging,
                limit,
                result.deck.units,
                nested=outcome.rule.reported_under in categories,
            )
            for position, outcome in enumerate(result.outcomes)
        ]
        legend = painter.legend()
    finally:
        painter.close()
    seconds = time.perf_counter() - started
    body = [
        _heading(result),
        _facts(info),
        _messages(result, review),
        _summary(result, categories),
        _legend(legend),
        *_grouped(result.outcomes, sections, categories),
        maps,
        _footer(seconds),
    ]
    return _document(result, "\n".join(part for part in body if part))


def _rule_section(
    position: int,
    outcome: RuleOutcome,
    review: Review,
    painter: pictures.ViolationPainter,
    staging: str,
    limit: int,
    unit: str,
    nested: bool = False,
) -> str:
    """The rule's section; ``nested``: in its category's section."""
    rule = outcome.rule
    figures = []
    for index, marker in enumerate(outcome.markers[:limit]):
        name = f"{position + 1:03d}-{_file_safe(rule.id)}-{index + 1}.png"
        painter.draw(marker, os.path.join(staging, name))
        detail = "; ".join(filter(None, (_filing(marker), _standing(review.of(rule.id, index)))))
        figures.append(Figure(f"{PICTURES}/{name}", marker.text, detail))
    more = len(outcome.markers) - len(figures)
    return _rule_html(outcome, figures, more, unit, nested)


def _grouped(outcomes: list[RuleOutcome], sections: list[str], categories: dict) -> list[str]:
    """The rules' sections, those of a category the deck names in one section of the
    category, at the place of its first rule."""
    groups: dict[str, list[tuple[RuleOutcome, str]]] = {}
    for outcome, section in zip(outcomes, sections):
        category = outcome.rule.reported_under
        key = f"category {category}" if category in categories else f"rule {outcome.rule.id}"
        groups.setdefault(key, []).append((outcome, section))
    return [
        _category_html(members) if key.startswith("category ") else members[0][1]
        for key, members in groups.items()
    ]


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _filing(marker: Marker) -> str:
    """Where a marker filed in a cell is: the picture shows its first placement."""
    if marker.filed is None:
        return ""
    return f"in cell {marker.filed.cell}, shown at the first of {marker.placements} placements"


def _standing(standing: MarkerReview) -> str:
    """What waivers and a baseline say of a marker, for its caption."""
    parts = []
    if standing.waiver is not None:
        parts.append(f"waived by {standing.waiver.owner}: {standing.waiver.reason}")
    if standing.baseline_state is not None:
        parts.append(standing.baseline_state)
    return "; ".join(parts)


def _density_section(result: RunResult, context: LayoutContext, staging: str) -> str:
    extent = context.loaded.top.dbbox()
    figures, absent = [], []
    for number, name in enumerate(pictures.polygon_layers(result), 1):
        if context.drawn_index(name) is None or extent.empty():
            absent.append(name)
            continue
        density = pictures.area_density_map(context, name, extent)
        file = f"density-{number:02d}-{_file_safe(name)}.png"
        figures.append(_map_figure(density, file, staging))
    intro = (
        "The share of each cell the layer covers, over the layout's extent; "
        "grey cells hold none of it."
    )
    return _maps_html("density", "Layer density", intro, figures, absent)


def _bump_section(result: RunResult, context: LayoutContext, staging: str) -> str:
    names = pictures.bump_layers(result)
    if not names:
        return ""
    dies = pictures.dies(context, result.deck)
    figures, absent = [], []
    for layer, name in enumerate(names, 1):
        maps = pictures.bump_density_maps(context, name, dies)
        if not maps:
            absent.append(name)
        for number, density in enumerate(maps, 1):
            file = f"bumps-{layer:02d}-{_file_safe(name)}-{number}.png"
            figures.append(_map_figure(density, file, staging))
    where = (
        f"per die of the deck's {pictures.DIE_LAYER} layer"
        if dies
        else f"over the layout (no {pictures.DIE_LAYER} layer, or none drawn)"
    )
    intro = f"Bumps (shape centres) per mm² in each cell, {where}; a cell spans a few bump pitches."
    return _maps_html("bumps", "Bump density", intro, figures, absent)


def _map_figure(density: pictures.DensityMap, name: str, staging: str) -> str:
    with open(os.path.join(staging, name), "wb") as stream:
        stream.write(pictures.map_png(density))
    return _map_html(density, f"{PICTURES}/{name}")


# ---------------------------------------------------------------- HTML
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _document(result: RunResult, body: str) -> str:
    title = f"adk check: {result.deck.name} on {os.path.basename(result.layout_path)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _heading(result: RunResult) -> str:
    outcomes = result.outcomes
    failed = sum(o.status == "fail" for o in outcomes)
    unchecked = sum(not o.checked for o in outcomes)
    markers = _placed(sum(len(o.markers) for o in outcomes), sum(o.placed for o in outcomes))
    verdict = "fail" if failed else "pass"
    return (
        f"<header><h1>{_e(result.deck.title or result.deck.name)} on "
        f"{_e(os.path.basename(result.layout_path))}</h1>\n"
        f'<p class="verdict {verdict}">{len(outcomes)} rules, {failed} failed, '
        f"{unchecked} not checked, {markers}</p></header>"
    )


def _facts(info: RunInfo) -> str:
    memory = f"{info.peak_memory_mib} MiB" if info.peak_memory_mib is not None else "not known"
    if info.peak_memory_children_mib is not None:
        memory += f" (largest worker {info.peak_memory_children_mib} MiB)"
    rows = [
        ("deck", f"{info.deck} {info.deck_version}".strip()),
        ("deck file", info.deck_path),
        ("layout", info.layout),
        ("top cell", info.top_cell),
        ("versions", f"adk {info.adk_version}, KLayout {info.klayout_version}, "
                     f"Python {info.python_version}"),
        ("run time", f"{info.seconds:.2f} s"),
        ("peak memory", memory),
        ("finished", f"{info.finished_utc} (UTC)"),
    ]  # fmt: skip
    cells = "\n".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in rows)
    return f'<section id="run"><h2>Run</h2>\n<table class="facts">\n{cells}\n</table></section>'


def _messages(result: RunResult, review: Review) -> str:
    lines = [("warning", text) for text in result.warnings]
    lines += [("note", text) for text in result.notes]
    lines += [("note", text) for text in review.summary_lines(result)]
    if result.missing_layers:
        lines.append(("note", f"layers absent from the layout: {', '.join(result.missing_layers)}"))
    if not lines:
        return ""
    items = "\n".join(
        f'<li class="{kind}"><strong>{kind}:</strong> {_e(text)}</li>' for kind, text in lines
    )
    return f'<section id="messages"><h2>Warnings and notes</h2>\n<ul>\n{items}\n</ul></section>'


def _summary(result: RunResult, categories: dict) -> str:
    """The rules' table; with a column of the category each rule is reported under (its
    id when it names none, as in the text table) when the deck names a category."""
    rows = "\n".join(_summary_row(outcome, categories) for outcome in result.outcomes)
    category = "<th>category</th>" if categories else ""
    return (
        '<section id="summary"><h2>Rules</h2>\n<table class="summary">\n'
        f"<thead><tr><th>rule</th>{category}<th>severity</th><th>status</th><th>count</th>"
        "<th>worst</th><th>description</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table></section>"
    )


def _summary_row(outcome: RuleOutcome, categories: dict) -> str:
    rule, worst = outcome.rule, outcome.worst()
    return (
        f'<tr><td><a href="#{_anchor(rule.id)}">{_e(rule.id)}</a></td>'
        f"{_category_cell(rule, categories)}"
        f'<td class="{_e(rule.severity)}">{_e(rule.severity)}</td>'
        f'<td class="{_status_class(outcome)}">{_e(outcome.status)}</td>'
        f'<td class="count">{_placed(len(outcome.markers), outcome.placed, short=True)}</td>'
        f"<td>{_e(worst.text) if worst else ''}</td><td>{_e(rule.description)}</td></tr>"
    )


def _category_cell(rule: Rule, categories: dict) -> str:
    if not categories:
        return ""
    category = rule.reported_under
    if category not in categories:
        return f"<td>{_e(category)}</td>"
    return f'<td><a href="#{_category_anchor(category)}">{_e(category)}</a></td>'


def _anchor(rule_id: str) -> str:
    return _e(f"rule-{rule_id}")


def _category_anchor(category: str) -> str:
    return _e(f"category-{category}")


def _status_class(outcome: RuleOutcome) -> str:
    if not outcome.checked:
        return "unchecked"
    return "fail" if outcome.markers else "pass"


def _legend(styles: list[pictures.LayerStyle]) -> str:
    items = "\n".join(
        f'<li><span class="swatch" style="background:{_e(s.colour)}"></span>{_e(s.label)}</li>'
        for s in styles
    )
    return (
        '<section id="legend"><h2>Layers in the pictures</h2>\n'
        '<p>As KLayout draws them; the violation is outlined in <span class="marked">red</span>.'
        f'</p>\n<ul class="legend">\n{items}\n</ul></section>'
    )


def _category_html(members: list[tuple[RuleOutcome, str]]) -> str:
    """A category's heading, its rules and markers counted, then its rules' sections."""
    category = members[0][0].rule.reported_under
    outcomes = [outcome for outcome, _ in members]
    markers = _placed(sum(len(o.markers) for o in outcomes), sum(o.placed for o in outcomes))
    rules = ", ".join(outcome.rule.id for outcome in outcomes)
    return "\n".join(
        [
            f'<section class="category" id="{_category_anchor(category)}">',
            f"<h2>{_e(category)} <small>category: {_e(rules)}</small></h2>",
            f"<p>{_rules(len(outcomes))} reported under {_e(category)}, {markers}.</p>",
            *(section for _, section in members),
            "</section>",
        ]
    )


def _rule_html(
    outcome: RuleOutcome, figures: list[Figure], more: int, unit: str, nested: bool
) -> str:
    """The rule's section; in its category's section (``nested``), under an ``h3``."""
    rule = outcome.rule
    check = _check_text(rule, unit)
    level = "h3" if nested else "h2"
    parts = [
        f'<section class="rule" id="{_anchor(rule.id)}">',
        f"<{level}>{_e(rule.id)} <small>{_e(rule.description)}</small></{level}>",
        f'<p><span class="{_e(rule.severity)}">{_e(rule.severity)}</span> · '
        f'<span class="{_status_class(outcome)}">{_e(outcome.status)}</span> · '
        f"{_placed(len(outcome.markers), outcome.placed)} · <code>{_e(check)}</code> · "
        f"{_e(os.path.basename(rule.span.file))}:{rule.span.line}</p>",
    ]
    if outcome.missing:
        parts.append(f"<p>Absent from the layout: {_e(', '.join(outcome.missing))}.</p>")
    if figures:
        parts.append('<div class="figures">\n' + "\n".join(map(_figure_html, figures)) + "\n</div>")
    if more:
        parts.append(
            f'<p class="more">and {_markers(more)} more, not drawn here; the marker database '
            "lists them all.</p>"
        )
    parts.append('<p class="top"><a href="#summary">back to the rules</a></p></section>')
    return "\n".join(parts)


def _check_text(rule: Rule, unit: str) -> str:
    """The check as a deck writes it: ``width(M1) >= 2 um`` when it bounds what the kind
    measures first, else its constraints in braces."""
    check = rule.check
    call = f"{check.kind}({rule_row(rule, unit)['layers']})"
    limits = [f"{c.prop} {c.op} {c.limit.format(unit)}" for c in check.constraints]
    spec = checks.specs().get(check.kind)
    default = spec.default_prop if spec else None
    measures = default.name if default else check.kind
    if len(check.constraints) == 1 and check.constraints[0].prop == measures:
        only = check.constraints[0]
        return f"{call} {only.op} {only.limit.format(unit)}"
    return f"{call} {{ {'; '.join(limits)} }}" if limits else call


def _placed(count: int, placed: int, short: bool = False) -> str:
    """A count of markers, with the count once per placement when it differs."""
    text = str(count) if short else _markers(count)
    return text if placed == count else f"{text} ({placed} placed)"


def _rules(count: int) -> str:
    return f"{count} rule" if count == 1 else f"{count} rules"


def _markers(count: int) -> str:
    return f"{count} marker" if count == 1 else f"{count} markers"


def _figure_html(figure: Figure) -> str:
    detail = f'<br><span class="detail">{_e(figure.detail)}</span>' if figure.detail else ""
    return (
        f'<figure><img src="{_e(figure.source)}" width="{pictures.PICTURE_WIDTH}" '
        f'height="{pictures.PICTURE_HEIGHT}" alt="{_e(figure.caption)}">'
        f'<figcaption class="measured">{_e(figure.caption)}{detail}</figcaption></figure>'
    )


def _maps_html(anchor: str, title: str, intro: str, figures: list[str], absent: list[str]) -> str:
    parts = [f'<section id="{anchor}"><h2>{_e(title)}</h2>', f"<p>{_e(intro)}</p>"]
    if figures:
        parts.append('<div class="figures">\n' + "\n".join(figures) + "\n</div>")
    if absent:
        parts.append(f"<p>Not in the layout: {_e(', '.join(absent))}.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _map_html(density: pictures.DensityMap, source: str) -> str:
    width, height = pictures.map_size(density)
    grid = density.grid
    box = grid.extent
    where = f"[{box.left:g}, {box.bottom:g}, {box.right:g}, {box.top:g}] um"
    cells = f"{grid.columns}×{grid.rows} cells of {grid.cell_width:.4g}×{grid.cell_height:.4g} um"
    return (
        f'<figure class="map"><img src="{_e(source)}" width="{width}" height="{height}" '
        f'alt="{_e(density.title)}">'
        f"<figcaption><strong>{_e(density.title)}</strong><br>{_e(density.note)}<br>"
        f'<span class="detail">{cells} over {_e(where)}</span>{_colour_scale(density)}'
        "</figcaption></figure>"
    )


def _colour_scale(density: pictures.DensityMap) -> str:
    stops = ", ".join(f"{colour} {stop:.0%}" for stop, colour in pictures.SCALE)
    top = f"{density.top:.0%}" if density.unit == "%" else f"{density.top:.0f} {density.unit}"
    return (
        f'<span class="scale"><span class="swatch" style="background:{pictures.EMPTY}"></span>'
        f'none <span class="ramp" style="background:linear-gradient(to right, {stops})">'
        f"</span> 0 to {_e(top)}</span>"
    )


def _footer(seconds: float) -> str:
    return (
        f"<footer>Written by adk {_e(__version__)} in {seconds:.2f} s (reading the layout "
        "again, drawing the pictures and maps).</footer>"
    )


STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       margin: 0 auto; padding: 1em 2em 3em; max-width: 1600px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; margin: 1.6em 0 0.4em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
h2 small, h3 small { font-weight: normal; color: #555; }
section.category { border-left: 3px solid #ddd; padding-left: 1em; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4;
         vertical-align: top; }
.facts th { color: #555; font-weight: normal; white-space: nowrap; }
.summary thead th { background: #f3f3f3; }
.summary td.count { text-align: right; }
.verdict { font-weight: bold; }
.fail, .error { color: #b00020; }
.pass { color: #1b7f2a; }
.unchecked, .warning { color: #a35c00; }
.info { color: #245c9e; }
.marked { color: #ff0000; font-weight: bold; }
li.warning { color: #a35c00; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; border: 1px solid #ddd; padding: 0.4em; background: #fafafa;
         max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; background: #fff; }
figure.map img { image-rendering: pixelated; }
figcaption { margin-top: 0.3em; max-width: 480px; }
figcaption.measured { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace;
                      font-size: 0.9em; }
.detail { color: #555; font-size: 0.9em; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3em 1.4em; }
.swatch { display: inline-block; width: 1em; height: 1em; margin-right: 0.35em;
          vertical-align: -0.15em; border: 1px solid #999; }
.scale { display: block; margin-top: 0.3em; font-size: 0.9em; }
.ramp { display: inline-block; width: 10em; height: 0.9em; vertical-align: -0.1em;
        border: 1px solid #999; margin: 0 0.3em; }
.more { font-style: italic; }
.top { font-size: 0.85em; }
code { background: #f3f3f3; padding: 0 0.25em; }
footer { margin-top: 3em; color: #666; font-size: 0.85em; }
"""
