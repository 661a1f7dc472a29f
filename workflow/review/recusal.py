"""Recusal that cannot be bypassed: a conflict found at any moment ends the expert's work on the applicant.

Every path that lets an expert near a case (assignment, reading, scoring, feedback, the step
itself) first refreshes the expert's conflicts with the applicant. A newly found conflict is
stored, the expert's assignments on the applicant's cases end at once, and their scores drop
out of the totals while staying, marked, in the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from ..registers.conflicts import KINDS, SOURCES, ensure_detected
from ..specs.review import ReviewSpec
from ..store import CaseRow, PartyRow
from ..timing.clock import local_date
from ..views import Actor
from .record import note
from .tables import AssignmentRow, ConflictRow, ExpertRow, ScoreRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["conflicts_now", "end_work", "refresh"]

SYSTEM = Actor(name="system", roles=("system",), on_roster=True)


def end_work(engine: Engine, s: Session, *, expert: ExpertRow, cases: Iterable[CaseRow], reason: str, actor: Actor,
             kind: str = "review_recused") -> int:
    """End the expert's active assignments on these cases and take their scores out of the totals.

    Returns the number of cases touched; each gets one history event naming what ended and why.
    """
    now = engine.clock()
    touched = 0
    for row in cases:
        assignments = s.exec(select(AssignmentRow).where(AssignmentRow.case_id == row.id,
                                                         AssignmentRow.expert_id == expert.id,
                                                         col(AssignmentRow.ended_at).is_(None))).all()
        scores = s.exec(select(ScoreRow).where(ScoreRow.case_id == row.id, ScoreRow.expert_id == expert.id,
                                               col(ScoreRow.recused_at).is_(None))).all()
        if not assignments and not scores:
            continue
        review = engine.spec_of(row).review
        labels = {k: v.label for k, v in review.stages.items()} if review else {}
        for a in assignments:
            a.ended_at, a.end_reason = now, reason
            s.add(a)
        for sc in scores:
            sc.recused_at, sc.recused_reason = now, reason
            s.add(sc)
        s.flush()
        note(engine, s, row, kind=kind, actor=actor, comment=reason,
             data={"ids": {"expert": expert.id, "assignments": [a.id for a in assignments],
                           "scores": [sc.id for sc in scores]},
                   "expert_name": expert.name,
                   "assignments_ended": "、".join(labels.get(a.stage, a.stage) for a in assignments) or "无",
                   "scores_dropped": "、".join(f"{labels.get(sc.stage, sc.stage)} {sc.total} 分"
                                               + ("（已被取代）" if sc.superseded else "") for sc in scores) or "无"})
        touched += 1
    return touched


def _party_cases(s: Session, party_id: int) -> list[CaseRow]:
    return list(s.exec(select(CaseRow).where(CaseRow.party_id == party_id).order_by(col(CaseRow.id))).all())


def conflicts_now(engine: Engine, s: Session, review: ReviewSpec, expert: ExpertRow, party: PartyRow) -> list[ConflictRow]:
    """The expert's active conflicts with the applicant, after storing any the records now show.

    A newly detected conflict recuses the expert from every case of the applicant at once.
    """
    now = engine.clock()
    orgs: list[str] = []
    if party.kind == "person" and review.applicant_org_field is not None:
        orgs = [str(c.data.get(review.applicant_org_field) or "") for c in _party_cases(s, party.id or 0)]
    rows, new = ensure_detected(s, review, expert, party, local_date(now), now, orgs)
    for c in new:
        cases = _party_cases(s, party.id or 0)
        for row in cases:
            spec = engine.spec_of(row)
            if spec.review is not None and spec.review.pool == expert.pool:
                note(engine, s, row, kind="conflict_recorded", actor=SYSTEM, comment=c.reason,
                     data={"ids": {"conflict": c.id, "expert": expert.id, "kind": c.kind, "source": c.source},
                           "expert_name": expert.name, "kind_label": KINDS.get(c.kind, c.kind),
                           "source_label": SOURCES.get(c.source, c.source), "rule": review.rules.recusal})
        end_work(engine, s, expert=expert, cases=cases, actor=SYSTEM,
                 reason=f"发现利害关系（{KINDS.get(c.kind, c.kind)}：{c.reason}），依规回避")
    return rows


def _pairs(s: Session, expert_ids: Iterable[int] | None,
           party_ids: Iterable[int] | None) -> list[tuple[ExpertRow, PartyRow]]:
    """The (expert, applicant) pairs to re-check: those named, else where it matters now: each
    member of a panel still in office against the applicants of the panel's round with open cases."""
    from .tables import PanelMemberRow, PanelRow

    if expert_ids is not None or party_ids is not None:
        q = select(ExpertRow)
        if expert_ids is not None:
            q = q.where(col(ExpertRow.id).in_(list(expert_ids)))
        p = select(PartyRow)
        if party_ids is not None:
            p = p.where(col(PartyRow.id).in_(list(party_ids)))
        experts, parties = list(s.exec(q).all()), list(s.exec(p).all())
        return [(e, pa) for e in experts for pa in parties]
    rows = s.exec(select(ExpertRow, PartyRow)
                  .join(PanelMemberRow, col(PanelMemberRow.expert_id) == col(ExpertRow.id))
                  .join(PanelRow, col(PanelRow.id) == col(PanelMemberRow.panel_id))
                  .join(CaseRow, col(CaseRow.round_id) == col(PanelRow.round_id))
                  .join(PartyRow, col(PartyRow.id) == col(CaseRow.party_id))
                  .where(col(PanelRow.dissolved_at).is_(None), col(CaseRow.closed).is_(False))).all()
    return list({(e.id, pa.id): (e, pa) for e, pa in rows}.values())


def refresh(engine: Engine, *, expert_ids: Iterable[int] | None = None, party_ids: Iterable[int] | None = None) -> None:
    """Re-run detection for these experts (or all of a pool's) against these applicants, in its own transaction.

    Called before an action that could be refused, so that a conflict found on the way is kept
    (and its recusal done) even when the action itself is refused.
    """
    with engine.db.session() as s:
        reviews = {sp.review.pool: sp.review for sp in engine.catalog.specs() if sp.review is not None}
        for expert, party in _pairs(s, expert_ids, party_ids):
            review = reviews.get(expert.pool)
            if review is not None:
                conflicts_now(engine, s, review, expert, party)
    engine.after_commit()
