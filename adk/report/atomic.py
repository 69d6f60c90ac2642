"""Reports written through a temporary file and a rename: a reader never sees half a
report, and a write that fails leaves the file that was there before."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable

from adk.errors import AdkError


def write_text_atomically(path: str, text: str, what: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path``; ``what`` names the file in
    the error a failed write raises (``SARIF report``)."""

    def save(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)

    save_atomically(path, save, what)


def save_atomically(path: str, save: Callable[[str], None], what: str) -> None:
    """Call ``save(temporary)`` for a temporary file beside ``path``, then rename it to
    ``path``. The temporary file is in the same folder, so the rename is atomic."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder
        )
    except OSError as exc:
        raise AdkError(f"{path}: cannot write {what}: {exc.strerror}") from None
    os.close(handle)
    try:
        # mkstemp makes the file private; a report is shared like any file the user writes
        os.chmod(temporary, 0o666 & ~_umask())
        save(temporary)
        os.replace(temporary, path)
    except Exception as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise AdkError(f"{path}: cannot write {what}: {reason}") from None


def _umask() -> int:
    """The process's umask (reading it means setting it: it is put back at once)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
