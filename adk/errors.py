"""Errors the user can act on. Anything else escaping is a bug."""

from __future__ import annotations

from dataclasses import dataclass


class AdkError(Exception):
    """Bad input or bad usage: one line naming the file and the fault (exit code 2)."""


class LayoutWarning(UserWarning):
    """A layout that reads and checks, but looks wrong: an empty top cell, warnings of
    KLayout's reader. The command line prints each as one ``adk: warning:`` line."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a deck, with where it is."""

    file: str
    line: int
    column: int
    message: str
    length: int = 1
    severity: str = "error"

    def render(self, source_line: str | None = None) -> str:
        """``file:line:col: error: message``, then the source line and a caret under the fault."""
        head = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if source_line is None:
            return head
        text = source_line.rstrip("\r\n").expandtabs(1)
        width = max(1, min(self.length, len(text) - self.column + 1))
        caret = " " * (self.column - 1) + "^" + "~" * (width - 1)
        return f"{head}\n    {text}\n    {caret}"


class DeckError(AdkError):
    """A deck with one or more problems."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.column))
        self.sources = sources or {}
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(first.render() if first else "invalid deck")

    def __reduce__(self) -> tuple:
        # a worker process (--jobs, Dask) sends the error back whole, not as its message
        return (type(self), (self.diagnostics, self.sources))

    def render(self) -> str:
        """Every diagnostic with its source line and caret."""
        out = []
        for diag in self.diagnostics:
            # "\n" only, as the parser counts lines: splitlines() also splits at \f, \x1c, ...
            lines = self.sources[diag.file].split("\n") if diag.file in self.sources else []
            line = lines[diag.line - 1] if 0 < diag.line <= len(lines) else None
            out.append(diag.render(line))
        count = len(self.diagnostics)
        out.append(f"{count} error{'s' if count != 1 else ''}")
        return "\n".join(out)
