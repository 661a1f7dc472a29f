"""The `review:` key of a definition: the expert pool it draws on, its review stages and their scoring.

A stage belongs to one state of the procedure: while a case is in that state, the
stage's experts read and score it. Which triggers end the stage, how many scores it
needs before a case may leave it, and which triggers the shortlist fires are all
declared here, each citing its rule.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PoolJoinSpec", "ReviewRules", "ReviewSpec", "ReviewStageSpec", "ShortlistSpec"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class ShortlistSpec(_Frozen):
    """The one step that selects from a stage's ranking.

    Attributes:
        select: the trigger fired for the chosen cases.
        reject: the trigger fired for the others (their feedback notification is the trigger's).
        report_field: the form field the stage's report goes into (filled from the experts' comments when empty).
        rule: the rule the step implements.
    """

    select: str
    reject: str
    report_field: str | None = None
    rule: str


class ReviewStageSpec(_Frozen):
    """One review stage.

    Attributes:
        label: the Chinese name (资料评审).
        state: the state a case is in during this stage.
        experts: how many panel members a round assignment gives each case.
        min_scores: scores needed before any of `leave` may fire (0: none required).
        scoring: the scoring table id (a file `scoring/<id>.yaml` beside the definition); None: no scores.
        leave: the triggers that end the stage, gated by `min_scores`.
        tie_break: a category of the scoring table whose mean breaks ties in the ranking.
        shortlist: the selection step, if the stage has one.
        rule: the rule that sets up the stage.
    """

    label: str
    state: str
    experts: int = Field(ge=1)
    min_scores: int = Field(default=0, ge=0)
    scoring: str | None = None
    leave: list[str] = Field(default_factory=list)
    tie_break: str | None = None
    shortlist: ShortlistSpec | None = None
    rule: str


class PoolJoinSpec(_Frozen):
    """Who joins the pool when a case is awarded, and on which triggers.

    Attributes:
        triggers: the triggers (an award) after which they join.
        field: a form field listing the organisation's senior managers (one a line: 姓名 or 姓名,职务).
        party_if_person: a person who wins joins the pool in person.
        person_org_field: the form field with a winning person's organisation (recorded with them).
        rule: the rule.
    """

    triggers: list[str]
    field: str | None = None
    party_if_person: bool = True
    person_org_field: str | None = None
    rule: str


class ReviewRules(_Frozen):
    """The rules a refusal cites: panel per round, recusal, registered coaching, feedback, discipline."""

    pool: str
    panel: str
    recusal: str
    coaching: str
    feedback: str
    discipline: str


class ReviewSpec(_Frozen):
    """The review of one procedure.

    Attributes:
        pool: the id of the expert pool (an issuer's: experts of one pool serve its procedures).
        pool_label: its Chinese name.
        managers: the roles that run the review (form panels, assign, enter conflicts); they are not experts.
        conflict_years: how many years back employment or consulting for an applicant is a conflict.
        applicant_org_field: the form field naming an individual applicant's organisation; an expert of
            the organisation of that name has a conflict (an individual's employer has no credit code here).
        rules: the rule ids the review cites.
        stages: stage id -> stage, in procedure order.
        join_pool: winners joining the pool.
        ranking_order: how ties are broken, stated (the table's tie-break category, then more scores, then case number).
    """

    pool: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    pool_label: str
    managers: list[str] = Field(min_length=1)
    conflict_years: int = Field(ge=0)
    applicant_org_field: str | None = None
    rules: ReviewRules
    stages: dict[str, ReviewStageSpec]
    join_pool: PoolJoinSpec | None = None
    ranking_order: Literal["mean_tiebreak_count_ref"] = "mean_tiebreak_count_ref"
