"""Ranking a round's cases in a stage, per track, and the shortlist step that selects from it.

The order, stated: the higher stage score (the mean of the counted scores) first; on equal scores,
the higher mean of the stage's tie-break category (e.g. results); then more counted scores; then
the earlier case number. Cases with equal scores share a rank number, so a tie is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from ..errors import AwardError, InvalidInput, Refused
from ..officeviews import StepResult
from ..store import CaseRow, PartyRow
from ..values import Verdict
from ..views import Actor
from .access import readable_case_ids
from .assignment import stage_of
from .panels import round_review
from .record import case_row
from .scores import stage_total, table_for
from .tables import ScoreRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["RankedCase", "RankingView", "ranking", "shortlist"]


@dataclass(frozen=True, kw_only=True, slots=True)
class RankedCase:
    """One line of a ranking; `rank` is shared by tied cases, `enough` says whether min_scores is met."""

    rank: int
    tied: bool
    ref: str
    party: str
    track: str
    track_label: str
    state_label: str
    in_stage: bool
    mean: float | None
    count: int
    tie_break: float | None
    enough: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class RankingView:
    """A stage's ranking per track, with the stated order and what was hidden from this reader."""

    round_id: str
    stage: str
    stage_label: str
    order: str
    min_scores: int
    tracks: dict[str, tuple[RankedCase, ...]]
    hidden: int


def ranking(engine: Engine, round_id: str, stage: str, actor: Actor) -> RankingView:
    with engine.db.session() as s:
        _round, spec, review = round_review(engine, s, round_id)
        st = stage_of(review, stage)
        if st.scoring is None:
            raise InvalidInput(f"{st.label}不评分，没有排名")
        table = table_for(engine, spec, stage)
        scored = {c for c in s.exec(select(ScoreRow.case_id).where(ScoreRow.stage == stage)).all()}
        cases = [c for c in s.exec(select(CaseRow).where(CaseRow.round_id == round_id).order_by(col(CaseRow.id))).all()
                 if c.state == st.state or c.id in scored]
        allowed = readable_case_ids(engine, s, actor, cases)
        hidden = len([c for c in cases if c.id not in allowed])
        tb_label = ""
        if st.tie_break is not None:
            tb_label = next(f"“{c.clause} {c.label}”类目平均分" for c in table.categories if c.clause == st.tie_break)
        order = ("按平均分（各位未回避专家评分的平均值）从高到低；平均分相同的，"
                 + (f"按{tb_label}从高到低，再" if tb_label else "")
                 + "按有效评分份数从多到少，再按案件编号先后；平均分相同者名次并列")
        per_track: dict[str, list[tuple[CaseRow, float | None, int, float | None]]] = {}
        for c in cases:
            if c.id not in allowed:
                continue
            tot = stage_total(engine, s, c, spec, stage)
            tb = tot.categories.get(st.tie_break) if st.tie_break else None
            per_track.setdefault(c.track, []).append((c, tot.mean, tot.count, tb))
        tracks: dict[str, tuple[RankedCase, ...]] = {}
        for track, items in per_track.items():
            items.sort(key=lambda t: (t[1] is None, -(t[1] or 0.0), -(t[3] or 0.0), -t[2], t[0].id or 0))
            out: list[RankedCase] = []
            for i, (c, mean, count, tb) in enumerate(items):
                tied = mean is not None and any(m == mean for other, m, _n, _t in items if other.id != c.id)
                rank = i + 1
                if out and mean is not None and out[-1].mean == mean:
                    rank = out[-1].rank
                party = s.get(PartyRow, c.party_id)
                out.append(RankedCase(rank=rank, tied=tied, ref=c.ref, party=party.name if party else "", track=track,
                                      track_label=spec.tracks[track].label if track in spec.tracks else track,
                                      state_label=spec.label_of(c.state), in_stage=c.state == st.state, mean=mean,
                                      count=count, tie_break=tb, enough=count >= st.min_scores))
            tracks[track] = tuple(out)
        return RankingView(round_id=round_id, stage=stage, stage_label=st.label, order=order,
                           min_scores=st.min_scores, tracks=tracks, hidden=hidden)


