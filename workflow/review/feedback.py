"""Two-way feedback on discipline: applicants rate the experts, experts rate the applicant, per case and stage.

Ratings are 1 (poor) to 5 (exemplary). The applicant's rating of an expert is entered by the office
from the applicant's form; an expert rates the applicant as themselves (or the office enters it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from ..errors import InvalidInput, Refused
from ..registers.conflicts import KINDS, active, rule_of
from ..registers.experts import Experts, is_manager
from ..store import CaseRow
from ..values import Verdict
from ..views import Actor
from .access import linked_experts
from .assignment import stage_of
from .panels import round_review
from .record import case_row, note, review_of
from .recusal import refresh
from .tables import AssignmentRow, ExpertRow, FeedbackRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["DIRECTIONS", "ExpertFeedback", "give", "summary"]

DIRECTIONS = {"of_expert": "申报方评价专家纪律", "of_applicant": "专家评价申报方守纪"}


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpertFeedback:
    """One expert's feedback in a round: ratings received from applicants and given to them."""

    expert_id: int
    expert: str
    received: int
    received_mean: float | None
    given: int
    given_mean: float | None
    low: tuple[str, ...]


def give(engine: Engine, ref: str, *, stage: str, expert_ref: str, direction: str, rating: int,
         comment: str | None, actor: Actor) -> int:
    """Record one rating; the expert must have been assigned to that stage of the case."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"--of 须为 expert（申报方评价专家）或 applicant（专家评价申报方），收到 {direction!r}")
    if not 1 <= rating <= 5:
        raise InvalidInput(f"评价须为 1 到 5 的整数（1 差，5 优），收到 {rating}")
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        _spec, review = review_of(engine, row)
        if review is None:
            raise InvalidInput(f"{row.ref} 的流程没有专家评审")
        st = stage_of(review, stage)
        expert = registry.row(s, expert_ref, review.pool)
        mine = {e.id for e in linked_experts(s, actor) if e.pool == review.pool}
        manager = is_manager(engine.catalog, actor, review.pool)
        rule = review.rules.feedback
        if direction == "of_expert" and not manager:
            raise Refused("申报方对专家的评价由办公室据申报方的评价表录入",
                          [Verdict(passed=False, guard="role", rule=rule, reason="只有办公室可录入申报方的评价")])
        if direction == "of_applicant" and expert.id not in mine and not manager:
            raise Refused(f"{actor.name} 不能以 {expert.name} 的名义评价申报方",
                          [Verdict(passed=False, guard="role", rule=rule, reason="专家只能以本人身份评价")])
        served = s.exec(select(AssignmentRow).where(AssignmentRow.case_id == row.id, AssignmentRow.stage == stage,
                                                    AssignmentRow.expert_id == expert.id)).first()
        if served is None:
            raise Refused(f"{expert.name} 未参加 {row.ref} 的{st.label}，不能就此评价",
                          [Verdict(passed=False, guard="assignment", rule=rule, reason="双向评价限于参加该阶段评审的专家")])
        expert_id, party_id = expert.id, row.party_id
    refresh(engine, expert_ids=[expert_id or 0], party_ids=[party_id])
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        expert = s.get(ExpertRow, expert_id)
        assert expert is not None
        conflicts = active(s, expert.id or 0, row.party_id)
        if conflicts and direction == "of_applicant":
            raise Refused(f"{expert.name} 与申报方存在利害关系，已回避，不能评价申报方",
                          [Verdict(passed=False, guard="recusal", rule=rule_of(review, conflicts[0].kind),
                                   reason=f"{KINDS.get(conflicts[0].kind, conflicts[0].kind)}：{conflicts[0].reason}")])
        fb = FeedbackRow(case_id=row.id or 0, stage=stage, expert_id=expert.id or 0, direction=direction,
                         rating=rating, comment=(comment or "").strip() or None, entered_by=actor.name,
                         entered_at=engine.clock())
        s.add(fb)
        s.flush()
        note(engine, s, row, kind="review_feedback", actor=actor, comment=fb.comment,
             data={"ids": {"stage": stage, "expert": expert.id, "direction": direction},
                   "stage_label": review.stages[stage].label, "expert_name": expert.name,
                   "direction_label": DIRECTIONS[direction], "rating": rating, "rule": rule})
        assert fb.id is not None
        fid = fb.id
    engine.after_commit()
    return fid


def summary(engine: Engine, round_id: str) -> tuple[list[ExpertFeedback], dict[str, float | int | None]]:
    """Per expert of the round (received from applicants, given to them) and the round's overall figures."""
    with engine.db.session() as s:
        round_review(engine, s, round_id)
        rows = s.exec(select(FeedbackRow, ExpertRow, CaseRow)
                      .join(ExpertRow, col(FeedbackRow.expert_id) == col(ExpertRow.id))
                      .join(CaseRow, col(FeedbackRow.case_id) == col(CaseRow.id))
                      .where(CaseRow.round_id == round_id).order_by(col(ExpertRow.id), col(FeedbackRow.id))).all()
    per: dict[int, dict[str, list[int] | str | list[str]]] = {}
    for fb, e, c in rows:
        entry = per.setdefault(e.id or 0, {"name": e.name, "of_expert": [], "of_applicant": [], "low": []})
        ratings = entry[fb.direction]
        assert isinstance(ratings, list)
        ratings.append(fb.rating)  # type: ignore[arg-type]
        if fb.direction == "of_expert" and fb.rating <= 2:
            low = entry["low"]
            assert isinstance(low, list)
            low.append(f"{c.ref}：{fb.rating}分{('（' + fb.comment + '）') if fb.comment else ''}")  # type: ignore[arg-type]
    out = []
    for eid, entry in per.items():
        rec = [int(x) for x in entry["of_expert"]]
        giv = [int(x) for x in entry["of_applicant"]]
        out.append(ExpertFeedback(expert_id=eid, expert=str(entry["name"]), received=len(rec),
                                  received_mean=round(sum(rec) / len(rec), 2) if rec else None, given=len(giv),
                                  given_mean=round(sum(giv) / len(giv), 2) if giv else None,
                                  low=tuple(str(x) for x in entry["low"])))
    allrec = [fb.rating for fb, _e, _c in rows if fb.direction == "of_expert"]
    allgiv = [fb.rating for fb, _e, _c in rows if fb.direction == "of_applicant"]
    overall: dict[str, float | int | None] = {
        "of_expert": len(allrec), "of_expert_mean": round(sum(allrec) / len(allrec), 2) if allrec else None,
        "of_applicant": len(allgiv), "of_applicant_mean": round(sum(allgiv) / len(allgiv), 2) if allgiv else None,
    }
    return out, overall
