"""Running a deck on a layout: the plan, the engine, tiles (local processes or Dask), the result."""
