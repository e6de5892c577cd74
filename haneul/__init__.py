"""Haneul: an OpenStack-compatible cloud run from a terminal.

This package holds only the `haneul` command's dispatcher; the cloud itself lives in
`runtime`, the deployment machinery in `installer` and the terminal UI in `tui`.
"""

__version__ = "0.1.0"
