"""Layout access: read GDS/OASIS (plain or gzipped), pick the top cell, find layers.

Whatever the file, reading ends in a layout or in one :class:`AdkError` line naming the
file and the fault (docs/robustness.md): the file is looked at before KLayout reads it
(missing, a folder, empty, not GDS or OASIS), KLayout's messages are made one line, and
what its reader prints itself is kept off the terminal.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import klayout.db as kdb

from adk.errors import AdkError, LayoutWarning
from adk.layout import isolation

GDS_HEADER = b"\x00\x06\x00\x02"  # the HEADER record: 6 bytes long, type 0, two-byte integer
OASIS_MAGIC = b"%SEMI-OASIS\r\n"
GZIP_MAGIC = b"\x1f\x8b"

# coordinates in database units that checks handle exactly: KLayout's geometry is 32-bit,
# and grows, turns and halves coordinates on the way (at 2^31 - 1 its merge never ends,
# within a few hundred units of it checks miss violations); half the range leaves room
COORDINATE_LIMIT = 2**30

# how long reading may take: a damaged or hostile file (an OASIS repetition of a billion
# shapes in 300 bytes) is stopped; a sound file reads hundreds of times faster than this
READ_SECONDS = 60.0
READ_SECONDS_PER_MB = 1.0

# what the probe's Python runs: the same read, its fault as the last line it prints
_PROBE = """
import sys
from adk.errors import AdkError
from adk.layout.reader import read_layout
try:
    read_layout(sys.argv[1])
except (AdkError, MemoryError) as exc:
    sys.exit(str(exc) or "out of memory")
"""


@dataclass
class LoadedLayout:
    """A layout read from a file, with its chosen top cell."""

    path: str
    layout: kdb.Layout
    top: kdb.Cell

    @property
    def dbu(self) -> float:
        return self.layout.dbu

    def layer_index(self, layer: int, datatype: int) -> int | None:
        """The layout's index of ``layer/datatype``, or None when the layout has no such layer."""
        index = self.layout.find_layer(layer, datatype)
        return None if index is None or index < 0 else index


def read_layout(path: str, top: str | None = None, *, probe: bool = False) -> LoadedLayout:
    """Read ``path`` and choose the top cell (the only one, or the one named ``top``).

    With ``probe``, the file is first read in a separate Python process, within
    :func:`read_time_limit`: a file that crashes or hangs KLayout's reader then ends in an
    AdkError here instead of taking this process down (it costs a Python start and a
    second read; the command line needs none, as it checks in a child process)."""
    check_layout_file(path)
    if probe:
        probe_layout(path)
    layout = kdb.Layout()
    with isolation.stage("reading the layout", path, read_time_limit(path)):
        notes = _read_into(layout, path)
    check_cell_names(layout, path)
    chosen = choose_top(layout, path, top)
    check_extent(layout, chosen, path)
    # warned of only now: a layout refused above ends in its one line
    if notes:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        warnings.warn(f"{path}: KLayout: {notes[0]}{more}", LayoutWarning, 2)
    if chosen.bbox().empty():
        warnings.warn(f"{path}: the top cell '{chosen.name}' holds no shapes", LayoutWarning, 2)
    return LoadedLayout(path, layout, chosen)


def check_layout_file(path: str) -> None:
    """Raise an AdkError unless ``path`` is a readable file that begins as a GDS or
    OASIS file does, plain or gzipped."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AdkError(f"{path}: no such layout file") from None
    except OSError as exc:
        raise AdkError(f"{path}: cannot open the layout: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise AdkError(f"{path}: a folder, not a layout file")
    if not stat.S_ISREG(mode):  # a pipe or a device could block or never end
        raise AdkError(f"{path}: not a regular file")
    head = _first_bytes(path)
    if head.startswith(GZIP_MAGIC):
        head = _first_bytes_unzipped(path)
    fault = _format_fault(head)
    if fault:
        raise AdkError(f"{path}: cannot read layout: {fault}")


def _first_bytes(path: str, count: int = 16) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(count)
    except OSError as exc:
        raise AdkError(f"{path}: cannot open the layout: {exc.strerror}") from None


def _first_bytes_unzipped(path: str, count: int = 16) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read(count)
    except (OSError, EOFError, zlib.error) as exc:
        raise AdkError(f"{path}: cannot read layout: a damaged gzip file: {exc}") from None


def _format_fault(head: bytes) -> str | None:
    """What is wrong with a file that begins with ``head``, or None for GDS and OASIS."""
    if head.startswith((GDS_HEADER, OASIS_MAGIC)):
        return None
    if not head:
        return "an empty file (0 bytes)"
    if OASIS_MAGIC.startswith(head) or GDS_HEADER.startswith(head):
        return f"truncated: {len(head)} bytes, not even a GDS or OASIS header"
    return f"not a GDS or OASIS file: it begins with {_describe(head)}"


def _describe(head: bytes) -> str:
    text = head.decode("ascii", errors="replace")
    if all(char.isprintable() or char in "\t\r\n" for char in text):
        return f"the text {text!r}"
    return "the bytes " + " ".join(f"{byte:02x}" for byte in head[:8])


def read_time_limit(path: str) -> float:
    """How long reading ``path`` may take: :data:`READ_SECONDS` and
    :data:`READ_SECONDS_PER_MB` for each megabyte of the file."""
    return READ_SECONDS + READ_SECONDS_PER_MB * os.path.getsize(path) / 1e6


def _read_into(layout: kdb.Layout, path: str) -> list[str]:
    """KLayout's read, its exceptions made one line; the warnings it printed (on standard
    output, where a JSON summary goes), kept off the terminal and returned."""
    with _output_captured() as printed:
        try:
            layout.read(path)
        except UnicodeDecodeError:  # KLayout's message quotes bytes of the file
            raise AdkError(
                f"{path}: cannot read layout: a damaged file (KLayout's message about it "
                "holds bytes that are not UTF-8 text)"
            ) from None
        except Exception as exc:  # RuntimeError, with KLayout's message
            if "std::bad_alloc" in str(exc):
                raise MemoryError(f"{path}: out of memory reading the layout") from None
            raise AdkError(f"{path}: cannot read layout: {_reason(exc)}") from None
    return [_unprefixed(line) for line in printed if not line.startswith("Warning: In file ")]


def _reason(exc: Exception) -> str:
    """KLayout's message as one line, without what the AdkError says already."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    text = re.sub(r"(,? in file: .*?)?( in Layout\.read)?$", "", text)
    if "topological_sort" in text:
        return "a cell contains itself, directly or through other cells (recursive hierarchy)"
    if "end-of-file" in text or "end of file" in text:
        return f"{text}: the file is truncated"
    if "tlDeflate" in text:
        return f"damaged compressed data ({text})"
    return text


