"""Support plans and shared care forms as documents: the plan a team lead signs
(``document``, made of the frozen ``blocks`` that ``read_blocks`` and ``delegation_parts``
read from the vault), the team's batch of plans to print (``batch``) and the shared care
form of an escalation (``shared_care_form``). The PDFs themselves are drawn in
``services.pdf``.
"""
