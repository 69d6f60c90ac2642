"""The reference of every check kind (docs/checks.md), from the kinds' own documentation.

Regenerate with ``python -m adk.report.reference > docs/checks.md``; a test fails when
the file is stale.
"""

from __future__ import annotations

from adk import checks
from adk.lang.signature import Prop


def reference_markdown() -> str:
    """Every check kind: its summary, signature, properties, parameters and examples."""
    parts = [
        "# Check kinds\n",
        "Generated from the check modules in `adk/checks/kinds/` (one module per kind: "
        "its signature, documentation and code). Regenerate with\n"
        "`python -m adk.report.reference > docs/checks.md`.\n",
    ]
    for kind, spec in checks.specs().items():
        text = checks.doc(kind).strip()
        title, _, body = text.partition("\n")
        props = ", ".join(f"`{p.name}` ({_prop_text(p)})" for p in spec.props)
        measures = f"Measures: {props}." if props else "Takes no constraint."
        params = "".join(
            f"\n- `{p.name}` ({p.kind}{', required' if p.required else ''}): {p.doc}"
            for p in spec.params
        )
        parts.append(
            f"## {kind}\n\n{title.split(': ', 1)[-1]}\n\n"
            f"Signature: `{spec.signature()}`. {measures}"
            f"{chr(10) + params if params else ''}\n{_indented_to_fenced(body)}\n"
        )
    return "\n".join(parts)


def _prop_text(prop: Prop) -> str:
    """``length; >= >``, with what the property is where the kind says it."""
    text = f"{prop.dim.value}; {' '.join(prop.ops)}"
    return f"{prop.doc}, {text}" if prop.doc else text


def _indented_to_fenced(body: str) -> str:
    """Docstring examples (indented ``rule`` lines) as fenced blocks."""
    out: list[str] = []
    block: list[str] = []
    for line in body.splitlines():
        if line.startswith("    rule "):
            block.append(line[4:])
            continue
        if block:
            out += ["```", *block, "```"]
            block = []
        out.append(line)
    if block:
        out += ["```", *block, "```"]
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown(), end="")
