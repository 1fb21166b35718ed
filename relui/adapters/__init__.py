"""One module per outside system, each implementing ports from ``relui.ports``.

Nothing here imports Textual; constructors do no IO (they connect on first use)
so building every environment's ports at start-up never blocks or fails.
"""
