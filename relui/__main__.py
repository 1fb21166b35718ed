"""``python -m relui`` runs the same entry point as the ``relui`` command."""

from relui.entry import main

raise SystemExit(main())
