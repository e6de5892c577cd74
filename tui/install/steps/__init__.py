"""The wizard's steps, one module each; tui.install.app puts them in order."""