def _unprefixed(line: str) -> str:
    return re.sub(r"^(Warning|ERROR|Error): *", "", line.strip())


@contextlib.contextmanager
def _output_captured() -> Iterator[list[str]]:
    """Standard output and error at the file descriptors (where KLayout's C++ writes),
    captured; the lines written, once the block ends."""
    printed: list[str] = []
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        with tempfile.TemporaryFile() as capture:
            for fd in saved:
                os.dup2(capture.fileno(), fd)
            try:
                yield printed
            finally:
                for fd, copy in saved.items():
                    os.dup2(copy, fd)
                capture.seek(0)
                text = capture.read().decode("utf-8", errors="replace")
                printed += [line for line in text.splitlines() if line.strip()]
    finally:
        for copy in saved.values():
            os.close(copy)


def probe_layout(path: str) -> None:
    """Read ``path`` in a separate Python process, within :func:`read_time_limit`; raise
    the AdkError it ends with, or one for a crash or a hang of KLayout's reader."""
    limit = read_time_limit(path)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, path],
            capture_output=True,
            text=True,
            timeout=limit,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise AdkError(f"{path}: {slow_read_fault(limit)}") from None
    if done.returncode < 0:
        raise AdkError(f"{path}: {crash_fault(-done.returncode)}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise AdkError(last if last.startswith(path) else f"{path}: cannot read layout: {last}")


def slow_read_fault(seconds: float) -> str:
    return (
        f"reading the layout took longer than {seconds:.0f} s: a damaged file, or one "
        "whose repetitions expand to more shapes than can be checked"
    )


def crash_fault(signum: int) -> str:
    return f"KLayout's reader crashed on the file ({_signal_name(signum)}): a damaged file"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def check_cell_names(layout: kdb.Layout, path: str) -> None:
    """Raise an AdkError for a cell whose name is not UTF-8 text: KLayout cannot hand
    such a name to Python, and a report names the top cell."""
    for index in range(layout.cells()):
        try:
            layout.cell_name(index)
        except RuntimeError:
            raise AdkError(
                f"{path}: cannot read layout: the name of cell #{index} is not text "
                "(bytes that are not UTF-8): a damaged file"
            ) from None


def choose_top(layout: kdb.Layout, path: str, top: str | None) -> kdb.Cell:
    """The top cell named ``top``, or the layout's only top cell."""
    if top is not None:
        cell = layout.cell(top)
        if cell is None:
            raise AdkError(f"{path}: no cell named '{top}'")
        return cell
    tops = sorted(cell.name for cell in layout.top_cells())
    if not tops:
        raise AdkError(f"{path}: the layout has no cells")
    if len(tops) > 1:
        shown = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")
        raise AdkError(f"{path}: {len(tops)} top cells ({shown}); choose one with --top")
    return layout.cell(tops[0])


def prepare_for_memory_limit() -> None:
    """Have the C++ runtime set up what it sets up on its first exception: under an
    address-space limit that first exception would be the std::bad_alloc, and setting
    up then fails and ends the process (``cannot allocate memory for thread-local
    data``) instead of raising."""
    with contextlib.suppress(RuntimeError):
        kdb.Box.from_s("")


def check_extent(layout: kdb.Layout, top: kdb.Cell, path: str) -> None:
    """Raise an AdkError when shapes lie beyond :data:`COORDINATE_LIMIT`, where checks
    are no longer exact."""
    box = top.bbox()
    if box.empty():
        return
    farthest = max(abs(box.left), abs(box.bottom), abs(box.right), abs(box.top))
    if farthest > COORDINATE_LIMIT:
        raise AdkError(
            f"{path}: shapes reach {farthest} database units ({farthest * layout.dbu / 1000:g} "
            f"mm) from the origin; adk checks exactly up to 2^30 = {COORDINATE_LIMIT} "
            "(KLayout's 32-bit geometry overflows beyond): move the layout nearer the origin"
        )
