"""``adk check-assembly``: exit codes and one-line errors as ``adk check`` has them, the
parts' own decks, and the assembled layout written for viewing."""

from __future__ import annotations

import json

import klayout.db as kdb
import pytest

from adk.assembly import check_assembly
from adk.cli import main
from adk.examples.assembly import ASSEMBLY_FILE, write_assembly_example
from adk.layout.bumps import centres


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("focos")
    write_assembly_example("focos_bridge", str(folder))
    return folder


def assembly_with(clean, tmp_path, edit) -> str:
    """The clean example's assembly file, edited, beside the example's files."""
    text = edit((clean / ASSEMBLY_FILE).read_text())
    path = clean / f"{tmp_path.name}.yaml"
    path.write_text(text)
    return str(path)


def _without_stack(text: str) -> str:
    """The assembly file without its connections and paths (they come last)."""
    return text.split("\nconnections:")[0] + "\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check-assembly", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_assembly_exits_0_and_lists_every_rule(clean, tmp_path, capsys):
    code, out, _ = run(capsys, str(clean / ASSEMBLY_FILE), "-o", str(tmp_path / "r.lyrdb"))
    assert code == 0
    assert "BR.SPAN" in out and "3DBLOX.PATH.Path2" in out
    assert "46 rules, 0 failed" in out  # the deck's 37, 7 connections and 2 paths


def test_json_names_the_parts_in_every_marker(clean, tmp_path, capsys):
    broken = tmp_path / "broken"
    write_assembly_example("focos_bridge", str(broken), broken=True)
    report = tmp_path / "r.lyrdb"
    code, out, _ = run(capsys, str(broken / ASSEMBLY_FILE), "--format", "json", "-o", str(report))
    assert code == 1
    rules = {rule["id"]: rule for rule in json.loads(out)["rules"]}
    (marker,) = rules["BR.SPAN"]["markers"]
    assert marker["text"] == "dies 1 != 2 [BR2, ASIC, HBM2]"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("rotation: 180", "rotation: 45"), ":50:15: error: 'rotation' must be"),
        (lambda t: t.replace("layout: hbm.gds", "layout: nothing.gds", 1), "error: part 'HBM1': "),
        (lambda t: t.replace("at: [3500, 1000]", "at: [3500.0004, 1000]"), "off the database grid"),
        (lambda t: _without_stack(t.replace("deck: assembly.adk\n", "")), "nothing to check"),
    ],
)
def test_bad_input_exits_2_with_the_file_and_line(clean, tmp_path, capsys, edit, expected):
    code, _, err = run(
        capsys, assembly_with(clean, tmp_path, edit), "-o", str(tmp_path / "r.lyrdb")
    )
    assert code == 2
    assert expected in err, err


def test_a_deck_naming_an_unknown_part_layer_exits_2_before_any_layout_is_read(
    clean, tmp_path, capsys
):
    deck = tmp_path / "bad.adk"
    deck.write_text("rule X : width(HBM3.outline) >= 1 um\nrule Y : width(HBM1.bumps) >= 1 um\n")
    path = assembly_with(
        clean, tmp_path, lambda t: t.replace("layout: fom.gds", "layout: gone.gds")
    )
    code, _, err = run(capsys, path, "--deck", str(deck), "-o", str(tmp_path / "r.lyrdb"))
    assert code == 2
    assert "bad.adk:1:16: error: unknown part 'HBM3': the assembly has no such part" in err
    assert "bad.adk:2:16: error: part 'HBM1' has no layer 'bumps' (did you mean 'bump'?)" in err
    assert "gone.gds" not in err


def test_the_assembled_layout_needs_a_layout_suffix(clean, tmp_path, capsys):
    argv = [str(clean / ASSEMBLY_FILE), "-o", str(tmp_path / "r.lyrdb"), "--write-assembled"]
    code, _, err = run(capsys, *argv, str(tmp_path / "a.txt"))
    assert code == 2 and "must end with .gds or .oas" in err


def test_a_missing_assembly_file_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, str(tmp_path / "none.yaml"))
    assert code == 2
    assert (
        err.strip()
        == f"adk: error: {tmp_path / 'none.yaml'}: cannot read assembly: No such file or directory"
    )


def test_a_part_s_own_deck_runs_on_the_part_its_markers_moved_into_the_package(clean, tmp_path):
    (clean / "asic.adk").write_text(
        'layer UBUMP = 30/0\nrule UB.P "micro-bump pitch" : pitch(UBUMP) >= 45 um\n'
    )
    path = assembly_with(
        clean,
        tmp_path,
        lambda t: t.replace(
            "bump_map: asic_bumps.csv", "bump_map: asic_bumps.csv\n    deck: asic.adk"
        ),
    )
    run = check_assembly(path)
    outcome = next(o for o in run.result.outcomes if o.rule.id == "ASIC:UB.P")
    assert outcome.rule.description == "ASIC: micro-bump pitch"
    # two die-to-die fields of 6 x 16 bumps at 40 um: 2 x (5 x 16 + 6 x 15) pairs
    assert len(outcome.markers) == 2 * (5 * 16 + 6 * 15)
    bump = run.assembled.layers["ASIC"]["bump"]
    layout, top = run.assembled.layout, run.assembled.top
    placed = {tuple(p) for p in centres(layout, top, layout.find_layer(bump.layer, 0)).round(6)}
    for marker in outcome.markers:
        assert isinstance(marker.shape, kdb.DEdge)
        assert (round(marker.shape.x1, 6), round(marker.shape.y1, 6)) in placed
        assert (round(marker.shape.x2, 6), round(marker.shape.y2, 6)) in placed
        assert marker.text == "pitch 40 um < 45 um [ASIC]"


def test_example_assembly_writes_a_folder(tmp_path, capsys):
    assert main(["example-assembly", "interposer", str(tmp_path / "ip")]) == 0
    out = capsys.readouterr().out
    assert "wrote 12 files" in out
    assert (
        main(
            [
                "check-assembly",
                str(tmp_path / "ip" / ASSEMBLY_FILE),
                "-q",
                "-o",
                str(tmp_path / "r.lyrdb"),
            ]
        )
        == 0
    )


def test_the_parts_decks_alone_need_no_assembly_deck(clean, tmp_path):
    (clean / "fom.adk").write_text('layer PAD = 20/0\nrule PAD.A "pad area" : area(PAD) >= 1 mm2\n')

    def edit(text: str) -> str:
        text = _without_stack(text.replace("deck: assembly.adk\n", ""))
        return text.replace("bump_map: fom_bumps.csv", "bump_map: fom_bumps.csv\n    deck: fom.adk")

    result = check_assembly(assembly_with(clean, tmp_path, edit)).result
    assert [o.rule.id for o in result.outcomes] == ["FOM:PAD.A"]
    assert len(result.outcomes[0].markers) == 64 + 64 + 100  # the power pads of the three dies


def test_the_command_lists_the_examples_there_are():
    from adk.cli import assembly_command
    from adk.examples import assembly

    assert assembly_command.EXAMPLES == assembly.EXAMPLES
