"""Who may read and score a case: an actor linked to an expert only where assigned and not conflicted.

An actor who is no expert (office staff, the committee) is not limited here. An actor linked to
an expert record is refused a case whose applicant they have a conflict with (whatever their
roles: staff recuse too), and a case they are not assigned to unless they run the review. Every
refusal says why, cites the rule, and is written into the case's history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from ..errors import Refused
from ..registers.conflicts import KINDS, rule_of
from ..registers.experts import is_manager
from ..store import CaseRow, PartyRow
from ..values import Verdict
from ..views import Actor
from .record import case_row, note, review_of
from .recusal import conflicts_now, refresh
from .tables import AssignmentRow, ExpertRow, PanelMemberRow, PanelRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["denial", "linked_experts", "readable_case_ids", "require_case_access"]


def linked_experts(s: Session, actor: Actor) -> list[ExpertRow]:
    return list(s.exec(select(ExpertRow).where(ExpertRow.staff == actor.name)).all())


def denial(engine: Engine, s: Session, row: CaseRow, actor: Actor, *, need_stage: str | None = None,
           experts: list[ExpertRow] | None = None) -> Verdict | None:
    """Why this actor may not see (or, with `need_stage`, work on) this case; None when they may."""
    _spec, review = review_of(engine, row)
    if review is None:
        return None
    mine = [e for e in (experts if experts is not None else linked_experts(s, actor)) if e.pool == review.pool]
    if not mine:
        return None
    party = s.get(PartyRow, row.party_id)
    assert party is not None
    for expert in mine:
        conflicts = conflicts_now(engine, s, review, expert, party)
        if conflicts:
            c = conflicts[0]
            return Verdict(passed=False, guard="recusal", rule=rule_of(review, c.kind),
                           reason=f"{expert.name} 与申报方 {party.name} 存在利害关系"
                                  f"（{KINDS.get(c.kind, c.kind)}：{c.reason}），须回避，不能查看或评审此案件")
    if need_stage is None and is_manager(engine.catalog, actor, review.pool):
        return None
    if need_stage is not None and not all(e.active for e in mine):
        return Verdict(passed=False, guard="panel", rule=review.rules.pool,
                       reason=f"{'、'.join(e.name for e in mine if not e.active)} 已停用，不能评审")
    ids = [e.id for e in mine]
    q = select(AssignmentRow).where(AssignmentRow.case_id == row.id, col(AssignmentRow.expert_id).in_(ids),
                                    col(AssignmentRow.ended_at).is_(None))
    if need_stage is not None:
        q = q.where(AssignmentRow.stage == need_stage)
    if s.exec(q).first() is None:
        where = f"{review.stages[need_stage].label}" if need_stage in review.stages else "任何评审阶段"
        return Verdict(passed=False, guard="assignment", rule=review.rules.recusal,
                       reason=f"{'、'.join(e.name for e in mine)} 未被分配评审 {row.ref} 的{where}（或分配已结束），"
                              f"不能查看或评审此案件")
    banned = s.exec(select(PanelMemberRow).join(PanelRow, col(PanelMemberRow.panel_id) == col(PanelRow.id))
                    .where(PanelRow.round_id == row.round_id, col(PanelMemberRow.expert_id).in_(ids),
                           PanelMemberRow.status == "removed")).first()
    if banned is not None:
        return Verdict(passed=False, guard="discipline", rule=review.rules.discipline,
                       reason="已被取消本轮评审资格，不能查看或评审此案件")
    return None


def require_case_access(engine: Engine, ref: str | int, actor: Actor, what: str) -> None:
    """Refuse (exit 3) an expert who may not read this case; the attempt is recorded in its history."""
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        experts = linked_experts(s, actor)
        if not experts:
            return
        ids = [e.id for e in experts if e.id is not None]
        party_id = row.party_id
    refresh(engine, expert_ids=ids, party_ids=[party_id])
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        why = denial(engine, s, row, actor)
        if why is None:
            return
        note(engine, s, row, kind="access_refused", actor=actor, comment=why.reason,
             data={"ids": {"guard": why.guard}, "what": what, "rule": why.rule})
        ref_text = row.ref
    engine.after_commit()
    raise Refused(f"{actor.name} 不能{what} {ref_text}", [why])


def readable_case_ids(engine: Engine, s: Session, actor: Actor, cases: list[CaseRow]) -> set[int]:
    """The cases of a list this actor may read (all of them for an actor who is no expert)."""
    experts = linked_experts(s, actor)
    return {c.id for c in cases if c.id is not None and (not experts or denial(engine, s, c, actor, experts=experts) is None)}
