"""Running a deck on a layout: the plan, the engine, tiles on local processes or Dask, the result."""
