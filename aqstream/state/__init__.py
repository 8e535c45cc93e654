"""Reflex state classes: thin adapters that call services and keep only what a page shows."""
