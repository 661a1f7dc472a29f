"""Scores: one per expert, case and stage, checked against the stage's scoring table.

A case's stage score is the mean of its non-recused experts' current scores. A recused score
stays in the table and the history, marked, and counts for nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from ..errors import InvalidInput, Refused
from ..registers.experts import Experts, is_manager
from ..specs.model import ProcessSpec
from ..specs.review import ReviewSpec
from ..store import CaseRow, PartyRow, utc
from ..values import Verdict
from ..views import Actor
from .access import denial, linked_experts
from .assignment import stage_of
from .record import case_row, note, review_of
from .recusal import refresh
from .scoring import ScoringTable, load_table
from .tables import ExpertRow, ScoreRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["ScoreView", "StageTotal", "case_scores", "score", "stage_total", "table_for"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoreView:
    """One expert's score; `counted` is false for a recused or superseded score (with the reason)."""

    id: int
    case_ref: str
    stage: str
    stage_label: str
    expert_id: int
    expert: str
    total: float
    categories: dict[str, float]
    points: dict[str, float]
    comment: str | None
    entered_by: str
    entered_at: datetime
    counted: bool
    note: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StageTotal:
    """A case's stage score: the mean of the counted scores, their number and the categories' means."""

    mean: float | None
    count: int
    categories: dict[str, float]
    label: str = ""


def table_for(engine: Engine, spec: ProcessSpec, stage: str) -> ScoringTable:
    review = spec.review
    assert review is not None
    st = stage_of(review, stage)
    if st.scoring is None:
        raise InvalidInput(f"{st.label}不评分（定义中没有评分表）")
    path = engine.catalog.file_of(spec)
    folder = path.parent if path is not None else Path(engine.catalog.root)
    return load_table(folder, st.scoring)


def _counted(s: Session, case_id: int | None, stage: str) -> list[ScoreRow]:
    return list(s.exec(select(ScoreRow).where(ScoreRow.case_id == case_id, ScoreRow.stage == stage,
                                              col(ScoreRow.superseded).is_(False),
                                              col(ScoreRow.recused_at).is_(None))).all())


def stage_total(engine: Engine, s: Session, row: CaseRow, spec: ProcessSpec, stage: str) -> StageTotal:
    scores = _counted(s, row.id, stage)
    if not scores:
        return StageTotal(mean=None, count=0, categories={})
    table = table_for(engine, spec, stage)
    cats: dict[str, float] = {}
    for sc in scores:
        for k, v in table.category_totals(sc.points).items():
            cats[k] = cats.get(k, 0.0) + v
    n = len(scores)
    return StageTotal(mean=round(sum(sc.total for sc in scores) / n, 2), count=n,
                      categories={k: round(v / n, 2) for k, v in cats.items()})


