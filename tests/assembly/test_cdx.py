"""CDX pin maps (CDXML): every construct read, every fault with its line and column, the
writer's files read back as they were, and an assembly whose parts' bump maps are CDX
checked exactly as with their CSV maps, from an assembly file and from a 3Dblox stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adk.assembly import bumpmap as bumpmap_module
from adk.assembly import cdx as cdx_module
from adk.assembly import check_assembly, load_assembly
from adk.assembly.bumpmap import MAX_ERRORS, load_bump_map, parse_bmap, parse_bump_map
from adk.assembly.cdx import cdx_text, parse_cdx, write_cdx
from adk.assembly.threedblox import write_3dblox
from adk.cli import main
from adk.errors import AdkError, DeckError
from adk.examples.assembly import ASSEMBLY_FILE, DECK_FILE, write_assembly_example

# every construct the reader knows, and the ones it passes over
CONSTRUCTS = """\
<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- a chiplet's pins; the declared encoding is overridden: the file is UTF-8 -->
<?tool ignored?>
<cdxml xmlns="urn:example:cdxml" xmlns:c="urn:example:c" revision="2">
  <id>U1</id>
  <mech>
    <io><pin><pnum>M1</pnum><pname>NOT_READ</pname><position><x>0</x><y>0</y></position></pin></io>
  </mech>
  <io>
    <pin kind="signal">
      <pnum>A1</pnum>
      <pname>GPOUT</pname>
      <sig_type>Digital Output</sig_type>
      <netlist_name>U1_GPOUT</netlist_name>
      <position><x>-500</x><y>500</y></position>
      <diameter><typ>300</typ></diameter>
    </pin>
    <pin>
      <pnum> A2 </pnum>
      <pname>SDA</pname>
      <position>
        <x>1.5</x>
        <y>-2e-1</y>
        <unit>mm</unit>
      </position>
    </pin>
    <c:pin>
      <c:pnum><![CDATA[B&1]]></c:pnum>
      <netlist_name>R&amp;D</netlist_name>
      <position><unit>NM</unit><y>+250</y><x>.5</x></position>
    </c:pin>
    <pin><pnum>B2</pnum><pname>VDD</pname><position><x>2</x><y>1</y><unit>mil</unit></position></pin>
    <pin><pnum>C1</pnum><pname>V1</pname><position><x>3</x><y>0</y><unit>\u00b5m</unit></position></pin>
    <pin><pnum>C2</pnum><pname>V2</pname><position><x>4</x><y>0</y><unit>micron</unit></position></pin>
  </io>
  <elect><esd><type>HBM</type></esd></elect>
