"""The review's part in every step: recusal on the step itself, the stage's minimum scores, joining the pool.

Installed as an engine hook, so it runs inside the step's transaction: a refusal here rolls the
whole step back (state, history, timers, notifications), as a guard's would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ..abc import Step
from ..errors import Refused
from ..registers.conflicts import KINDS, rule_of
from ..registers.experts import add_winners
from ..specs.model import ProcessSpec
from ..store import CaseRow, EventRow, PartyRow, Prepared, values_of
from ..values import Verdict
from ..views import Actor
from .record import note
from .recusal import conflicts_now
from .tables import AssignmentRow, ExpertRow, ScoreRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["ReviewHook", "install"]

SYSTEM = Actor(name="system", roles=("system",), on_roster=True)


@dataclass(kw_only=True)
class ReviewHook:
    """The review's `StepHook`: refuses a conflicted actor and a stage left without its scores,
    and adds winners to the pool, inside the step's transaction."""

    engine: Engine

    def on_step(self, step: Step) -> None:
        s, row, event, spec, transition = step.session, step.case, step.event, step.spec, step.transition
        review = spec.review
        if review is None or transition is None:
            return
        _no_conflicted_actor(self.engine, s, row, event, spec)
        source = values_of(event)["source"]
        for stage_id, stage in review.stages.items():
            if source == stage.state and transition.trigger in stage.leave and stage.min_scores \
                    and _reviewed_here(s, row, stage_id):
                n = len(s.exec(select(ScoreRow.id).where(ScoreRow.case_id == row.id, ScoreRow.stage == stage_id,
                                                         col(ScoreRow.superseded).is_(False),
                                                         col(ScoreRow.recused_at).is_(None))).all())
                if n < stage.min_scores:
                    raise Refused(f"{row.ref}：不能执行“{transition.label}”",
                                  [Verdict(passed=False, guard="min_scores", rule=stage.rule,
                                           reason=f"{stage.label}只有 {n} 份有效评分，离开本阶段至少需要 "
                                                  f"{stage.min_scores} 份（award review score）")])
        join = review.join_pool
        if join is not None and transition.trigger in join.triggers:
            _join_pool(self.engine, s, row, spec)


def install(engine: Engine) -> None:
    """Give the engine its review hook (run after timers and the outbox, in the same transaction)."""
    engine.review = ReviewHook(engine=engine)


def _reviewed_here(s: Session, row: CaseRow, stage: str) -> bool:
    """The stage is run in the system once an expert is assigned to it; a case reviewed on paper
    before the office used expert assignment (no assignment at all) is not held by `min_scores`."""
    return s.exec(select(AssignmentRow.id).where(AssignmentRow.case_id == row.id,
                                                 AssignmentRow.stage == stage)).first() is not None


def _no_conflicted_actor(engine: Engine, s: Session, row: CaseRow, event: EventRow, spec: ProcessSpec) -> None:
    """An actor linked to an expert with a conflict against the applicant (on record or shown by the
    records now) may not move the case."""
    review = spec.review
    assert review is not None
    if _IS_EXPERT.first(s, {"staff": values_of(event)["actor"], "pool": review.pool}) is None:
        return  # the usual step: the actor is no expert of the pool (one indexed lookup, no ORM rows)
    party = s.get(PartyRow, row.party_id)
    assert party is not None
    for expert in s.exec(select(ExpertRow).where(ExpertRow.staff == event.actor, ExpertRow.pool == review.pool)).all():
        conflicts = conflicts_now(engine, s, review, expert, party)
        if conflicts:
            c = conflicts[0]
            raise Refused(f"{event.actor} 须回避，不能办理 {row.ref}",
                          [Verdict(passed=False, guard="recusal", rule=rule_of(review, c.kind),
                                   reason=f"{expert.name} 与申报方存在利害关系（{KINDS.get(c.kind, c.kind)}：{c.reason}）")])


def _is_expert() -> Any:
    table = ExpertRow.__table__  # type: ignore[attr-defined]
    return (sa_select(table.c.id).where(table.c.staff == bindparam("staff"), table.c.pool == bindparam("pool"))
            .limit(1))


_IS_EXPERT = Prepared(_is_expert)


def _join_pool(engine: Engine, s: Session, row: CaseRow, spec: ProcessSpec) -> None:
    review = spec.review
    assert review is not None and review.join_pool is not None
    join = review.join_pool
    party = s.get(PartyRow, row.party_id)
    assert party is not None and row.id is not None
    people: list[tuple[str, str | None]] = []
    org_name: str | None = party.name
    org_code: str | None = party.code
    if party.kind == "person":
        if join.party_if_person:
            people.append((party.name, None))
            employer = row.data.get(join.person_org_field) if join.person_org_field else None
            org_name, org_code = (str(employer) if employer else None), None
    elif join.field is not None:
        for line in str(row.data.get(join.field) or "").splitlines():
            name, _sep, title = line.replace("，", ",").partition(",")
            if name.strip():
                people.append((name.strip(), title.strip() or None))
    added = add_winners(s, pool=review.pool, people=people, org_name=org_name, org_code=org_code, case_id=row.id,
                        now=engine.clock())
    if added:
        note(engine, s, row, kind="experts_joined", actor=SYSTEM,
             comment=f"列入{review.pool_label}：" + "、".join(added),
             data={"ids": {"pool": review.pool, "names": added}, "names": "、".join(added), "rule": join.rule})
