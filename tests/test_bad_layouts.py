"""`adk check` on broken, odd and hostile layouts: one line naming the file and the fault
with exit code 2, or, for a valid but odd layout, the right markers (docs/robustness.md)."""

from __future__ import annotations

import ctypes
import faulthandler
import gzip
import itertools
import json
import os
import signal
import subprocess
import time

import klayout.db as kdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adk.errors import AdkError
from adk.examples.writer import write_example
from adk.layout import reader
from tests.hostile import (
    first_record_after_start,
    oasis_file,
    oasis_rectangle,
    one_line,
    run_adk,
    run_cli,
    write_deck,
    write_layout,
    write_repetition_bomb,
)

LIMIT = 2**31 - 1  # the largest 32-bit coordinate


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("bad")


@pytest.fixture(scope="module")
def deck(folder):
    return write_deck(folder)


@pytest.fixture(scope="module")
def example_gds(folder):
    path = str(folder / "example.gds")
    write_example("focos_bridge", path)
    return path


@pytest.fixture(scope="module")
def example_oas(folder):
    path = str(folder / "example.oas")
    write_example("focos_bridge", path)
    return path


def check(capfd, layout, deck, *more, isolated=None):
    """``adk check LAYOUT --deck DECK`` with the report beside the layout."""
    report = os.path.join(os.path.dirname(layout), "report.lyrdb")
    return run_cli(capfd, "check", layout, "--deck", deck, "-o", report, *more, isolated=isolated)


def fails_with(capfd, layout, deck, fault, isolated=None):
    status, out, err = check(capfd, layout, deck, isolated=isolated)
    line = one_line(err)
    assert status == 2 and out == ""
    assert line.startswith(f"adk: error: {layout}: ") and fault in line, line
    return line


def markers(out):
    """Rule id -> the texts of its markers, from a JSON summary."""
    return {rule["id"]: [m["text"] for m in rule["markers"]] for rule in json.loads(out)["rules"]}


def write_bytes(path, data):
    path.write_bytes(data)
    return str(path)


def read_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


# ---------------------------------------------------------------- not a layout
def test_a_zero_byte_file(folder, deck, capfd):
    fails_with(capfd, write_bytes(folder / "empty.gds", b""), deck, "an empty file (0 bytes)")


@pytest.mark.parametrize("cut", [3, 100, 0.25, 0.5, 0.75, -2])
def test_a_truncated_gds_names_the_fault(example_gds, folder, deck, capfd, cut):
    data = read_bytes(example_gds)
    size = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path = write_bytes(folder / f"cut{size}.gds", data[:size])
    fails_with(capfd, path, deck, "truncated")


@pytest.mark.parametrize("cut", [20, 0.5, -256])
def test_a_truncated_oasis_names_the_fault(example_oas, folder, deck, capfd, cut):
    data = read_bytes(example_oas)
    size = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path = write_bytes(folder / f"cut{size}.oas", data[:size])
    fails_with(capfd, path, deck, "cannot read layout")


@pytest.mark.parametrize(
    "text, begins",
    [
        (b"hello, this is not a layout\n", "'hello, this is n'"),
        (b"L CM1;\nB 10 10 0 0;\nE\n", "'L CM1;\\nB 10 10 0'"),  # CIF: KLayout would read it
    ],
)
def test_a_text_file_named_gds(folder, deck, capfd, text, begins):
    path = write_bytes(folder / "notes.gds", text)
    fails_with(capfd, path, deck, f"not a GDS or OASIS file: it begins with the text {begins}")


def test_a_cell_name_that_is_not_text(folder, deck, capfd):
    def draw(layout, top):
        pad = layout.create_cell("PAD")
        pad.shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 5000, 5000))
        top.insert(kdb.CellInstArray(pad.cell_index(), kdb.Trans()))

    data = read_bytes(write_layout(str(folder / "named.gds"), draw))
    path = write_bytes(folder / "misnamed.gds", data.replace(b"PAD", b"P\x80D"))
    fails_with(capfd, path, deck, "not UTF-8")


