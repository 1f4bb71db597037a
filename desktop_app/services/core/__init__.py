"""Infrastructure every feature stands on: errors, paths, settings, logging, crash
reports, the database thread, the unit of work, audit and change tracking, roles.

Imports nothing from the framework rules or the feature packages.
"""
