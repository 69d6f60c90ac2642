"""adk: an assembly design kit rule checker for advanced semiconductor packages."""

__version__ = "0.1.0"
