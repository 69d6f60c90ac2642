"""Strategies shared by the fuzz tests of text inputs (layer maps, waiver files): a valid
file with a few edits, and random text of the tokens such files are made of."""

from __future__ import annotations

from hypothesis import strategies as st

# YAML that no adk file should honour: tags that would run code or build objects,
# aliases, anchors, merge keys, directives, control characters
HOSTILE_YAML = [
    "- ", ": ", "[", "]", "{", "}", ",", "1e999", "-1", "9" * 40, "&a ", "*a",
    "&b [*a, *a, *a]", "<<: *a", "!!python/object/apply:os.system ['true']", "!!binary aGk=",
    "? ", "|", ">", '"', "'", "#", "---", "...", "%YAML 1.1", "\t", "\n", "\n  ", " ",
    "\x00", "\x85", "\ufeff", "~", "null",
]  # fmt: skip


def mutated(valid: str, tokens: list[str], alphabet: str) -> st.SearchStrategy[str]:
    """``valid`` with one to four characters or tokens inserted, deleted or replaced."""

    @st.composite
    def edits(draw: st.DrawFn) -> str:
        text = valid
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["insert char", "insert token", "delete", "replace"]))
            if kind == "insert char":
                text = text[:at] + draw(st.sampled_from(alphabet)) + text[at:]
            elif kind == "insert token":
                text = text[:at] + draw(st.sampled_from(tokens)) + text[at:]
            elif kind == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 8)) :]
            else:
                cut = draw(st.integers(1, 6))
                text = text[:at] + draw(st.sampled_from(tokens)) + text[at + cut :]
        return text

    return edits()


def text_like(tokens: list[str], alphabet: str) -> st.SearchStrategy[str]:
    """Random text: any characters, the file's alphabet, or runs of its tokens."""
    return st.one_of(
        st.text(max_size=120),
        st.text(alphabet=alphabet, max_size=200),
        st.lists(st.sampled_from(tokens), max_size=30).map("".join),
    )
