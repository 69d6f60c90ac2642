"""Checking an assembly: its deck on the assembled layout, each part's own deck on the
part, every marker in package coordinates naming the parts it involves.

A part's deck is the one its team signs off with: it runs on the part's own layout file,
as ``adk check PART.gds --deck DECK`` would, and its markers are moved into the package
with the part's transform. Its rules are reported as ``PART:RULE``. The connections and
path assertions the file declares (a 3Dblox stack's, or an assembly file's) are checked
too, as rules ``3DBLOX.CONN.NAME`` and ``3DBLOX.PATH.NAME`` after the deck's
(:mod:`~adk.assembly.stack_checks`), the same ids whichever file declares them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

import klayout.db as kdb

from adk import checks
from adk.assembly.builder import Assembled, build, part_layers
from adk.assembly.loader import load_assembly
from adk.assembly.model import Assembly, Part
from adk.assembly.netlist_check import NETLIST_RULE, check_netlist
from adk.assembly.stack_checks import PREFIX, check_stack, stack_rule_ids
from adk.assembly.threedblox import is_3dblox, load_3dbx
from adk.assembly.verilog import Netlist, load_netlist
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.kit.decks import resolve_deck
from adk.lang import builder
from adk.lang.model import Deck, layer_names
from adk.layout.layermap import apply_layer_map
from adk.run.engine import Progress, run_deck
from adk.run.plan import LAYER_EXPRS, drawn_layers
from adk.run.result import RuleOutcome, RunResult


@dataclass
class AssemblyRun:
    """What checking an assembly found: ``result`` holds the assembly's rules and then
    each part's (``PART:RULE``), every marker in package coordinates."""

    assembled: Assembled
    result: RunResult


def read_assembly_file(path: str) -> Assembly:
    """An assembly file (YAML) or a 3Dblox stack (``.3dbx``), read and validated; no
    layout is read. Raises AdkError on bad input."""
    return load_3dbx(path) if is_3dblox(path) else load_assembly(path)


def load_assembly_deck(assembly: Assembly, deck: str, deck_roots: Iterable[str] = ()) -> Deck:
    """The assembly's deck, its ``PART.LAYER`` names bound to the assembled layers."""
    return builder.load_deck(
        resolve_deck(deck), checks.specs(), list(deck_roots), parts=part_layers(assembly)
    )


def check_assembly(
    path: str,
    deck: str | None = None,
    *,
    deck_roots: Iterable[str] = (),
    rules: list[str] | None = None,
    layout_path: str | None = None,
    progress: Progress | None = None,
    netlist: str | None = None,
) -> AssemblyRun:
    """Check the assembly file at ``path`` (YAML, or a 3Dblox ``.3dbx`` stack) against
    ``deck`` (default: the deck the file names) and each part against its own deck.
    ``layout_path``: the file the assembled layout is written to, named in the reports.
    ``rules``: the deck's rules to run, and the stack's own (``3DBLOX.*``); ``netlist``: a
    structural Verilog netlist compared with the nets across the connections (default:
    the one the file names).
    Decks (and the netlist) are read before any layout, so a fault is reported at once.
    Raises AdkError or DeckError on bad input."""
    assembly = read_assembly_file(path)
    deck_path = deck or assembly.deck
    roots = list(deck_roots)
    main = load_assembly_deck(assembly, deck_path, roots) if deck_path else None
    part_decks = {p.name: _part_deck(p, roots) for p in assembly.parts if p.deck is not None}
    read_netlist, netlist_warnings = _netlist(assembly, netlist)
    stack_rules = _stack_rules(assembly, rules, read_netlist is not None)
    if main is None and not part_decks and not stack_rules:
        raise AdkError(
            f"{path}: nothing to check: give a deck (--deck, or 'deck:' in the assembly) "
            "or a part's own deck"
        )
    deck_rules = None if rules is None else [r for r in rules if not r.startswith(PREFIX)]
    assembled = build(assembly)
    loaded = assembled.loaded(layout_path)
    if main is not None and (not rules or deck_rules):
        result = run_deck(main, main.layers, loaded, deck_rules, progress, flat_markers=True)
        result.outcomes = [_named(outcome, main, assembled) for outcome in result.outcomes]
    else:
        deck_run = _empty_deck(assembly) if main is None else replace(main, rules=[])
        result = RunResult(deck_run, loaded.path, loaded.top.name, [], [])
    result.warnings += netlist_warnings
    _add_stack_checks(result, assembly, assembled, stack_rules, read_netlist)
    for name, part_deck in part_decks.items():
        _add_part_run(result, assembled, assembly.part(name), part_deck)
    return AssemblyRun(assembled, result)


