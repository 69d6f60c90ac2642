"""Hypothesis draws the same examples on every run, so a test run's verdict does not
depend on luck and main stays green. ``HYPOTHESIS_PROFILE=explore pytest`` searches
fresh random examples; pin any failure it finds with ``@example``."""

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
