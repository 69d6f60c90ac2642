"""The docs tell the truth: the check reference is generated from the kinds, every kind is in
the language guide."""

from __future__ import annotations

import re

from adk import checks
from adk.report.reference import reference_markdown


def test_check_reference_is_up_to_date():
    with open("docs/checks.md", encoding="utf-8") as handle:
        assert handle.read() == reference_markdown(), (
            "docs/checks.md is stale: regenerate it with "
            "'python -m adk.report.reference > docs/checks.md'"
        )


def test_every_check_kind_has_a_section_in_the_language_guide():
    with open("docs/language.md", encoding="utf-8") as handle:
        sections = set(re.findall(r"^### (\w+)$", handle.read(), re.MULTILINE))
    assert set(checks.kind_names()) <= sections
