"""The rule language: text to a typed, validated deck."""

from adk.lang.builder import load_deck, load_text
from adk.lang.parser import parse_text

__all__ = ["load_deck", "load_text", "parse_text"]