def _report(engine: Engine, ref: str, stage: str) -> str:
    """The stage's report from the experts' counted scores and comments (used when the form has none)."""
    with engine.db.session() as s:
        row = case_row(engine, s, ref)
        spec = engine.spec_of(row)
        assert spec.review is not None
        st = spec.review.stages[stage]
        tot = stage_total(engine, s, row, spec, stage)
        comments = [sc.comment for sc in s.exec(select(ScoreRow).where(
            ScoreRow.case_id == row.id, ScoreRow.stage == stage, col(ScoreRow.superseded).is_(False),
            col(ScoreRow.recused_at).is_(None)).order_by(col(ScoreRow.id))).all() if sc.comment]
    lines = [f"{st.label}报告：{tot.count} 位专家评分，平均 {tot.mean} 分。"]
    if comments:
        lines.append("改进建议：" + "；".join(comments))
    return "\n".join(lines)


def shortlist(engine: Engine, round_id: str, stage: str, *, top: int | None, chosen: Sequence[str],
              actor: Actor) -> list[tuple[str, bool, StepResult | AwardError]]:
    """Select from the ranking in one step: the chosen move on, the rest get the not-selected feedback.

    Every case of the round in the stage must have its minimum number of scores first. Each case
    moves in its own transaction (as `award advance --round` does); a refusal of one is reported
    and does not undo the others.
    """
    if (top is None) == (not chosen):
        raise InvalidInput("请用 --top N（每个赛道前 N 名）或 --case 编号（可重复）之一指定入选名单")
    view = ranking(engine, round_id, stage, actor)
    with engine.db.session() as s:
        _round, _spec, review = round_review(engine, s, round_id)
        st = stage_of(review, stage)  # who may fire the selection is the triggers' roles, checked per case
    if st.shortlist is None:
        raise InvalidInput(f"{st.label}没有定义入选步骤（shortlist）")
    if view.hidden:
        raise Refused("有案件因回避不能由你查看，不能由你确定入选名单")
    lines = [c for cases in view.tracks.values() for c in cases if c.in_stage]
    short = [Verdict(passed=False, guard="min_scores", rule=st.rule,
                     reason=f"{c.ref} 只有 {c.count} 份有效评分，{st.label}至少需要 {st.min_scores} 份")
             for c in lines if not c.enough]
    if short:
        raise Refused(f"{round_id} 的{st.label}评分尚未完成，不能确定入选名单", short)
    if top is not None:
        if top < 0:
            raise InvalidInput("--top 须为非负整数")
        picked = {c.ref for cases in view.tracks.values() for c in [x for x in cases if x.in_stage][:top]}
    else:
        refs = {c.ref for c in lines}
        wanted = {r.strip().upper() for r in chosen}
        unknown = sorted(wanted - refs)
        if unknown:
            raise InvalidInput(f"{'、'.join(unknown)} 不在 {round_id} 的{st.label}排名中")
        picked = wanted
    out: list[tuple[str, bool, StepResult | AwardError]] = []
    field = st.shortlist.report_field
    for c in lines:
        selected = c.ref in picked
        trigger = st.shortlist.select if selected else st.shortlist.reject
        sets: list[str] = []
        if field is not None:
            with engine.db.session() as s:
                current = case_row(engine, s, c.ref).data.get(field)
            if not current:
                sets = [f"{field}={_report(engine, c.ref, stage)}"]
        try:
            res: StepResult | AwardError = engine.advance(c.ref, trigger, actor=actor, sets=sets,
                                                          comment=f"{st.label}排名第{c.rank}名，平均 {c.mean} 分")
        except AwardError as exc:
            res = exc
        out.append((c.ref, selected, res))
    return out
