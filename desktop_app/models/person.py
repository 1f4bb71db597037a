"""The person receiving care, and the people around them (framework §1, §6, §7).

A person is found on the caseload by NHS number, name, postcode or team. Contacts hold next
of kin and, for the Mental Capacity Act, registered attorneys and deputies: only a registered
health and welfare LPA or a deputy may decide about a healthcare task for someone who lacks
capacity, which the ``contact`` table enforces.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, orm
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import digits_only, one_of

# Equality monitoring is optional for the person: NULL means "not recorded", this value
# means they were asked and chose not to answer (framework §7).
PREFER_NOT_TO_SAY = "prefer_not_to_say"


class ContactKind(enum.StrEnum):
    """Who a contact is to the person, as the Mental Capacity Act distinguishes them."""

    NEXT_OF_KIN = "next_of_kin"
    LPA_HEALTH_WELFARE = "lpa_health_welfare"
    LPA_PROPERTY_FINANCE = "lpa_property_finance"
    DEPUTY = "deputy"
    OTHER = "other"


class Person(SyncedMixin, Base):
    """The person for whom a healthcare task may be delegated to a care worker.

    ``nhs_number`` is ten digits with no spaces; its modulus-11 check is done by the
    services before saving. Age for equality reports comes from ``date_of_birth``; the other
    eight protected characteristics of the Equality Act 2010 are the ``eq_*`` columns.
    """

    __tablename__ = "person"
    __table_args__ = (digits_only("nhs_number", 10),)

    nhs_number: Mapped[str] = mapped_column(String(10), unique=True, index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32))
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(8), index=True)
    # Nullable: a person not registered with a GP can still be added and helped.
    gp_practice_code: Mapped[str | None] = mapped_column(String(10))
    gp_practice_name: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(100), index=True)
    open_to_community_health: Mapped[bool] = mapped_column(Boolean, default=False)
    communication_needs: Mapped[str | None] = mapped_column(Text)

    eq_disability: Mapped[str | None] = mapped_column(String(64))
    eq_gender_reassignment: Mapped[str | None] = mapped_column(String(64))
    eq_marriage_civil_partnership: Mapped[str | None] = mapped_column(String(64))
    eq_pregnancy_maternity: Mapped[str | None] = mapped_column(String(64))
    eq_ethnicity: Mapped[str | None] = mapped_column(String(64))
    eq_religion_belief: Mapped[str | None] = mapped_column(String(64))
    eq_sex: Mapped[str | None] = mapped_column(String(64))
    eq_sexual_orientation: Mapped[str | None] = mapped_column(String(64))

    # Includes tombstoned contacts: callers filter on ``deleted``.
    contacts: Mapped[list[Contact]] = orm.relationship(lazy="selectin", order_by="Contact.name")


class Contact(SyncedMixin, Base):
    """Next of kin, attorney (LPA), deputy or other person to contact about the person.

    ``can_decide_health_welfare`` may only be true for a registered health and welfare
    attorney or a deputy: a property and finance LPA cannot consent to care.
    """

    __tablename__ = "contact"
    __table_args__ = (
        one_of("kind", ContactKind),
        CheckConstraint(
            "NOT can_decide_health_welfare OR (kind IN ('lpa_health_welfare', 'deputy')"
            " AND registered_on IS NOT NULL)",
            name="health_welfare_decider",
        ),
    )

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(Text)
    # For an LPA: the Office of the Public Guardian reference; for a deputy: the court order.
    registration_reference: Mapped[str | None] = mapped_column(String(64))
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    can_decide_health_welfare: Mapped[bool] = mapped_column(Boolean, default=False)
