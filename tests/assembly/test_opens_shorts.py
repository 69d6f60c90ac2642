"""Opens and shorts across the interfaces of the example assemblies: none in the clean ones;
the two signals the broken FOCoS-Bridge swaps in the ASIC's map are two opens, a ground
entry moved onto a signal pad a short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adk.assembly import check_assembly
from adk.examples.assembly import ASSEMBLY_FILE, EXAMPLES, write_assembly_example

# each nets rule of an example deck, read again as opens and shorts
NETS_RULE = re.compile(r"^rule (\S+) \"[^\"]*\" : nets\((\S+), both (\S+), (within \S+)\) (.*)$")


def with_opens_shorts(folder: Path) -> Path:
    """The example deck in ``folder`` with an ``ID.OS`` rule beside each nets rule ``ID``."""
    deck = (folder / "assembly.adk").read_text(encoding="utf-8")
    added = [
        f'rule {found[1]}.OS "opens and shorts" : opens_shorts({found[2]}, {found[3]}, '
        f"{found[4]}) {found[5]}"
        for found in (NETS_RULE.match(line) for line in deck.splitlines())
        if found
    ]
    assert added
    path = folder / "os.adk"
    path.write_text(deck + "\n".join(added) + "\n", encoding="utf-8")
    return path


def opens_and_shorts(folder: Path) -> dict[str, list[str]]:
    run = check_assembly(str(folder / ASSEMBLY_FILE), str(with_opens_shorts(folder)))
    outcomes = [o for o in run.result.outcomes if o.rule.id.endswith(".OS")]
    assert outcomes and all(o.status in ("pass", "fail") for o in outcomes)
    return {o.rule.id: sorted(m.text for m in o.markers) for o in outcomes if o.markers}


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_clean_examples_have_no_opens_nor_shorts(name, tmp_path):
    write_assembly_example(name, str(tmp_path))
    assert opens_and_shorts(tmp_path) == {}


def test_two_swapped_signals_are_two_opens(tmp_path):
    write_assembly_example("focos_bridge", str(tmp_path), broken=True)
    found = opens_and_shorts(tmp_path)
    assert found["ASIC.BR2.NET.OS"] == [
        "open: net H2_1 (ASIC.net) lands on net H2_2 (BR2.net) [ASIC, BR2]",
        "open: net H2_2 (ASIC.net) lands on net H2_1 (BR2.net) [ASIC, BR2]",
    ]


def test_a_ground_bump_on_a_signal_pad_is_a_short(tmp_path):
    write_assembly_example("focos_bridge", str(tmp_path))
    bump_map = tmp_path / "asic_bumps.csv"
    text = bump_map.read_text(encoding="utf-8")
    assert text.count("\nR_1_0,H2_1,") == 1
    bump_map.write_text(text.replace("\nR_1_0,H2_1,", "\nR_1_0,VSS,"), encoding="utf-8")
    assert opens_and_shorts(tmp_path) == {
        "ASIC.BR2.NET.OS": [
            "short: net VSS (ASIC.net) lands on nets H2_1, VSS (BR2.net) [ASIC, BR2]"
        ]
    }


def _plant(bump_map: Path, replaced: list[tuple[str, str]], removed: str) -> None:
    text = bump_map.read_text(encoding="utf-8")
    for old, new in replaced:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text = re.sub(rf"\n{removed},[^\n]*", "", text)
    bump_map.write_text(text, encoding="utf-8")


def test_each_planted_defect_is_found_exactly(tmp_path):
    """Over BR2, in the ASIC's map: two signals swapped, a ground entry on a signal pad,
    a signal renamed to a net nowhere below, an entry removed. Each is found by the rules
    that see it, once, and nothing else is."""
    write_assembly_example("focos_bridge", str(tmp_path))
    swap = [("\nR_1_0,H2_1,", "\nR_1_0,H2_2,"), ("\nR_2_0,H2_2,", "\nR_2_0,H2_1,")]
    short = [("\nR_3_0,H2_3,", "\nR_3_0,VSS,")]
    open_ = [("\nR_4_1,H2_104,", "\nR_4_1,H2_999,")]
    _plant(tmp_path / "asic_bumps.csv", swap + short + open_, removed="R_5_1")
    run = check_assembly(str(tmp_path / ASSEMBLY_FILE), str(with_opens_shorts(tmp_path)))
    found = {o.rule.id: sorted(m.text for m in o.markers) for o in run.result.outcomes}
    assert {rule for rule, texts in found.items() if texts} == {
        "ASIC.BR2.NET.OS",
        "ASIC.BR2.NET",
        "ASIC.MAP",
    }
    where = " (ASIC.net) lands on "
    assert found["ASIC.BR2.NET.OS"] == [
        f"open: net H2_1{where}net H2_2 (BR2.net) [ASIC, BR2]",
        f"open: net H2_2{where}net H2_1 (BR2.net) [ASIC, BR2]",
        f"open: net H2_999{where}net H2_104 (BR2.net) [ASIC, BR2]",
        f"short: net VSS{where}nets H2_3, VSS (BR2.net) [ASIC, BR2]",
    ]
    # the removed entry: its pad's net has no bump of its net, its bump no entry
    missing = "net H2_105 of BR2.net lands on no ASIC.net of its net [ASIC, BR2]"
    assert missing in found["ASIC.BR2.NET"]
    assert found["ASIC.MAP"] == ["ASIC.bump with no ASIC.net entry within 1 um [ASIC]"]
    assert len(found["ASIC.BR2.NET"]) == 12


def test_3dblox_and_yaml_give_identical_opens_and_shorts(tmp_path):
    from adk.assembly import load_assembly
    from adk.assembly.threedblox import write_3dblox

    write_assembly_example("focos_bridge", str(tmp_path), broken=True, per_layer=True)
    deck = str(with_opens_shorts(tmp_path))
    yaml_path = tmp_path / ASSEMBLY_FILE
    stack = write_3dblox(load_assembly(str(yaml_path)), str(tmp_path / "x"), "stack")[-1]

    def markers(path: str) -> list[tuple[str, str, str]]:
        run = check_assembly(path, deck)
        return sorted(
            (o.rule.id, m.text, str(m.shape))
            for o in run.result.outcomes
            if o.rule.id.endswith(".OS")
            for m in o.markers
        )

    from_yaml = markers(str(yaml_path))
    assert from_yaml and markers(stack) == from_yaml
