"""Widgets of manage mode: presentation only."""
