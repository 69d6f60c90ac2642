"""Every package folder of adk is in the distribution, and the grammar ships inside it."""

from __future__ import annotations

import ast
import pathlib
import re


def test_every_package_folder_is_listed_in_pyproject():
    text = pathlib.Path("pyproject.toml").read_text(encoding="utf-8")
    listed = set(ast.literal_eval(re.search(r"^packages = (\[.*?\])", text, re.M | re.S).group(1)))
    folders = {".".join(p.parent.parts) for p in pathlib.Path("adk").rglob("__init__.py")}
    assert folders | {"adk.grammar", "adk.rules", "adk.klayout_macros"} == listed
