"""The bump maps of the example assemblies against the bumps drawn: every part's map agrees
with its layout, clean or broken; a row of bumps left out of a layout whose map still
lists it, and a wrong net label drawn on a bump, are found where they lie."""

from __future__ import annotations

import shutil
from pathlib import Path

import klayout.db as kdb
import pytest

from adk.assembly import AssemblyRun, check_assembly, load_assembly
from adk.examples.assembly import ASSEMBLY_FILE, EXAMPLES, write_assembly_example

NET = "_net"


def map_deck(folder: Path) -> Path:
    """A deck of one bump_map rule per bump map of the assembly in ``folder``."""
    assembly = load_assembly(str(folder / ASSEMBLY_FILE))
    lines = ["deck maps", "units um"]
    for part in assembly.parts:
        for net in part.bump_maps:
            bumps = net[: -len(NET)] if net.endswith(NET) else _bump_layer(part.layers)
            rule = f"bump_map({part.name}.{bumps}, map {part.name}.{net}) <= 1 um"
            lines.append(f'rule {part.name}.{net}.MAP "{part.name} map" : {rule}')
    path = folder / "maps.adk"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _bump_layer(layers: dict) -> str:
    """The layer a part's one bump map describes: its bumps, or a carrier's pads."""
    return "bump" if "bump" in layers else "pad"


def check_maps(folder: Path) -> AssemblyRun:
    return check_assembly(str(folder / ASSEMBLY_FILE), str(map_deck(folder)))


def fired(run: AssemblyRun) -> dict[str, list[str]]:
    return {o.rule.id: [m.text for m in o.markers] for o in run.result.outcomes if o.markers}


@pytest.mark.parametrize("broken", [False, True], ids=["clean", "broken"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_bump_map_of_the_examples_agrees_with_its_layout(name, broken, tmp_path):
    write_assembly_example(name, str(tmp_path), broken)
    run = check_maps(tmp_path)
    maps = [o for o in run.result.outcomes if not o.rule.id.startswith("3DBLOX.")]
    assert len(maps) >= 6  # the stack's connections, broken by a turned die, are not maps
    assert all(o.status == "pass" for o in maps), fired(run)


@pytest.fixture(scope="module")
def asic_without_its_top_row(tmp_path_factory) -> Path:
    """The clean FOCoS-Bridge assembly with the broken one's ASIC layout: the top row of
    its bumps over BR1 is not drawn, and the ASIC's bump map still lists it."""
    root = tmp_path_factory.mktemp("maps")
    clean, broken = root / "clean", root / "broken"
    write_assembly_example("focos_bridge", str(clean))
    write_assembly_example("focos_bridge", str(broken), broken=True)
    shutil.copy(broken / "asic.gds", clean / "asic.gds")
    return clean


def test_a_row_of_bumps_missing_from_the_layout_is_found_at_its_entries(asic_without_its_top_row):
    run = check_maps(asic_without_its_top_row)
    missing = fired(run)
    assert list(missing) == ["ASIC.net.MAP"]
    nets = ["VSS"] + [f"H1_150{k}" for k in range(1, 6)]
    assert sorted(missing["ASIC.net.MAP"]) == sorted(
        f"map entry {net} (ASIC.net) has no ASIC.bump within 1 um [ASIC]" for net in nets
    )
    outcome = next(o for o in run.result.outcomes if o.markers)
    footprint = run.assembled.extents["ASIC"]
    assert all(footprint.contains(m.shape.bbox().center()) for m in outcome.markers)


def test_a_net_label_on_a_bump_is_read_against_the_map(tmp_path):
    write_assembly_example("focos_bridge", str(tmp_path))
    header, first, second = (tmp_path / "asic_bumps.csv").read_text().splitlines()[:3]
    assert header.split(",") == ["name", "net", "x", "y"]
    layout = kdb.Layout()
    layout.read(str(tmp_path / "asic.gds"))
    shapes = layout.top_cell().shapes(layout.layer(30, 0))
    for row, net in ((first, "WRONG"), (second, second.split(",")[1])):
        _, _, x, y = row.split(",")
        shapes.insert(kdb.DText(net, float(x), float(y)))
    layout.write(str(tmp_path / "asic.gds"))
    wrong = first.split(",")[1]
    assert fired(check_maps(tmp_path)) == {
        "ASIC.net.MAP": [
            f"label WRONG (ASIC.bump) disagrees with map entry {wrong} (ASIC.net) [ASIC]"
        ]
    }