def score(engine: Engine, ref: str, *, stage: str, expert_ref: str | None, items: Mapping[str, str],
          comment: str | None, actor: Actor) -> ScoreView:
    """Record an expert's score of a case in a stage (a new score replaces the expert's earlier one).

    An expert scores as themselves; the office may enter a score on an expert's behalf (recorded
    as entered by them). A conflicted or unassigned expert is refused, and the attempt recorded.
    """
    registry = Experts(db=engine.db, catalog=engine.catalog, clock=engine.clock)
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec, review = review_of(engine, row)
        if review is None:
            raise InvalidInput(f"{row.ref} 的流程没有专家评审")
        st = stage_of(review, stage)
        table = table_for(engine, spec, stage)
        mine = [e for e in linked_experts(s, actor) if e.pool == review.pool]
        if expert_ref is None:
            if len(mine) != 1:
                raise InvalidInput("请用 --expert 指定评分的专家（编号或姓名）")
            expert = mine[0]
        else:
            expert = registry.row(s, expert_ref, review.pool)
        if mine and expert.id not in {e.id for e in mine}:
            raise Refused(f"{actor.name} 只能以本人身份评分",
                          [Verdict(passed=False, guard="assignment", rule=review.rules.recusal,
                                   reason=f"{actor.name} 登记为专家 {'、'.join(e.name for e in mine)}，不能替 {expert.name} 评分")])
        if not mine and not is_manager(engine.catalog, actor, review.pool):
            raise Refused(f"{actor.name} 不能录入评分",
                          [Verdict(passed=False, guard="role", rule=review.rules.recusal,
                                   reason="评分只能由被分配的专家本人录入，或由办公室代为录入")])
        expert_id, party_id = expert.id, row.party_id
    refresh(engine, expert_ids=[expert_id or 0], party_ids=[party_id])
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec, review = review_of(engine, row)
        assert review is not None
        found = s.get(ExpertRow, expert_id)
        assert found is not None
        expert = found
        why = denial(engine, s, row, actor, need_stage=stage, experts=[expert])
        if why is None and row.state != st.state:
            why = Verdict(passed=False, guard="stage", rule=st.rule,
                          reason=f"{row.ref} 当前为“{spec.label_of(row.state)}”，不在{st.label}阶段，不能评分")
        if why is not None:
            note(engine, s, row, kind="score_refused", actor=actor, comment=why.reason,
                 data={"ids": {"stage": stage, "expert": expert.id}, "stage_label": st.label,
                       "expert_name": expert.name, "rule": why.rule})
            refused = Refused(f"{expert.name} 不能为 {row.ref} 的{st.label}评分", [why])
        else:
            refused = None
    if refused is not None:
        engine.after_commit()
        raise refused
    points = table.check_points(items)
    total = round(sum(points.values()), 2)
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        found = s.get(ExpertRow, expert_id)
        assert found is not None
        expert = found
        old = s.exec(select(ScoreRow).where(ScoreRow.case_id == row.id, ScoreRow.stage == stage,
                                            ScoreRow.expert_id == expert.id, col(ScoreRow.superseded).is_(False))).all()
        for o in old:
            o.superseded = True
            s.add(o)
        new = ScoreRow(case_id=row.id or 0, stage=stage, expert_id=expert.id or 0, table_id=table.id,
                       table_version=table.version, points=points, total=total, comment=(comment or "").strip() or None,
                       entered_by=actor.name, entered_at=engine.clock())
        s.add(new)
        s.flush()
        note(engine, s, row, kind="review_scored", actor=actor, comment=new.comment,
             data={"ids": {"stage": stage, "expert": expert.id, "table": table.id, "table_version": table.version,
                           "replaces": [o.id for o in old], "score": new.id},
                   "stage_label": st.label, "expert_name": expert.name, "total": total,
                   "table_label": f"{table.title}（{table.version}）"})
        view = _view(row, review, table, new, expert)
    engine.after_commit()
    return view


def case_scores(engine: Engine, ref: str) -> tuple[str, list[ScoreView], dict[str, StageTotal]]:
    """Every score of a case (counted or not) and each stage's total."""
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec, review = review_of(engine, row)
        if review is None:
            return row.ref, [], {}
        rows = s.exec(select(ScoreRow, ExpertRow).join(ExpertRow, col(ScoreRow.expert_id) == col(ExpertRow.id))
                      .where(ScoreRow.case_id == row.id).order_by(col(ScoreRow.id))).all()
        views = [_view(row, review, table_for(engine, spec, sc.stage), sc, e) for sc, e in rows]
        totals = {st: dataclasses.replace(stage_total(engine, s, row, spec, st), label=spec_st.label)
                  for st, spec_st in review.stages.items() if spec_st.scoring is not None}
        return row.ref, views, totals


def party_name(s: Session, row: CaseRow) -> str:
    party = s.get(PartyRow, row.party_id)
    return party.name if party else ""


def _view(row: CaseRow, review: ReviewSpec, table: ScoringTable, sc: ScoreRow, e: ExpertRow) -> ScoreView:
    assert sc.id is not None and e.id is not None
    why = None
    if sc.recused_at is not None:
        why = f"已回避，不计入：{sc.recused_reason}"
    elif sc.superseded:
        why = "已被本人重新评分取代"
    return ScoreView(id=sc.id, case_ref=row.ref, stage=sc.stage,
                     stage_label=review.stages[sc.stage].label if sc.stage in review.stages else sc.stage,
                     expert_id=e.id, expert=e.name, total=sc.total, categories=table.category_totals(sc.points),
                     points=dict(sc.points), comment=sc.comment, entered_by=sc.entered_by,
                     entered_at=utc(sc.entered_at), counted=why is None, note=why)
