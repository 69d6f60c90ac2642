"""Reading a text file of bounded size, as the layer map and the assembly readers do: the
bytes up to a limit, decoded as UTF-8 (a byte-order mark dropped). Each reader words the
fault in its own terms and reports it its own way (a one-line error, or a diagnostic at a
position)."""

from __future__ import annotations


class TextFault(Exception):
    """Why a file could not be read as text: ``kind`` is ``unreadable`` (``detail``: the
    system's reason), ``too large`` (``detail``: the limit, as ``N MB``) or ``not utf-8``
    (at ``line`` and ``column`` of the first bad byte)."""

    def __init__(self, kind: str, detail: str = "", line: int = 1, column: int = 1):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail
        self.line = line
        self.column = column


def read_text(path: str, limit: int) -> str:
    """The text of ``path``, at most ``limit`` bytes; :class:`TextFault` otherwise."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise TextFault("unreadable", exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise TextFault("too large", f"{limit // 1024 // 1024} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TextFault("not utf-8", "", line, column) from None
