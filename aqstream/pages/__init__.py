"""Reflex pages, named for what the user sees."""
