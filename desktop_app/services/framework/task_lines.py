"""Which of a support plan's task lines (step S4) a task needs, from the task catalogue.

"If readings are out of range" is for a task that takes readings, or whose giving depends on
one: the catalogue's vital signs group (a finger-prick blood glucose test, checking vital
signs) and the tasks named in ``TASKS_WITH_READINGS`` (insulin against the glucose reading,
oxygen against the saturation, a nebuliser against breathing, rescue medicine against how
long a seizure lasts). Other tasks (eye drops, hosiery, a stoma bag) have no readings, so
the wizard does not ask that line and the plan has nothing to print for it. A task that
is not known (none chosen yet) is asked every line rather than lose one. No Qt here.
"""

from __future__ import annotations

from typing import Final

#: The catalogue groups whose tasks take readings with written ranges.
CATEGORIES_WITH_READINGS: Final = frozenset({"vital_signs"})
#: Tasks of other groups whose giving depends on a reading.
TASKS_WITH_READINGS: Final = frozenset({"insulin_prefilled_pen", "oxygen_therapy", "nebuliser",
                                        "epilepsy_rescue_medicine"})
#: The S4 answer that is about readings.
READINGS_LINE: Final = "if_out_of_range"


def task_has_readings(category: str | None, task_code: str | None = None) -> bool:
    """True when the task takes readings: by its catalogue group or by its code (None: the
    task is not known, so the readings line is asked rather than dropped)."""
    return (category is None or category in CATEGORIES_WITH_READINGS
            or task_code in TASKS_WITH_READINGS)


def example_from_description(description: str | None) -> str | None:
    """The catalogue's words for a task, to follow "e.g." as the example of what is
    delegated ("putting prescribed eye drops …"); None when the catalogue has none."""
    text = (description or "").strip()
    if not text:
        return None
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]  # "Putting …" reads on after "e.g."; "IV …" stays
    return text
