"""Decks translated into other tools' rule languages."""
