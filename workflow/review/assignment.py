"""Assigning panel members to a review stage of a case: by hand, or for a whole round, balanced.

Never a conflicted expert: conflicts are refreshed first, and a conflicted expert is refused
(by hand) or skipped (round). A round assignment gives each case of the stage the number of
experts the definition sets, least-loaded member first, so that the busiest and the idlest
member differ by at most one case wherever conflicts leave the choice open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from ..errors import InvalidInput, Refused
from ..registers.conflicts import KINDS, active, rule_of
from ..registers.experts import Experts, require_manager
from ..specs.model import ProcessSpec
from ..specs.review import ReviewSpec, ReviewStageSpec
from ..store import CaseRow, PartyRow, utc
from ..values import Verdict
from ..views import Actor
from .panels import member_status, panel_row, require_open, round_review
from .record import case_row, note, review_of
from .recusal import refresh
from .tables import AssignmentRow, ExpertRow, PanelMemberRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["AssignmentView", "assign", "assign_round", "assignments", "stage_of"]


@dataclass(frozen=True, kw_only=True, slots=True)
class AssignmentView:
    """One expert on one stage of one case; `ended_at`/`end_reason` once recused or disqualified."""

    id: int
    case_ref: str
    stage: str
    stage_label: str
    expert_id: int
    expert: str
    assigned_by: str
    assigned_at: datetime
    ended_at: datetime | None
    end_reason: str | None


def stage_of(review: ReviewSpec, stage: str) -> ReviewStageSpec:
    if stage not in review.stages:
        options = "、".join(f"{k}（{v.label}）" for k, v in review.stages.items())
        raise InvalidInput(f"没有评审阶段 {stage!r}；可选：{options}")
    return review.stages[stage]


def _active_on(s: Session, case_id: int | None, stage: str) -> list[AssignmentRow]:
    return list(s.exec(select(AssignmentRow).where(AssignmentRow.case_id == case_id, AssignmentRow.stage == stage,
                                                   col(AssignmentRow.ended_at).is_(None))).all())


def _eligible(s: Session, round_id: str, review: ReviewSpec, expert: ExpertRow, party: PartyRow) -> Verdict | None:
    """Why this expert may not be assigned to this applicant's case in this round (None: may)."""
    status = member_status(s, round_id, expert.id or 0)
    if status is None:
        return Verdict(passed=False, guard="panel", rule=review.rules.panel,
                       reason=f"{expert.name} 不是 {round_id} 评审组的成员，只有评审组成员才能分配")
    if status == "removed":
        return Verdict(passed=False, guard="discipline", rule=review.rules.discipline,
                       reason=f"{expert.name} 已被取消本轮评审资格")
    if not expert.active:
        return Verdict(passed=False, guard="panel", rule=review.rules.pool, reason=f"{expert.name} 已停用")
    conflicts = active(s, expert.id or 0, party.id or 0)
    if conflicts:
        c = conflicts[0]
        return Verdict(passed=False, guard="recusal", rule=rule_of(review, c.kind),
                       reason=f"{expert.name} 与申报方 {party.name} 存在利害关系"
                              f"（{KINDS.get(c.kind, c.kind)}：{c.reason}），须回避")
    return None


def _add(engine: Engine, s: Session, row: CaseRow, spec: ProcessSpec, stage: str, expert: ExpertRow,
         actor: Actor, how: str) -> AssignmentRow:
    a = AssignmentRow(case_id=row.id or 0, stage=stage, expert_id=expert.id or 0, assigned_by=actor.name,
                      assigned_at=engine.clock())
    s.add(a)
    s.flush()
    review = spec.review
    assert review is not None
    note(engine, s, row, kind="review_assigned", actor=actor,
         data={"ids": {"stage": stage, "expert": expert.id, "how": how}, "stage_label": review.stages[stage].label,
               "expert_name": expert.name, "how_label": "整轮均衡分配" if how == "round" else "逐案指定"})
    return a


def assign(engine: Engine, ref: str, stage: str, experts: Sequence[str], actor: Actor) -> list[AssignmentView]:
    """Assign named panel members to one stage of one case; refuses the whole call if any may not serve."""
    if not experts:
        raise InvalidInput("须用 --expert 指定至少一位专家（编号或姓名，可重复）")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec, review = review_of(engine, row)
        if review is None:
            raise InvalidInput(f"{row.ref} 的流程没有专家评审")
        ids = [registry.row(s, e, review.pool).id for e in experts]
        party_id = row.party_id
    refresh(engine, expert_ids=[i for i in ids if i is not None], party_ids=[party_id])
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec, review = review_of(engine, row)
        assert review is not None
        require_manager(engine.catalog, actor, review.pool, "分配评审专家")
        st = stage_of(review, stage)
        require_open(s, panel_row(s, row.round_id), review)
        if row.closed:
            raise Refused(f"{row.ref} 已办结（{spec.label_of(row.state)}），不能再分配评审专家")
        party = s.get(PartyRow, row.party_id)
        assert party is not None
        current = _active_on(s, row.id, stage)
        failures: list[Verdict] = []
        chosen: list[ExpertRow] = []
        for i in ids:
            expert = s.get(ExpertRow, i)
            assert expert is not None
            why = _eligible(s, row.round_id, review, expert, party)
            if why is None and any(a.expert_id == expert.id for a in current):
                why = Verdict(passed=False, guard="assignment", rule=st.rule,
                              reason=f"{expert.name} 已分配评审 {row.ref} 的{st.label}")
            if why is not None:
                failures.append(why)
            elif expert not in chosen:
                chosen.append(expert)
        if len(current) + len(chosen) > st.experts and not failures:
            failures.append(Verdict(passed=False, guard="assignment", rule=st.rule,
                                    reason=f"{st.label}每件案件 {st.experts} 位专家，已有 {len(current)} 位，"
                                           f"不能再分配 {len(chosen)} 位"))
        if failures:
            raise Refused(f"不能为 {row.ref} 分配{st.label}专家", failures)
        added = [_add(engine, s, row, spec, stage, e, actor, "by_hand") for e in chosen]
        views = [_view(row, review, a, e) for a, e in zip(added, chosen, strict=True)]
    engine.after_commit()
    return views


