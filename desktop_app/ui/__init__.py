"""The Qt widgets. They call services and show results; no SQL, files or HTTP here."""
