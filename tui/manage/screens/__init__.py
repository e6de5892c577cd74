"""Screens of manage mode: each owns one flow."""