def test_an_oasis_with_an_unknown_record(example_oas, folder, deck, capfd):
    data = bytearray(read_bytes(example_oas))
    data[first_record_after_start(data)] = 0x7F  # record type 127: none such
    path = write_bytes(folder / "record.oas", bytes(data))
    fails_with(capfd, path, deck, "Invalid record type on global level 127")


def test_a_damaged_gzip_file(folder, deck, capfd):
    data = gzip.compress(b"\x00\x06\x00\x02" * 100)[:10] + b"garbage" * 10  # after the header
    fails_with(capfd, write_bytes(folder / "damaged.gds.gz", data), deck, "damaged gzip file")


def test_the_program_gives_the_same_lines(example_gds, folder, deck, capfd):
    # as above, with the check in a child process, as the adk program runs it
    cut = write_bytes(folder / "cut_in_child.gds", read_bytes(example_gds)[:5000])
    fails_with(capfd, cut, deck, "the file is truncated", isolated=True)
    text = write_bytes(folder / "text_in_child.gds", b"hello, this is not a layout\n")
    fails_with(capfd, text, deck, "not a GDS or OASIS file", isolated=True)
    fails_with(capfd, str(folder / "absent_in_child.gds"), deck, "no such", isolated=True)


# ---------------------------------------------------------------- files that are not there
def test_a_missing_file(folder, deck, capfd):
    fails_with(capfd, str(folder / "absent.gds"), deck, "no such layout file")


def test_a_folder(folder, deck, capfd):
    os.makedirs(folder / "a_folder.gds", exist_ok=True)
    fails_with(capfd, str(folder / "a_folder.gds"), deck, "a folder, not a layout file")


def test_a_fifo_is_refused_without_waiting_for_a_writer(folder, deck, capfd):
    path = str(folder / "pipe.gds")
    os.mkfifo(path)
    fails_with(capfd, path, deck, "not a regular file")


