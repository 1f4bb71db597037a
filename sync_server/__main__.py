"""``python -m sync_server``: the admin command line."""

from sync_server.cli import main

raise SystemExit(main())