def _netlist(assembly: Assembly, given: str | None) -> tuple[Netlist | None, list[str]]:
    """The netlist to compare, read: ``given``, else the one the file names; and a warning
    when the file names one but declares no connections to compare it across (given,
    that is an error)."""
    path = given or assembly.netlist
    if path is None:
        return None, []
    if not any(connection.bottom is not None for connection in assembly.connections):
        if given is None:
            return None, [f"netlist {path}: not compared, the assembly declares no connections"]
        raise AdkError(
            f"{assembly.path}: a netlist is compared with the nets across the connections "
            "(an assembly file's 'connections', a 3Dblox stack's 'Connection'), and this "
            "assembly declares none"
        )
    if given is None and not os.path.isfile(path):
        span = assembly.netlist_span
        where = f"{span.file}:{span.line}:{span.column}" if span else assembly.path
        raise AdkError(f"{where}: no such netlist file {path}")
    return load_netlist(path), []


def _stack_rules(assembly: Assembly, rules: list[str] | None, netlist: bool) -> list[str]:
    """The stack's own assertions to check (3DBLOX.*): all of them, or those ``rules``
    names; a 3DBLOX id the stack has not is an error."""
    known = stack_rule_ids(assembly) + ([NETLIST_RULE] if netlist else [])
    if not rules:
        return known
    asked = [rule for rule in rules if rule.startswith(PREFIX)]
    unknown = [rule for rule in asked if rule not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise AdkError(
            f"{assembly.path}: no rule {', '.join(map(repr, unknown))} in the stack ({listed})"
        )
    return asked


def _add_stack_checks(
    result: RunResult,
    assembly: Assembly,
    assembled: Assembled,
    rules: list[str],
    netlist: Netlist | None,
) -> None:
    """The stack's connections and path assertions, and the netlist, as rules after the
    deck's."""
    outcomes = check_stack(assembly, assembled, rules) if rules else []
    if netlist is not None and NETLIST_RULE in rules:
        compared, warnings = check_netlist(assembly, assembled, netlist)
        outcomes.append(compared)
        result.warnings += warnings
    result.outcomes += outcomes
    result.deck = replace(result.deck, rules=[*result.deck.rules, *(o.rule for o in outcomes)])


def _part_deck(part: Part, roots: list[str]) -> Deck:
    assert part.deck is not None
    deck = builder.load_deck(resolve_deck(part.deck), checks.specs(), roots)
    if part.layer_map is None:
        return deck
    return replace(deck, layers=apply_layer_map(deck, part.layer_map))


def _empty_deck(assembly: Assembly) -> Deck:
    return Deck(assembly.name, f"assembly {assembly.name}", "", "um", {}, {}, [], assembly.path, [])


# ---------------------------------------------------------------- parts in markers
def _named(outcome: RuleOutcome, deck: Deck, assembled: Assembled) -> RuleOutcome:
    """The outcome with each marker's text naming the parts it involves: those whose
    layers the rule checks (its layers and parameters, not the region ``within`` keeps it
    to) and whose extent in the package the marker touches (all of them for a marker
    touching none)."""
    check = outcome.rule.check
    checked = list(check.layers) + [
        value for key, value in check.params if key != "within" and isinstance(value, LAYER_EXPRS)
    ]
    names = [name for expr in checked for name in layer_names(expr)]
    drawn = drawn_layers(names, deck.layers)
    parts = list(dict.fromkeys(name.split(".", 1)[0] for name in drawn if "." in name))
    if not parts:
        return outcome
    markers = []
    for marker in outcome.markers:
        box = marker.shape.bbox()
        touched = [p for p in parts if assembled.extents[p].touches(box)] or parts
        markers.append(replace(marker, text=f"{marker.text} [{', '.join(touched)}]"))
    return replace(outcome, markers=markers)


# ---------------------------------------------------------------- parts' own decks
def _add_part_run(result: RunResult, assembled: Assembled, part: Part, deck: Deck) -> None:
    """Run ``deck`` on the part's own layout and add its outcomes, warnings and notes to
    ``result``, markers moved into the package."""
    own = run_deck(deck, deck.layers, assembled.sources[part.name], flat_markers=True)
    trans = assembled.trans[part.name]
    for outcome in own.outcomes:
        rule = replace(
            outcome.rule,
            id=f"{part.name}:{outcome.rule.id}",
            description=f"{part.name}: {outcome.rule.description}",
        )
        markers = [_moved(marker, trans, part.name) for marker in outcome.markers]
        result.outcomes.append(
            replace(
                outcome,
                rule=rule,
                markers=sorted(markers, key=Marker.sort_key),
                missing=[f"{part.name}:{n}" for n in outcome.missing],
                optional_missing=[f"{part.name}:{n}" for n in outcome.optional_missing],
            )
        )
        result.deck = replace(result.deck, rules=[*result.deck.rules, rule])
    result.missing_layers += [f"{part.name}:{n}" for n in own.missing_layers]
    result.optional_missing += [f"{part.name}:{n}" for n in own.optional_missing]
    result.warnings += [
        f"part {part.name} ({os.path.basename(part.layout)}): {w}" for w in own.warnings
    ]
    result.notes += [f"part {part.name} ({os.path.basename(part.layout)}): {n}" for n in own.notes]


def _moved(marker: Marker, trans: kdb.DCplxTrans, part: str) -> Marker:
    """A marker of a part's own layout, in the package."""
    shape = marker.shape.transformed(trans)
    return Marker(shape, marker.measured, f"{marker.text} [{part}]", nets=marker.nets)
