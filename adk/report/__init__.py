"""Reports: the deck's rule table, run summaries and marker databases."""
