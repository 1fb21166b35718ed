"""``python -m relui`` runs the same entry point as the ``relui`` command."""

from relui.cli import main

raise SystemExit(main())
