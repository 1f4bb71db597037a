"""The LLR framework's rules as pure functions: the delegation flow, the task
catalogue, funding, the review schedule, Care Act eligibility, NHS numbers, outcomes and
the words for each recorded choice.

No database, no unit of work, no feature package: only the models' enumerations,
``core.errors`` and ``core.paths`` (to find the bundled resources).
"""