def _drop_root_file_access() -> None:
    """In the child before exec: root without the capabilities that let it read any file."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_an_unreadable_file(folder, deck, example_gds, capfd):
    path = folder / "locked.gds"
    path.write_bytes(read_bytes(example_gds))
    path.chmod(0)
    if os.geteuid() != 0:
        fails_with(capfd, str(path), deck, "cannot open the layout: Permission denied")
        return
    # root reads a file whatever its mode: check as root without that power, in a process
    try:
        done = run_adk("check", str(path), "--deck", deck, preexec_fn=_drop_root_file_access)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop root's file access here: {exc}")
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        f"adk: error: {path}: cannot open the layout: Permission denied"
    )


# ---------------------------------------------------------------- layouts without a top
def test_a_layout_with_no_cells(folder, deck, capfd):
    path = str(folder / "nocells.gds")
    kdb.Layout().write(path)
    fails_with(capfd, path, deck, "the layout has no cells")


def test_several_top_cells_without_top(folder, deck, capfd):
    layout = kdb.Layout()
    for name in ("B", "A", "C"):
        layout.create_cell(name)
    path = str(folder / "tops.gds")
    layout.write(path)
    fails_with(capfd, path, deck, "3 top cells (A, B, C); choose one with --top")


def test_a_recursive_hierarchy(folder, deck, capfd):
    # KLayout cannot write one, so the GDS records are written here: A places B, B places A
    def record(kind, data_type, payload=b""):
        return (4 + len(payload)).to_bytes(2, "big") + bytes([kind, data_type]) + payload

    def structure(name, child):
        reference = record(0x0A, 0) + record(0x12, 6, child) + record(0x10, 3, bytes(8))
        return (
            record(0x05, 2, bytes(24))
            + record(0x06, 6, name)
            + reference
            + record(0x11, 0)
            + record(0x07, 0)
        )

    units = bytes.fromhex("3e4189374bc6a7ef") + bytes.fromhex("3944b82fa09b5a54")
    head = record(0, 2, b"\x02\x58") + record(1, 2, bytes(24)) + record(2, 6, b"LB")
    data = head + record(3, 5, units) + structure(b"AA", b"BB") + structure(b"BB", b"AA")
    path = write_bytes(folder / "recursive.gds", data + record(0x04, 0))
    fails_with(capfd, path, deck, "a cell contains itself")


# ---------------------------------------------------------------- valid but odd
def _m2_square(layout, top):
    top.shapes(layout.layer(2, 0)).insert(kdb.Box(0, 0, 10000, 10000))


def test_an_empty_top_cell_checks_with_a_warning(folder, deck, capfd):
    path = write_layout(str(folder / "emptytop.gds"), lambda layout, top: None)
    status, out, err = check(capfd, path, deck, "--format", "json", "--allow-unchecked")
    assert status == 0
    assert err.startswith(f"adk: warning: {path}: the top cell 'TOP' holds no shapes\n")
    assert markers(out) == {"M1.W": [], "M1.S": [], "M2.W": []}


def test_zero_area_shapes_give_no_markers(folder, deck, capfd):
    def draw(layout, top):
        shapes = top.shapes(layout.layer(1, 0))
        shapes.insert(kdb.Box(0, 0, 0, 10000))  # no width
        shapes.insert(kdb.Path([kdb.Point(0, 20000), kdb.Point(9000, 20000)], 0))  # no width
        line = [kdb.Point(0, 30000), kdb.Point(5000, 30000), kdb.Point(9000, 30000)]
        shapes.insert(kdb.Polygon(line, True))  # its corners on one line
        shapes.insert(kdb.Box(20000, 0, 30000, 10000))  # a 10 um square beside them
        _m2_square(layout, top)

    path = write_layout(str(folder / "zero.gds"), draw)
    status, out, err = check(capfd, path, deck, "--format", "json")
    assert (status, err) == (0, "")
    assert markers(out) == {"M1.W": [], "M1.S": [], "M2.W": []}


def test_a_self_touching_polygon_is_at_width_and_space_0_where_it_touches(folder, deck, capfd):
    # two 5 um squares of one polygon, touching at the corner (5, 5)
    corners = [(0, 0), (5, 0), (5, 5), (10, 5), (10, 10), (5, 10), (5, 5), (0, 5)]

    def draw(layout, top):
        points = [kdb.Point(x * 1000, y * 1000) for x, y in corners]
        top.shapes(layout.layer(1, 0)).insert(kdb.SimplePolygon(points, True))
        _m2_square(layout, top)

    path = write_layout(str(folder / "touching.gds"), draw)
    status, out, _ = check(capfd, path, deck, "--format", "json")
    assert status == 1
    for rule in json.loads(out)["rules"]:
        for marker in rule["markers"]:
            left, bottom, right, top = marker["bbox_um"]
            assert marker["measured"] == 0 and left <= 5 <= right and bottom <= 5 <= top
    assert {rule: len(texts) for rule, texts in markers(out).items()} == {
        "M1.W": 1,
        "M1.S": 1,
        "M2.W": 0,
    }


def _planted_near(corner: int):
    """A 10 um square, a 1 um wide bar (width) 9 um to its left, a 1 um tall bar 0.5 um
    below it (width and space), all ending at ``corner``, and a 1 um wide bar at the
    opposite corner."""

    def draw(layout, top):
        shapes = top.shapes(layout.layer(1, 0))
        c = corner
        shapes.insert(kdb.Box(c - 10000, c - 10000, c, c))
        shapes.insert(kdb.Box(c - 20000, c - 10000, c - 19000, c))
        shapes.insert(kdb.Box(c - 10000, c - 11500, c, c - 10500))
        shapes.insert(kdb.Box(-c, -c, -c + 1000, -c + 10000))
        _m2_square(layout, top)

    return draw


def test_coordinates_near_the_limit_check_exactly(folder, deck, capfd):
    near = write_layout(str(folder / "near.gds"), _planted_near(reader.COORDINATE_LIMIT))
    status, out, err = check(capfd, near, deck, "--format", "json")
    assert (status, err) == (1, "")
    assert markers(out) == {
        "M1.W": ["width 1 um < 2 um"] * 3,
        "M1.S": ["space 0.5 um < 2 um"],
        "M2.W": [],
    }


def test_coordinates_at_the_32_bit_limit_are_refused_at_once(folder, deck, capfd):
    # checked as is, this layout makes KLayout's merge loop for ever
    path = write_layout(str(folder / "limit.gds"), _planted_near(LIMIT))
    started = time.monotonic()
    fails_with(capfd, path, deck, f"shapes reach {LIMIT} database units")
    assert time.monotonic() - started < 10


def test_a_20_level_hierarchy_checks_as_its_flat_copy(folder, deck, capfd):
    def draw(layout, top):
        cells = [top] + [layout.create_cell(f"LEVEL{depth}") for depth in range(1, 21)]
        cells[-1].shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 1000, 5000))
        cells[-1].shapes(layout.layer(1, 0)).insert(kdb.Box(2000, 0, 7000, 5000))
        for depth, (parent, child) in enumerate(itertools.pairwise(cells)):
            turn = kdb.Trans(depth % 4, depth % 3 == 0, 10000 * depth, -3000 * depth)
            parent.insert(kdb.CellInstArray(child.cell_index(), turn))
        _m2_square(layout, top)

    deep = write_layout(str(folder / "deep.gds"), draw)
    flat_layout = kdb.Layout()
    flat_layout.read(deep)
    flat_layout.top_cell().flatten(True)
    flat = str(folder / "flat.gds")
    flat_layout.write(flat)
    results = [check(capfd, path, deck, "--format", "json") for path in (deep, flat)]
    assert [status for status, _, _ in results] == [1, 1]
    deep_markers, flat_markers = (
        {rule["id"]: rule["markers"] for rule in json.loads(out)["rules"]} for _, out, _ in results
    )
    assert deep_markers == flat_markers
    assert markers(results[0][1])["M1.W"] == ["width 1 um < 2 um"]
    assert markers(results[0][1])["M1.S"] == ["space 1 um < 2 um"]


def test_klayout_warnings_stay_off_stdout_and_become_one_line(folder, deck, capfd):
    # a rectangle before any layer was named: KLayout reads it, printing warnings
    records = oasis_rectangle(0, 0, 1000, layer=False) + oasis_rectangle(5000, 0, 1000)
    path = write_bytes(folder / "modal.oas", oasis_file(records))
    status, out, err = check(capfd, path, deck, "--format", "json", "--allow-unchecked")
    assert status == 1
    assert json.loads(out)["layout"] == path  # nothing but the summary on stdout
    warning = err.strip().splitlines()[0]
    assert warning.startswith(f"adk: warning: {path}: KLayout: Modal variable accessed before")


# ---------------------------------------------------------------- KLayout's reader failing
def _crash(layout, path):
    faulthandler.disable()  # pytest's would print a traceback
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_crash_of_the_reader_is_one_line(example_gds, deck, capfd, monkeypatch):
    monkeypatch.setattr(reader, "_read_into", _crash)
    line = fails_with(
        capfd, example_gds, deck, "crashed reading the layout (SIGSEGV)", isolated=True
    )
    assert line.endswith("a damaged file?")


def test_a_read_that_does_not_end_stops_at_the_read_limit(folder, deck, capfd, monkeypatch):
    bomb = write_repetition_bomb(str(folder / "bomb.oas"))
    monkeypatch.setattr(reader, "READ_SECONDS", 1.0)
    monkeypatch.setattr(reader, "READ_SECONDS_PER_MB", 0.0)
    started = time.monotonic()
    status, _, err = check(capfd, bomb, deck, "--max-memory", "3G")  # the memory as a fence
    assert time.monotonic() - started < 10
    line = one_line(err)
    assert status == 2 and line.startswith(f"adk: error: {bomb}: reading the layout took longer")


def test_the_probe_reads_in_another_process(example_gds, folder, monkeypatch):
    assert reader.read_layout(example_gds, probe=True).top.name == "FOCOS_BRIDGE_PKG"
    truncated = write_bytes(folder / "probe_cut.gds", read_bytes(example_gds)[:5000])
    with pytest.raises(AdkError, match=r"probe_cut.gds: cannot read layout: .*truncated"):
        reader.read_layout(truncated, probe=True)
    bomb = write_repetition_bomb(str(folder / "probe_bomb.oas"))
    monkeypatch.setattr(reader, "READ_SECONDS", 1.0)
    with pytest.raises(AdkError, match=r"probe_bomb.oas: reading the layout took longer than 1 s"):
        reader.read_layout(bomb, probe=True)


# ---------------------------------------------------------------- mutated bytes
def _fuzz_source(path: str) -> str:
    """A small layout of every kind of element KLayout writes: cells, an array, turned and
    mirrored instances, boxes, polygons, paths, texts."""

    def draw(layout, top):
        m1, m2 = layout.layer(1, 0), layout.layer(2, 0)
        cell = layout.create_cell("PAD")
        cell.shapes(m1).insert(kdb.Box(0, 0, 3000, 3000))
        cell.shapes(m2).insert(
            kdb.Polygon([kdb.Point(0, 0), kdb.Point(4000, 0), kdb.Point(0, 4000)])
        )
        step = kdb.Vector(6000, 0), kdb.Vector(0, 6000)
        top.insert(kdb.CellInstArray(cell.cell_index(), kdb.Trans(), *step, 4, 3))
        top.insert(kdb.CellInstArray(cell.cell_index(), kdb.Trans(1, True, -9000, 0)))
        top.shapes(m1).insert(kdb.Path([kdb.Point(0, -5000), kdb.Point(20000, -5000)], 1000))
        top.shapes(m1).insert(kdb.Text("PIN", kdb.Trans(100, -5000)))

    return write_layout(path, draw)


@pytest.fixture(scope="module")
def fuzz_sources(folder):
    """The small layout as GDS, as OASIS of plain records, and as OASIS compressed in
    CBLOCKs (KLayout's default)."""
    gds = _fuzz_source(str(folder / "fuzz_source.gds"))
    layout = kdb.Layout()
    layout.read(gds)
    sources = {".gds": gds}
    for name, compressed in (("plain.oas", False), ("cblocks.oas", True)):
        options = kdb.SaveLayoutOptions()
        options.format, options.oasis_write_cblocks = "OASIS", compressed
        sources[name] = str(folder / f"fuzz_source_{name}")
        layout.write(sources[name], options)
    return sources


# the bytes a mutation leaves alone: a file that does not begin as GDS or OASIS does is
# refused before KLayout reads it (tested above), and the fuzzing is for KLayout's reader
MAGIC_LENGTH = {
    ".gds": len(reader.GDS_HEADER),
    "plain.oas": len(reader.OASIS_MAGIC),
    "cblocks.oas": len(reader.OASIS_MAGIC),
}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(sorted(MAGIC_LENGTH)),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_mutated_layouts_never_crash_the_command(
    fuzz_sources, folder, deck, capfd, kind, edits, cut
):
    data = bytearray(read_bytes(fuzz_sources[kind]))
    body = len(data) - MAGIC_LENGTH[kind]
    for where, byte in edits:
        data[MAGIC_LENGTH[kind] + where % body] = byte
    if cut is not None:
        data = data[: MAGIC_LENGTH[kind] + cut % body]
    path = write_bytes(folder / f"fuzzed_{kind.lstrip('.')}", bytes(data))
    # bounded: a mutated array count can ask for billions of shapes
    status, _, err = check(capfd, path, deck, "--timeout", "2", "--max-memory", "500M")
    # 4: rules not checked, a layer number changed; 5: stopped at a limit
    assert status in (0, 1, 2, 4, 5), err
    assert "Traceback" not in err and "internal error" not in err
    assert all(line.startswith("adk: ") for line in err.strip().splitlines()), err
    if status == 2:
        one_line(err)


def test_the_fuzz_sources_check_cleanly(fuzz_sources, deck, capfd):
    for path in fuzz_sources.values():
        status, _, err = check(capfd, path, deck)
        assert (status, err) == (1, ""), err
