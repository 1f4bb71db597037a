"""The sign-in list, read from the key file without loading any cryptography.

The sign-in dialog must paint fast; the key file's display names are plain JSON, so they
are read here with the standard library only. Unlocking (vault.py) parses and checks the
whole file.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop_app.services.core.errors import KeyFileCorrupt, VaultNotFound


def sign_in_users(key_path: Path) -> list[tuple[str, str]]:
    """(user id, display name) of every user in the key file, in file order."""
    try:
        body = json.loads(key_path.read_text(encoding="utf-8"))
        return [(str(w["user_id"]), str(w["display_name"]))
                for w in body["wraps"] if w.get("kind") == "user"]
    except FileNotFoundError:
        raise VaultNotFound("No vault has been set up on this laptop yet.") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise KeyFileCorrupt("The key file is damaged and cannot be read. The database has "
                             "not been touched. Contact IT support.") from err
