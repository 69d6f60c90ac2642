"""What every command module shares: exit codes, the parser class, atomic writes, the
types of the limit options."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from typing import NoReturn, TypeAlias

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
# a run stopped at --timeout or --max-memory, or killed by the system for want of memory
EXIT_LIMIT = 5
# stopped by a signal: 128 + its number, as a shell reports a process it ended (130, 143)
EXIT_SIGNAL_BASE = 128

_SIZE_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

# what add_subparsers returns, to which each command module's register() adds its commands;
# a string: argparse's class takes no type argument at run time
Subparsers: TypeAlias = "argparse._SubParsersAction[ArgumentParser]"


class ArgumentParser(argparse.ArgumentParser):
    """argparse that ends bad usage with one ``adk: error:`` line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"adk: error: {message}\n")


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    temporary = f"{path}.adk-tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def seconds(text: str) -> float:
    """An argparse type: a time in seconds above 0 (``90``, ``2.5``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected seconds above 0, not {text!r}")
    return value


def memory_size(text: str) -> int:
    """An argparse type: a size in bytes from ``500M``, ``2G``, ``1.5G`` (K, M, G, T:
    powers of 1024; a trailing B or iB is allowed)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT])(?:i?B)?\s*", text, re.IGNORECASE)
    size = float(found[1]) * _SIZE_UNITS[found[2].upper()] if found else 0.0
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected a size such as 500M or 2G, not {text!r}")
    return int(size)


def size_text(size: int) -> str:
    """``2G`` for 2 GiB, ``1.5G``, ``500M``: a size as :func:`memory_size` reads it."""
    for unit in "TGMK":
        if size >= _SIZE_UNITS[unit]:
            return f"{size / _SIZE_UNITS[unit]:.4g}{unit}"
    return f"{size}B"
