"""The rules of a lambdapdk interposer stackup as a KLayout DRC script, written here from the
public rule values (``stackups.py``), each check as the original deck writes it: layers as
unions of their datatypes, ``flat`` mode, one report category per original category, two
checks sent to one category where the original sends them so.

    klayout -b -r deck.drc -rd input=LAYOUT -rd report=OUT.lyrdb [-rd threads=2]
"""

from __future__ import annotations

from benchmarks.lambdapdk.stackups import DATATYPES, OUTLINE, Rule, Stackup, rules


def drc_script(stack: Stackup) -> str:
    """The whole script: header, layers, then every check of ``rules(stack)``."""
    lines = [
        f"# lambdapdk interposer {stack.name}: the original deck's checks, written from its values",
        "source($input)",
        f'report("lambdapdk {stack.name}", $report)',
        "threads(($threads || 2).to_i)",
        "flat",
        f"outline = polygons({OUTLINE[0]}, {OUTLINE[1]})",
    ]
    for layer in stack.layers():
        parts = " + ".join(f"polygons({layer.number}, {datatype})" for datatype in DATATYPES)
        lines.append(f"{layer.name} = {parts}")
    for rule in rules(stack):
        lines += _check(rule)
    return "\n".join(lines) + "\n"


def _check(rule: Rule) -> list[str]:
    """One check: computed, written to its category, forgotten (as the original does, so
    that memory holds one check's result at a time)."""
    return [
        f"result = {_expression(rule)}",
        f'result.output("{rule.category}", "{_description(rule)}")',
        "result.forget",
    ]


def _expression(rule: Rule) -> str:
    layer, nm = rule.layer, f"{rule.value}.nm"
    return {
        "ongrid": f"{layer}.ongrid({nm})",
        "outline": f"{layer}.not_inside(outline.sized(-{nm}))",
        "min_width": f"{layer}.drc(width(euclidian) < {nm})",
        "min_space": f"{layer}.drc(space(euclidian) < {nm})",
        "max_width": f"{layer}.drc(width(euclidian) > {nm})",
        "via_shape": f"{layer}.drc(width(euclidian) != {nm})",
        "not_inside": f"{layer}.not_inside({rule.other})",
        "enclosed": f"{layer}.enclosed({rule.other}, {nm}).polygons()",
    }[rule.kind]


def _description(rule: Rule) -> str:
    return {
        "ongrid": f"{rule.layer} on grid: {rule.value} nm",
        "outline": f"{rule.layer} inside outline: {rule.value} nm",
        "min_width": f"{rule.layer} min. width: {rule.value} nm",
        "min_space": f"{rule.layer} min. space: {rule.value} nm",
        "max_width": f"{rule.layer} max. width: {rule.value} nm",
        "via_shape": f"{rule.layer} shape: {rule.value} nm x {rule.value} nm",
        "not_inside": f"{rule.layer} inside {rule.other}",
        "enclosed": f"{rule.layer} {rule.other} enclosure: {rule.value} nm",
    }[rule.kind]
