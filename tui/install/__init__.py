"""Install mode: the wizard from "what kind of cloud" to a deployed one.

`tui.install.app.InstallMode` is the screen the app pushes; `state` holds the answers
and renders the inventory; `backend` starts and follows deployment runs (which are
processes of their own); `steps/` are the wizard's pages.
"""
