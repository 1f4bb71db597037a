"""The central store's web console (issue 21): NHS IT runs the store, the IPCB governs the
framework from it. Server-rendered HTML (Jinja2), no JavaScript; see docs/store-console.md."""
