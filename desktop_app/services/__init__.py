"""Everything below the widgets, grouped by what it is: ``core`` (infrastructure), ``framework``
(the framework's rules, pure), ``vault`` (the encrypted database) and one package per feature
(``people``, ``delegation``, ``registers``, ``plans``, ``reports``, ``sync``, ``pdf``); see
docs/architecture.md, "The packages"."""
