"""One controller per feature: each owns its screens' signals and calls its services.

``session`` (sign-in and lock) is loaded before the sign-in dialog paints and imports only
Qt and the light parts of the services. The feature controllers (``people``,
``delegations``, ``registers``, ``reports``, ``plans``, ``sync``) import the services and
are loaded by the composition root (``desktop_app/app.py``) once a user has signed in;
each is made for that user's main window from a ``context.FeatureContext``. Nothing is
imported here, so importing ``session`` loads none of them.
"""
