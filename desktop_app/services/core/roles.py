"""What each role may change, enforced in the services (the UI only hides what it can't do).

- Community nurse: people, delegations (the wizard), reviews, competency sign-offs, care
  providers and their workers, enrolling the laptop with the central store, and adding a
  colleague's sign-in to the laptop as a nurse or a social care practitioner.
- Team lead: everything, including closing shared care discussions (whose decisions go to
  the IPCB) and printing a team's plans in one batch. The first account on a laptop is
  the team lead's (``FIRST_ACCOUNT_ROLE``): the team lead sets the laptop up, keeps its
  recovery code and adds each colleague's sign-in, with any role.
- Social care practitioner: shares the assessment and the plan with the MDT: people,
  delegations, reviews, and the care providers and workers the council commissions; not
  clinical competence, not closing discussions, not users.
- Read-only (governance): sees everything, changes nothing; with team leads, the only
  role that sees the governance reports and the two-weekly joint meeting pack.

Every role but read-only reports a practical problem with the framework to the IPCB
(``REPORT_PROBLEM``); a team lead records what the IPCB did with it (``TRACK_PROBLEMS``)
and adds local services to the signposting list (``EXTEND_LISTS``). What matters to the
person, signposting, partners' assessments and eligibility screens are people's records
(``EDIT_PEOPLE``).

Everyone signed in may read a record; every read of a person's record is audited. Nobody
gives a colleague a role that can do more than their own (``roles_to_give``), so nobody
makes themselves, or anyone, a team lead but a team lead.
"""

from __future__ import annotations

import enum

from desktop_app.models.user import Role
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.core.uow import UnitOfWork


class Permission(enum.StrEnum):
    """A kind of change, or a view kept to some roles (the governance reports)."""

    EDIT_PEOPLE = "edit_people"
    DELEGATE = "delegate"
    RECORD_REVIEW = "record_review"
    MANAGE_COMPETENCY = "manage_competency"
    CLOSE_DISCUSSION = "close_discussion"
    MANAGE_USERS = "manage_users"
    PRINT_BATCH = "print_batch"
    VIEW_REPORTS = "view_reports"
    EDIT_PROVIDERS = "edit_providers"
    REPORT_PROBLEM = "report_problem"
    TRACK_PROBLEMS = "track_problems"
    EXTEND_LISTS = "extend_lists"


_ALL = frozenset(Permission)
POLICY: dict[Role, frozenset[Permission]] = {
    Role.TEAM_LEAD: _ALL,
    Role.NURSE: frozenset({Permission.EDIT_PEOPLE, Permission.DELEGATE,
                           Permission.RECORD_REVIEW, Permission.MANAGE_COMPETENCY,
                           Permission.MANAGE_USERS, Permission.EDIT_PROVIDERS,
                           Permission.REPORT_PROBLEM}),
    Role.SOCIAL_CARE_PRACTITIONER: frozenset({Permission.EDIT_PEOPLE, Permission.DELEGATE,
                                              Permission.RECORD_REVIEW,
                                              Permission.EDIT_PROVIDERS,
                                              Permission.REPORT_PROBLEM}),
    # Governance (the IPCB) reads the reports; it changes nothing.
    Role.READ_ONLY: frozenset({Permission.VIEW_REPORTS}),
}
_WHAT = {
    Permission.EDIT_PEOPLE: "change people's details",
    Permission.DELEGATE: "record delegations",
    Permission.RECORD_REVIEW: "record reviews",
    Permission.MANAGE_COMPETENCY: "change competency sign-offs",
    Permission.CLOSE_DISCUSSION: "close shared care discussions",
    Permission.MANAGE_USERS: "add users",
    Permission.PRINT_BATCH: "print batches of support plans",
    Permission.VIEW_REPORTS: "see the governance reports",
    Permission.EDIT_PROVIDERS: "change care providers or care workers",
    Permission.REPORT_PROBLEM: "report problems with the framework (the IPCB reads them)",
    Permission.TRACK_PROBLEMS: "record what the IPCB did with a reported problem",
    Permission.EXTEND_LISTS: "add services to the signposting list",
}
_ROLE_WORDS = {Role.TEAM_LEAD: "a team lead", Role.NURSE: "a community nurse",
               Role.SOCIAL_CARE_PRACTITIONER: "a social care practitioner",
               Role.READ_ONLY: "a read-only user"}


def allowed(role: str, permission: Permission) -> bool:
    """True when ``role`` may do ``permission`` (unknown roles may do nothing)."""
    try:
        return permission in POLICY[Role(role)]
    except ValueError:
        return False


def require(uow: UnitOfWork, permission: Permission) -> None:
    """PermissionDenied, in plain words, unless the signed-in user's role allows this."""
    role = uow.actor.role
    if not allowed(role, permission):
        who = _ROLE_WORDS.get(Role(role), "this user") if role in Role._value2member_map_ \
            else "this user"
        raise PermissionDenied(
            f"You are signed in as {who}, who cannot {_WHAT[permission]}. Ask a team lead.")


# The first account on a laptop: the team lead, who sets the laptop up, keeps its recovery
# code and adds everyone else's sign-in. Whoever makes the first account chooses no role.
FIRST_ACCOUNT_ROLE = Role.TEAM_LEAD


def roles_to_give(role: str) -> list[Role]:
    """The roles a user of ``role`` may give a colleague on this laptop: none without
    MANAGE_USERS, otherwise each role that can do nothing their own cannot (a nurse gives
    nurse or social care practitioner; a team lead gives any role)."""
    if not allowed(role, Permission.MANAGE_USERS):
        return []
    own = POLICY[Role(role)]
    return [other for other in Role if POLICY[other] <= own]


def require_may_give(uow: UnitOfWork, role: Role) -> None:
    """PermissionDenied, in plain words, unless the signed-in user may add a colleague with
    ``role``."""
    require(uow, Permission.MANAGE_USERS)
    mine = uow.actor.role
    if Role(role) not in roles_to_give(mine):
        given = " or ".join(_ROLE_WORDS[r] for r in roles_to_give(mine))
        raise PermissionDenied(
            f"You are signed in as {_ROLE_WORDS[Role(mine)]}, who can add {given} but not "
            f"{_ROLE_WORDS[Role(role)]}. Ask a team lead.")


def check_first_account(role: Role) -> None:
    """ValidationError unless ``role`` is the role of a laptop's first account."""
    if Role(role) is not FIRST_ACCOUNT_ROLE:
        raise ValidationError(
            "The first account on a laptop is the team lead's: the team lead sets the laptop "
            "up, keeps its recovery code and then adds each colleague's own sign-in with "
            "their role.", field="role")
