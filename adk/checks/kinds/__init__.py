"""One module per check kind; see :mod:`adk.checks` for what a kind module holds."""
