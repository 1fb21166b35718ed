"""The shared service layer: every rule and every action lives here.

The TUI and the CLI both call these modules; neither re-implements a guard.
Nothing here imports Textual or an adapter: services see only ports.
"""