</cdxml>
"""


def test_every_construct_reads():
    bumps = parse_cdx(CONSTRUCTS, "chiplet.xml")
    assert bumps.names == ["A1", "A2", "B&1", "B2", "C1", "C2"]
    assert bumps.nets == ["U1_GPOUT", "SDA", "R&D", "VDD", "V1", "V2"]
    assert bumps.points.tolist() == [
        [-500.0, 500.0],
        [1500.0, -200.0],
        [0.0005, 0.25],
        [50.8, 25.4],
        [3.0, 0.0],
        [4.0, 0.0],
    ]


def test_a_cdx_file_is_read_as_a_bump_map_by_its_suffix(tmp_path):
    for name in ("pins.xml", "pins.CDX"):
        path = tmp_path / name
        path.write_text(CONSTRUCTS, encoding="utf-8")
        assert load_bump_map(str(path)).names == ["A1", "A2", "B&1", "B2", "C1", "C2"]


def _pins(*pins: str) -> str:
    return "<cdxml>\n  <io>\n" + "".join(f"    {pin}\n" for pin in pins) + "  </io>\n</cdxml>\n"


def _pin(name: str = "A1", net: str = "VSS", x: str = "1", y: str = "2", more: str = "") -> str:
    position = f"<position><x>{x}</x><y>{y}</y>{more}</position>"
    return f"<pin><pnum>{name}</pnum><pname>{net}</pname>{position}</pin>"


GOOD = _pin()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.xml:1:1: malformed XML: no element found"),
        ("<cdxml><io>\n<pin></io></cdxml>", "p.xml:2:8: malformed XML: mismatched tag"),
        ("<cdxml>&nbsp;</cdxml>", "p.xml:1:8: malformed XML: undefined entity"),
        ("<cdxml/><cdxml/>", "p.xml:1:9: malformed XML: junk after document element"),
        ("<cdxml><c:io/></cdxml>", "p.xml:1:8: malformed XML: unbound prefix"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE cdxml SYSTEM "file:///etc/passwd">\n<cdxml/>',
            "p.xml:2:1: <!DOCTYPE> refused: a CDX pin map is read without DTDs or entities",
        ),
        (
            '<cdxml>\n  <!ENTITY lol "lol">\n</cdxml>',
            "p.xml:2:3: <!ENTITY> refused: a CDX pin map is read without DTDs or entities",
        ),
        ("<pins/>", "p.xml:1:1: the root element is <pins>; a CDX pin map's is <cdxml>"),
        (
            "<cdxml><id>U1</id></cdxml>",
            "p.xml:1:1: no pins: <cdxml> holds no <io> of <pin> elements",
        ),
        ("<cdxml>\n  <io/>\n</cdxml>", "p.xml:2:3: no pins: <io> holds no <pin>"),
        (
            f"<cdxml>\n<io>{GOOD}</io>\n<io/></cdxml>",
            "p.xml:3:1: <io> given twice (first on line 2)",
        ),
        (
            _pins("<pin><pname>VSS</pname><position><x>1</x><y>2</y></position></pin>"),
            "p.xml:3:5: <pin> without <pnum>: its bump name",
        ),
        (
            _pins("<pin><pnum>A1</pnum><position><x>1</x><y>2</y></position></pin>"),
            "p.xml:3:5: pin 'A1' has no <netlist_name> nor <pname>: its net",
        ),
        (
            _pins("<pin><pnum>A1</pnum><pname>VSS</pname></pin>"),
            "p.xml:3:5: pin 'A1' has no <position>",
        ),
        (
            _pins("<pin><pnum>A1</pnum><pname>VSS</pname><position><y>2</y></position></pin>"),
            "p.xml:3:43: pin 'A1': <position> has no <x>",
        ),
        (_pins(_pin(x="one")), "p.xml:3:56: <x> must be a number, not 'one'"),
        (_pins(_pin(y=" nan ")), "p.xml:3:65: <y> must be a number, not 'nan'"),
        (_pins(_pin(x="1e999")), "p.xml:3:56: <x> must be a number, not '1e999'"),
        (_pins(_pin(x="1_000")), "p.xml:3:56: <x> must be a number, not '1_000'"),
        (_pins(_pin(x="")), "p.xml:3:53: <x> must be a number, not ''"),
        (
            _pins(_pin(y="1001", more="<unit>mm</unit>")),
            "p.xml:3:64: <y> must lie within 1 m of the origin, not 1001 mm",
        ),
        (
            _pins(_pin(more="<unit>inch</unit>")),
            "p.xml:3:75: unknown unit 'inch' in <unit>: expected nm, um, mm or mil",
        ),
        (
            _pins(_pin(more="<units>mm</units>")),
            "p.xml:3:69: unknown element <units> in <position>; expected x, y, unit",
        ),
        (
            _pins(_pin(more="<x>3</x>")),
            "p.xml:3:69: <x> given twice in a <position> (first on line 3)",
        ),
        (
            _pins(GOOD.replace("</pnum>", "</pnum><pnum>A2</pnum>")),
            "p.xml:3:25: <pnum> given twice in a <pin> (first on line 3)",
        ),
        (_pins(_pin(name="A 1")), "p.xml:3:16: <pnum> must be a word without spaces, not 'A 1'"),
        (
            _pins(GOOD.replace("<pname>VSS</pname>", "<netlist_name>\n</netlist_name>")),
            "p.xml:3:25: <netlist_name> must be a word without spaces, not ''",
        ),
        (
            _pins(GOOD, "<!-- again -->", "<pin>\n<pnum>\n  A1" + GOOD[len("<pin><pnum>A1") :]),
            "p.xml:7:3: pin 'A1' is listed twice (first on line 3)",
        ),
    ],
)
def test_each_fault_has_its_message_line_and_column(text, expected):
    with pytest.raises(DeckError) as caught:
        parse_cdx(text, "p.xml")
    first = caught.value.diagnostics[0]
    assert f"{first.file}:{first.line}:{first.column}: {first.message}" == expected


def test_the_places_do_not_depend_on_how_the_text_is_fed_to_the_parser(monkeypatch):
    text = CONSTRUCTS.replace("<x>.5</x>", "<x>\n  .5.</x>")
    with pytest.raises(DeckError) as whole:
        parse_cdx(text, "p.xml")
    monkeypatch.setattr(cdx_module, "CHUNK", 7)
    with pytest.raises(DeckError) as chunked:
        parse_cdx(text, "p.xml")
    assert chunked.value.diagnostics == whole.value.diagnostics
    (fault,) = whole.value.diagnostics
    assert (fault.line, fault.column, fault.message) == (31, 3, "<x> must be a number, not '.5.'")


def test_every_fault_of_a_file_is_reported_at_once_up_to_a_limit():
    text = _pins(_pin(x="a"), _pin(name="B1", more="<unit>ft</unit>"), GOOD, GOOD)
    with pytest.raises(DeckError) as caught:
        parse_cdx(text, "p.xml")
    assert [(d.line, d.message) for d in caught.value.diagnostics] == [
        (3, "<x> must be a number, not 'a'"),
        (4, "unknown unit 'ft' in <unit>: expected nm, um, mm or mil"),
        (6, "pin 'A1' is listed twice (first on line 5)"),
    ]
    assert "    " + _pin(x="a") in caught.value.render()  # the line shown under its fault
    many = _pins(*(_pin(name=f"P{k}", x="?") for k in range(3 * MAX_ERRORS)))
    with pytest.raises(DeckError) as caught:
        parse_cdx(many, "p.xml")
    assert len(caught.value.diagnostics) == MAX_ERRORS


def test_the_file_is_utf8_within_the_bump_maps_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "pins.xml"
    path.write_bytes(_pins(GOOD).replace("VSS", "V\xe9").encode("latin-1"))
    with pytest.raises(DeckError) as caught:
        load_bump_map(str(path))
    assert caught.value.diagnostics[0].render() == f"{path}:3:1: error: bump map is not UTF-8 text"
    monkeypatch.setattr(bumpmap_module, "MAX_BYTES", 64)
    path.write_text(_pins(GOOD))
    with pytest.raises(AdkError, match="bump map over the limit of 0 MB"):
        load_bump_map(str(path))


# ---------------------------------------------------------------- writing
CSV = "name,net,x,y\nD_0_0,VSS,160,1700\nD_1_0,H1_1,200.125,-0.001\nE<&>,a&b,1e-3,123456.789\n"


def test_a_csv_bump_map_round_trips_through_cdx(tmp_path):
    bumps = parse_bump_map(CSV, "b.csv")
    path = tmp_path / "b.xml"
    write_cdx(bumps, str(path))
    again = load_bump_map(str(path))
    assert (again.names, again.nets) == (bumps.names, bumps.nets)
    assert again.points.tolist() == bumps.points.tolist()
    assert cdx_text(again) == path.read_text(encoding="utf-8")
    assert "<pnum>E&lt;&amp;&gt;</pnum>" in path.read_text(encoding="utf-8")


def test_a_3dblox_bump_map_round_trips_through_cdx():
    bumps = parse_bmap("b1 BUMP 10 10 A A\nb2 BUMP 30.5 -10 - B\n", "top.bmap")
    again = parse_cdx(cdx_text(bumps), "top.xml")
    assert (again.names, again.nets) == (bumps.names, bumps.nets)
    assert again.points.tolist() == bumps.points.tolist()


def test_writing_into_a_missing_folder_is_one_line(tmp_path):
    with pytest.raises(AdkError, match="cannot write the CDX pin map: No such file"):
        write_cdx(parse_bump_map(CSV, "b.csv"), str(tmp_path / "none" / "b.xml"))


# ---------------------------------------------------------------- checking
def _markers(run) -> list[tuple[str, str, str]]:
    return sorted((o.rule.id, m.text, str(m.shape)) for o in run.result.outcomes for m in o.markers)


def _to_cdx(folder: Path, text: str, suffix: str, written: str) -> str:
    """``text`` with every bump map it names (``*.suffix``) written as CDX beside it."""

    def convert(match: re.Match) -> str:
        name = match.group(1)
        target = f"{name}.{written}"
        write_cdx(load_bump_map(str(folder / f"{name}.{suffix}")), str(folder / target))
        return target

    return re.sub(rf"([A-Za-z0-9_]+)\.{suffix}\b", convert, text)


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cdx")
    write_assembly_example("focos_bridge", str(folder), broken=True)
    return folder


def test_an_assembly_with_cdx_pin_maps_gives_the_markers_of_its_csv_maps(broken):
    text = (broken / ASSEMBLY_FILE).read_text(encoding="utf-8")
    cdx = broken / "cdx.yaml"
    cdx.write_text(_to_cdx(broken, text, "csv", "xml"), encoding="utf-8")
    assert all(
        p.endswith(".xml")
        for part in load_assembly(str(cdx)).parts
        for p in part.bump_maps.values()
    )
    deck = str(broken / DECK_FILE)
    expected = _markers(check_assembly(str(broken / ASSEMBLY_FILE), deck))
    assert expected and any(rule.endswith(".NET") for rule, *_ in expected)
    assert _markers(check_assembly(str(cdx), deck)) == expected


def test_a_3dblox_region_may_name_a_cdx_pin_map(tmp_path):
    write_assembly_example("interposer", str(tmp_path), True, per_layer=True)
    yaml_path = tmp_path / ASSEMBLY_FILE
    written = write_3dblox(load_assembly(str(yaml_path)), str(tmp_path / "x"), "stack")
    definitions = Path(next(p for p in written if p.endswith(".3dbv")))
    text = definitions.read_text(encoding="utf-8")
    definitions.write_text(_to_cdx(definitions.parent, text, "bmap", "cdx"), encoding="utf-8")
    assert ".bmap" not in definitions.read_text(encoding="utf-8")
    deck = str(tmp_path / DECK_FILE)
    expected = _markers(check_assembly(str(yaml_path), deck))
    assert expected and _markers(check_assembly(written[-1], deck)) == expected


def test_a_fault_in_a_part_s_cdx_pin_map_exits_2_with_its_place(broken, tmp_path, capsys):
    (broken / "bad.xml").write_text(_pins(GOOD, _pin(name="A2", x="1.0.0")), encoding="utf-8")
    text = (broken / ASSEMBLY_FILE).read_text(encoding="utf-8")
    path = broken / "bad.yaml"
    path.write_text(text.replace("hbm2_bumps.csv", "bad.xml"), encoding="utf-8")
    code = main(["check-assembly", str(path), "-o", str(tmp_path / "r.lyrdb"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{broken / 'bad.xml'}:4:56: error: <x> must be a number, not '1.0.0'" in err, err


def test_the_documented_example_reads():
    docs = Path(__file__).parents[2] / "docs" / "assembly.md"
    section = docs.read_text(encoding="utf-8").split("### CDX pin maps", 1)[1]
    example = section.split("```xml\n", 1)[1].split("```", 1)[0]
    bumps = parse_cdx(example, "hbm1.xml")
    assert (bumps.names, bumps.nets) == (["D_0_0", "D_1_0"], ["VSS", "H1_1"])
    assert bumps.points.tolist() == [[160.0, 1700.0], [200.0, 1700.0]]
