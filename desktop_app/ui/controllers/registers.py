"""The registers: reviews due (and the Reconsider list), the competency register (with
training, assessments and refreshers), escalations (with the changes of need and funding that
follow decisions up) and the case examples."""

from __future__ import annotations

from PySide6.QtCore import Signal

from desktop_app.models.person_centred import SignpostOccasion
from desktop_app.services import registers
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.roles import Permission
from desktop_app.services.delegation import oversight
from desktop_app.services.people import person_centred as centred
from desktop_app.services.providers import competence
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.registers import (
    CaseExamplesWidget,
    Closure,
    CompetencyRegisterWidget,
    EscalationsWidget,
    ReviewAnswers,
    ReviewsDueWidget,
)
from desktop_app.ui.registers.funding_decisions import CsuResult, CsuRouting
from desktop_app.ui.registers.reconciliation import ReconciliationEntry
from desktop_app.ui.registers.review_signposting import SignpostingAfterReview
from desktop_app.ui.registers.reviews import Acceptance


class RegistersController(FeatureController):
    """Binds the register screens to the registers' services; hides what the role cannot do."""

    form_requested = Signal(str)  # discussion id: its shared care form to preview and print

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context)
        uow, run, today, can = context.uow, context.run, context.today, context.can
        self.reviews_screen = ReviewsDueWidget(
            run, lambda: registers.reviews_due(uow(), today()),
            self._record_review if can(Permission.RECORD_REVIEW) else None, today,
            lambda: registers.reconsider_list(uow(), today()),
            awaiting=lambda: oversight.oversight_awaiting_acceptance(uow(), today()),
            accept=self._accept_oversight if (can(Permission.RECORD_REVIEW)
                                              or can(Permission.DELEGATE)) else None,
            signpost_services=self._signpost_services if (can(Permission.RECORD_REVIEW)
                                                          and can(Permission.EDIT_PEOPLE))
            else None)
        manage = can(Permission.MANAGE_COMPETENCY)
        self.competency_screen = CompetencyRegisterWidget(
            run, lambda: registers.competency_register(uow(), today(), include_superseded=True),
            self._withdraw_sign_off if manage else None,
            choices=lambda: registers.assessment_choices(uow()),
            record_assessment=self._record_assessment if manage else None,
            record_refresher=self._record_refresher if manage else None,
            record_training=self._record_training if manage else None, today=today)
        closer = can(Permission.CLOSE_DISCUSSION)
        self.escalations_screen = EscalationsWidget(
            run, lambda: registers.escalations(uow(), today()),
            self._close_discussion if closer else None,
            lambda: registers.changes_of_need_awaiting_mdt(uow(), today()), today,
            lambda: registers.funding_to_reconsider(uow(), today()),
            self._funding_reconsidered if closer else None,
            interim=lambda: registers.interim_to_reconcile(uow(), today()),
            reconcile=self._reconcile_interim if closer else None,
            csu_routed=self._csu_routed if closer else None,
            csu_result=self._csu_result if closer else None)
        self.escalations_screen.form_requested.connect(self.form_requested)
        self.examples_screen = CaseExamplesWidget(
            run, lambda text, category, theme: registers.case_examples(uow(), text, category,
                                                                       theme),
            lambda: registers.case_example_themes(uow()), registers.task_categories())

    def screens(self) -> tuple[Screen, ...]:
        """Reviews due, competency, escalations and case examples."""
        return (Screen("reviews", self.tr("Reviews due"), self.reviews_screen),
                Screen("competency", self.tr("Competency register"), self.competency_screen),
                Screen("escalations", self.tr("Escalations"), self.escalations_screen),
                Screen("examples", self.tr("Case examples"), self.examples_screen))

    # The actions below run on the database thread (the screens run them through ``run``).

    def _record_review(self, a: ReviewAnswers
                       ) -> registers.RecordedReview | SignpostingAfterReview:
        """The review; then, in a unit of work of its own, the signposting given at it. The
        signposting is checked first: refused, nothing is saved and the dialog says it
        beside its field; a refusal only on saving it leaves the review recorded and is
        said."""
        uow, today = self.context.uow(), self.context.today()
        given = a.signposting
        entry = None if given is None else centred.SignpostingInput(
            a.done_on, SignpostOccasion.REVIEW.value, given.for_whom, given.action,
            given.service, given.note, review_id=a.review_id)
        if entry is not None:
            centred.check_signposting(entry, today)
        recorded = registers.record_review(uow, a.review_id, a.done_on, a.outcome, a.stable,
                                           a.competence_current, a.serious_incident, a.notes,
                                           today)
        if given is None or entry is None:
            return recorded
        try:
            centred.record_signposting(uow, given.person_id, entry,
                                       self.context.user.display_name, today)
        except ExpectedError as refused:
            return SignpostingAfterReview(recorded, given.service, refused.message)
        return SignpostingAfterReview(recorded, given.service)

    def _signpost_services(self) -> list[str]:
        return [option.name for option in centred.signposting_services(self.context.uow())]

    def _accept_oversight(self, a: Acceptance) -> None:
        oversight.record_oversight_accepted(self.context.uow(), a.oversight_id, a.accepted_on,
                                            self.context.today())

    def _withdraw_sign_off(self, sign_off_id: str, reason: str) -> None:
        registers.withdraw_sign_off(self.context.uow(), sign_off_id, reason)

    def _record_assessment(self, data: competence.AssessmentInput) -> competence.AssessmentRow:
        return competence.record_assessment(self.context.uow(), data, self.context.today())

    def _record_refresher(self, data: competence.AssessmentInput) -> competence.AssessmentRow:
        return competence.record_refresher(self.context.uow(), data, self.context.today())

    def _record_training(self, data: competence.TrainingInput) -> competence.TrainingRow:
        return competence.record_training(self.context.uow(), data, self.context.today())

    def _close_discussion(self, c: Closure) -> registers.ClosedDiscussion:
        return registers.close_discussion(self.context.uow(), c.discussion_id, c.decision,
                                          c.themes, c.closed_on, c.make_case_example,
                                          today=self.context.today(), agreed=c.agreed)

    def _reconcile_interim(self, e: ReconciliationEntry) -> registers.ReconciledInterim:
        return registers.reconcile_interim(self.context.uow(), e.case_id, e.period_from,
                                           e.period_to, e.repayments, e.notes, e.reconciled_on,
                                           self.context.today())

    def _csu_routed(self, r: CsuRouting) -> None:
        registers.record_csu_routed(self.context.uow(), r.discussion_id, r.on,
                                    self.context.today())

    def _csu_result(self, r: CsuResult) -> None:
        registers.record_csu_result(self.context.uow(), r.discussion_id, r.result, r.on,
                                    self.context.today())

    def _funding_reconsidered(self, case_id: str) -> None:
        today = self.context.today()
        registers.record_funding_reconsidered(self.context.uow(), case_id, today, today)
