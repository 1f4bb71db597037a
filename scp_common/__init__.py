"""What the desktop app and the central store share in code, as opposed to on the wire.

``desktop_app`` and ``sync_server`` are deployed apart (the laptop bundle leaves the store
out, the store's host never needs Qt or SQLCipher) and neither imports the other. The few
definitions both need live here; keep it tiny and free of either side's imports.
"""
