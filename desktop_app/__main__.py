"""``python -m desktop_app`` starts the app."""

import multiprocessing

from desktop_app.app import main

if __name__ == "__main__":
    # A packaged app's PDF batch workers start this same executable: let them run their
    # work instead of starting a second app (a no-op when not packaged).
    multiprocessing.freeze_support()
    raise SystemExit(main())
