"""Form key -> schema. Templates name forms by key; the engine validates input here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from engine.domain.errors import InvalidInput
from engine.domain.validation import field_errors
from forms.schemas.approval import Approval
from forms.schemas.base import Form
from forms.schemas.duties.cases import (
    AllocationReturnCase,
    AllocationReturnDecision,
    IncidentInvestigation,
    IncidentRegistration,
    IncidentReport,
    ManagerRisk,
    ManagerRiskResponse,
    SafetyRequest,
    SafetyRequestReply,
)
from forms.schemas.duties.change import (
    ChangeParticipation,
    ChangeRegistration,
    ChangeRiskAssessment,
)
from forms.schemas.duties.inspection import (
    InspectionDecision,
    InspectionRegistration,
    InspectionResponse,
)
from forms.schemas.duties.policy import (
    PolicyReview,
    PolicyReviewCase,
    TrainingRenewal,
    TrainingRenewalCase,
)
from forms.schemas.duties.rounds import (
    FindingReview,
    FindingToPlan,
    RoundFinding,
    SafetyRoundParticipation,
    SafetyRoundPlan,
    SafetyRoundProtocol,
)
from forms.schemas.evaluation import AnnualEvaluation
from forms.schemas.followup import MeasureFollowUp
from forms.schemas.plan import ActionPlan
from forms.schemas.plan_header import ActionPlanHeader, PlanReview
from forms.schemas.risk import RiskAssessment
from forms.schemas.roa import RoaMapping, RoaMeasures, RoaReview, RoaTraining
from forms.schemas.rollup import FollowupLevel, FollowupLevelSummary
from forms.schemas.survey import AbsenceReview, SafetyRound, SurveyResults

#: Task forms and the forms a case is registered with (a template's ``subject.form``).
FORMS: dict[str, type[Form]] = {
    "survey_results": SurveyResults,
    "safety_round": SafetyRound,
    "absence_review": AbsenceReview,
    "risk_assessment": RiskAssessment,
    "action_plan": ActionPlan,
    "approval": Approval,
    "measure_follow_up": MeasureFollowUp,
    "annual_evaluation": AnnualEvaluation,
    "inspection_response": InspectionResponse,
    "inspection_registration": InspectionRegistration,
    "change_registration": ChangeRegistration,
    "change_risk_assessment": ChangeRiskAssessment,
    "change_participation": ChangeParticipation,
    "inspection_decision": InspectionDecision,
    "incident_registration": IncidentRegistration,
    "incident_report": IncidentReport,
    "incident_investigation": IncidentInvestigation,
    "safety_request": SafetyRequest,
    "safety_request_reply": SafetyRequestReply,
    "manager_risk": ManagerRisk,
    "manager_risk_response": ManagerRiskResponse,
    "allocation_return_case": AllocationReturnCase,
    "allocation_return_decision": AllocationReturnDecision,
    "policy_review_case": PolicyReviewCase,
    "policy_review": PolicyReview,
    "training_renewal_case": TrainingRenewalCase,
    "training_renewal": TrainingRenewal,
    # safety rounds (safety-round.yaml) and the roll-up of the annual follow-up
    "safety_round_plan": SafetyRoundPlan,
    "safety_round_protocol": SafetyRoundProtocol,
    "safety_round_participation": SafetyRoundParticipation,
    "round_finding": RoundFinding,
    "finding_to_plan": FindingToPlan,
    "finding_review": FindingReview,
    "followup_level": FollowupLevel,
    "followup_level_summary": FollowupLevelSummary,
    "action_plan_header": ActionPlanHeader,
    "plan_review": PlanReview,
    "roa_review": RoaReview,
    "roa_training": RoaTraining,
    "roa_mapping": RoaMapping,
    "roa_measures": RoaMeasures,
}


def register_form(key: str, model: type[Form]) -> None:
    """Add the form schema of a process defined elsewhere (a plug-in, a test); a key is
    registered once."""
    if key in FORMS and FORMS[key] is not model:
        raise ValueError(f"form {key!r} is already registered")
    FORMS[key] = model


def schema_for(form_key: str) -> type[Form]:
    try:
        return FORMS[form_key]
    except KeyError:
        raise InvalidInput.field(
            "form", f"unknown form {form_key!r}", f"okänt formulär {form_key!r}"
        ) from None


def validate(form_key: str, data: Any, context: Mapping[str, Any] | None = None) -> Form:
    """The validated form, or InvalidInput naming every bad field (``risks[2].serious``)."""
    model = schema_for(form_key)
    if not isinstance(data, dict):
        raise InvalidInput.field(
            "", "form data must be a JSON object", "formulärdata måste vara ett JSON-objekt"
        )
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from None
