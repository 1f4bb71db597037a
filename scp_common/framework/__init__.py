"""The framework documents' rules, shared by the laptop and the central store.

The IPCB publishes new delegation flow and task catalogue versions on the central store
(issue 21); laptops receive them on their next sync. Both sides must judge a document by
the very same rules, or the store could accept what a laptop then refuses (or worse, the
reverse): so the rules live here, once, as plain functions over the decoded JSON. The
desktop's ``parse_flow`` and ``parse_catalogue`` call them before building their objects;
the store calls them before publishing; a laptop calls them again on what it receives.

- ``versions``: what a version looks like and their numeric order (hazard H-018);
- ``outcomes``: the outcome codes a flow may end in;
- ``flow_rules``: a flow document's structure and references;
- ``app_flow``: what this app's wizard can show (its steps and the fields its pages ask);
- ``catalogue_rules``: a task catalogue document;
- ``documents``: an uploaded or received document, decoded and checked by its kind.

No Qt, no SQLAlchemy, nothing of ``desktop_app`` or ``sync_server`` (tests/test_layering.py).
"""