def assign_round(engine: Engine, round_id: str, stage: str, actor: Actor) -> list[AssignmentView]:
    """Give every case of the round now in the stage its number of experts, balancing the members' load."""
    with engine.db.session() as s:
        _round, _spec, review = round_review(engine, s, round_id)
        st = stage_of(review, stage)
        panel = panel_row(s, round_id)
        members = [m.expert_id for m in s.exec(select(PanelMemberRow).where(PanelMemberRow.panel_id == panel.id)).all()]
        parties = [c.party_id for c in s.exec(select(CaseRow).where(CaseRow.round_id == round_id,
                                                                    CaseRow.state == st.state)).all()]
    refresh(engine, expert_ids=members, party_ids=parties)
    with engine.db.session() as s:
        _round_row, spec, review = round_review(engine, s, round_id)
        require_manager(engine.catalog, actor, review.pool, "分配评审专家")
        st = stage_of(review, stage)
        panel = panel_row(s, round_id)
        require_open(s, panel, review)
        cases = list(s.exec(select(CaseRow).where(CaseRow.round_id == round_id, CaseRow.state == st.state)
                            .order_by(col(CaseRow.id))).all())
        if not cases:
            raise InvalidInput(f"{round_id} 没有处于“{spec.label_of(st.state)}”的案件，无需分配{st.label}专家")
        experts = [s.get(ExpertRow, i) for i in members]
        load: dict[int, int] = {}
        for e in experts:
            assert e is not None and e.id is not None
            load[e.id] = len(s.exec(select(AssignmentRow.id).join(CaseRow, col(AssignmentRow.case_id) == col(CaseRow.id))
                                    .where(CaseRow.round_id == round_id, AssignmentRow.stage == stage,
                                           AssignmentRow.expert_id == e.id,
                                           col(AssignmentRow.ended_at).is_(None))).all())
        plan: list[tuple[CaseRow, list[ExpertRow]]] = []
        shortages: list[Verdict] = []
        options: dict[int, list[ExpertRow]] = {}
        for row in cases:
            party = s.get(PartyRow, row.party_id)
            assert party is not None
            taken = {a.expert_id for a in _active_on(s, row.id, stage)}
            options[row.id or 0] = [e for e in experts if e is not None and e.id not in taken
                                    and _eligible(s, round_id, review, e, party) is None]
        # Most constrained case first, so that a case with few eligible experts is not left without.
        for row in sorted(cases, key=lambda c: (len(options[c.id or 0]), c.id or 0)):
            need = st.experts - len(_active_on(s, row.id, stage))
            if need <= 0:
                continue
            pool = sorted(options[row.id or 0], key=lambda e: (load[e.id or 0], e.id or 0))
            if len(pool) < need:
                shortages.append(Verdict(passed=False, guard="assignment", rule=review.rules.recusal,
                                         reason=f"{row.ref} 需要 {need} 位专家，评审组中无利害关系、可分配的只有 {len(pool)} 位"))
                continue
            picked = pool[:need]
            for e in picked:
                load[e.id or 0] += 1
            plan.append((row, picked))
        if shortages:
            raise Refused(f"{round_id} 的{st.label}未分配（评审组人数不足，请增补评审组成员或按规定处理）", shortages)
        views = []
        for row, picked in sorted(plan, key=lambda p: p[0].id or 0):
            for e in picked:
                a = _add(engine, s, row, spec, stage, e, actor, "round")
                views.append(_view(row, review, a, e))
    engine.after_commit()
    return views


def assignments(engine: Engine, ref: str) -> list[AssignmentView]:
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        _spec, review = review_of(engine, row)
        if review is None:
            return []
        rows = s.exec(select(AssignmentRow, ExpertRow).join(ExpertRow, col(AssignmentRow.expert_id) == col(ExpertRow.id))
                      .where(AssignmentRow.case_id == row.id).order_by(col(AssignmentRow.id))).all()
        return [_view(row, review, a, e) for a, e in rows]


def _view(row: CaseRow, review: ReviewSpec, a: AssignmentRow, e: ExpertRow) -> AssignmentView:
    assert a.id is not None and e.id is not None
    return AssignmentView(id=a.id, case_ref=row.ref, stage=a.stage,
                          stage_label=review.stages[a.stage].label if a.stage in review.stages else a.stage,
                          expert_id=e.id, expert=e.name, assigned_by=a.assigned_by, assigned_at=utc(a.assigned_at),
                          ended_at=utc(a.ended_at) if a.ended_at else None, end_reason=a.end_reason)
