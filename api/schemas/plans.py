"""Reply shapes of the plans (in their own right) and the positions and groups routes
(read from ``engine.plans.own`` and ``engine.org.positions`` by attribute)."""

from __future__ import annotations

from datetime import date

from api.schemas import Out


class CountsOut(Out):
    total: int
    open: int
    done: int
    late: int  # open past the end of the due period, judged at the plan's own day


class PlanRowOut(Out):
    id: int
    cycle_id: int
    case_id: int | None  # None: the plan of a unit's annual cycle
    title: str
    scope: str  # unit | department | administration | theme
    theme: str
    unit: str
    unit_code: str
    plan_date: date | None
    year: int
    stage: str | None
    status: str
    established: str | None  # "fastställd vid FSG 2027-05-20"
    counts: CountsOut


class ParticipantOut(Out):
    name: str
    organisation: str


class PlanTaskOut(Out):
    id: int
    key: str
    status: str
    due: date


class PlanOut(Out):
    plan: PlanRowOut
    responsible_manager: str
    #: the plan's own review rhythm: every so many months from its plan date, and dates
    follow_up_months: int | None
    review_dates: list[date]
    #: when the open review of the plan as a whole is due (none open: null)
    next_review: date | None
    participants: list[ParticipantOut]
    #: what still keeps the plan from being established (Swedish), empty once it is
    not_yet_established: list[str]
    tasks: list[PlanTaskOut]
    importable: bool


class PlanCreatedOut(Out):
    plan_id: int
    case_id: int
    cycle_id: int


class HolderSpanOut(Out):
    name: str
    email: str
    valid_from: date
    valid_to: date | None
    current: bool


class PositionOut(Out):
    title: str
    unit_code: str
    unit_name: str
    holder: str | None  # today
    holders: list[HolderSpanOut]


class MemberOut(Out):
    name: str
    email: str


class GroupOut(Out):
    name: str
    unit_code: str
    unit_name: str
    kind: str  # members | management_team
    convener: str | None  # today
    members: list[MemberOut]
