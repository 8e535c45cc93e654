"""Organizer pages."""
