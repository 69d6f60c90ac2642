"""The kit adk ships: its decks and the deck self-tests."""
