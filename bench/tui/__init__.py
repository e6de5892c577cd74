"""Input-to-repaint latency of the TUI's manage mode."""
