"""What every command module shares: exit codes, the parser class, atomic writes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, TypeAlias

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

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
