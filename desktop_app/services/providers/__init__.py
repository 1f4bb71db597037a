"""Care providers, their care workers, and the workers' competence over time (framework §1
S7 "Provider accepts", §6 Training).

``register`` keeps the providers (add, edit, deactivate); ``workers`` the care workers under
each (add, edit, leave). Editing either needs ``EDIT_PROVIDERS``: team leads, nurses and
social care practitioners, who all commission and meet the providers; read-only users see
them. Every change is a tracked, synced row (outbox, audit, version, tombstone), and
nothing is deleted: a deactivated provider or a worker who left keeps their history.
"""
