"""The Textual terminal UI: the interactive installer and day-2 management."""
