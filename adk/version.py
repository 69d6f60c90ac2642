"""The version of adk."""

__version__ = "0.1.0"
