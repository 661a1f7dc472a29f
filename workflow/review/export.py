"""The review's record for the committee: assignments and scores per stage, rankings, feedback (.xlsx or .csv).

Chinese headers, one sheet per stage (and one for its ranking, one for feedback); CSV puts every
sheet in one file with the sheet's name in the first column. An expert exporting sees only the
cases they may read.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from ..errors import InvalidInput
from ..store import CaseRow, PartyRow
from ..timing.clock import SHANGHAI
from ..views import Actor
from .access import readable_case_ids
from .feedback import DIRECTIONS, summary
from .panels import round_review
from .ranking import ranking
from .scores import table_for
from .tables import AssignmentRow, ExpertRow, FeedbackRow, ScoreRow

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["export"]

Sheet = tuple[str, list[str], list[list[Any]]]


def _when(moment: Any) -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")


def sheets(engine: Engine, round_id: str, actor: Actor) -> list[Sheet]:
    """Every sheet of the export, as (name, headers, rows)."""
    from ..store import utc

    out: list[Sheet] = []
    with engine.db.session() as s:
        _round, spec, review = round_review(engine, s, round_id)
        cases = list(s.exec(select(CaseRow).where(CaseRow.round_id == round_id).order_by(col(CaseRow.id))).all())
        allowed = readable_case_ids(engine, s, actor, cases)
        every = len(allowed) == len(cases)
        cases = [c for c in cases if c.id in allowed]
        parties = {p.id: p.name for p in s.exec(select(PartyRow)).all()}
        experts = {e.id: e.name for e in s.exec(select(ExpertRow)).all()}
        for stage_id, st in review.stages.items():
            table = table_for(engine, spec, stage_id) if st.scoring else None
            cats = [f"{c.clause} {c.label}（{c.points}分）" for c in table.categories] if table else []
            headers = ["案件编号", "申报主体", "赛道", "专家", "分配人", "分配时间", "分配状态",
                       *(["总分", *cats, "是否计入", "说明", "评语"] if table else [])]
            rows: list[list[Any]] = []
            for c in cases:
                for a in s.exec(select(AssignmentRow).where(AssignmentRow.case_id == c.id, AssignmentRow.stage == stage_id)
                                .order_by(col(AssignmentRow.id))).all():
                    line: list[Any] = [c.ref, parties.get(c.party_id, ""), spec.tracks[c.track].label,
                                       experts.get(a.expert_id, ""), a.assigned_by, _when(utc(a.assigned_at)),
                                       "有效" if a.ended_at is None else f"已结束：{a.end_reason}"]
                    if table:
                        sc = s.exec(select(ScoreRow).where(ScoreRow.case_id == c.id, ScoreRow.stage == stage_id,
                                                           ScoreRow.expert_id == a.expert_id,
                                                           col(ScoreRow.superseded).is_(False))).first()
                        if sc is None:
                            line += ["", *["" for _ in cats], "", "尚未评分", ""]
                        else:
                            subtotal = table.category_totals(sc.points)
                            line += [sc.total, *[subtotal[c2.clause] for c2 in table.categories],
                                     "是" if sc.recused_at is None else "否",
                                     "" if sc.recused_at is None else f"已回避：{sc.recused_reason}", sc.comment or ""]
                    rows.append(line)
            out.append((st.label, headers, rows))
    for stage_id, st in review.stages.items():
        if st.scoring is None:
            continue
        view = ranking(engine, round_id, stage_id, actor)
        rows = [[c.track_label, c.rank, "并列" if c.tied else "", c.ref, c.party, c.mean, c.count,
                 c.tie_break, "是" if c.enough else "否", c.state_label]
                for cases_ in view.tracks.values() for c in cases_]
        out.append((f"{st.label}排名", ["赛道", "名次", "并列", "案件编号", "申报主体", "平均分", "有效评分份数",
                                       "并列时比较的类目平均分", "评分份数达到要求", "当前状态"], rows))
    with engine.db.session() as s:
        ids = {c.id for c in cases}
        fb_rows = s.exec(select(FeedbackRow, CaseRow).join(CaseRow, col(FeedbackRow.case_id) == col(CaseRow.id))
                         .where(CaseRow.round_id == round_id).order_by(col(FeedbackRow.id))).all()
        rows = [[c.ref, review.stages[f.stage].label if f.stage in review.stages else f.stage,
                 experts.get(f.expert_id, ""), DIRECTIONS.get(f.direction, f.direction), f.rating, f.comment or "",
                 f.entered_by, _when(utc(f.entered_at))] for f, c in fb_rows if c.id in ids]
    out.append(("双向反馈", ["案件编号", "评审阶段", "专家", "评价方向", "评价（1-5）", "说明", "录入人", "录入时间"], rows))
    if every:  # the per-expert summary only for a reader who sees every case of the round
        per, overall = summary(engine, round_id)
        rows = [[p.expert, p.received, p.received_mean, p.given, p.given_mean, "；".join(p.low)] for p in per]
        rows.append(["本轮合计", overall["of_expert"], overall["of_expert_mean"], overall["of_applicant"],
                     overall["of_applicant_mean"], ""])
        out.append(("反馈汇总", ["专家", "收到的申报方评价（份）", "平均", "给出的评价（份）", "平均", "较低评价（2分及以下）"],
                    rows))
    return out


def export(engine: Engine, round_id: str, *, fmt: str, path: Path, actor: Actor) -> tuple[Path, list[str]]:
    """Write the export; returns the file and the sheet names."""
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput(f"--format 须为 xlsx 或 csv，收到 {fmt!r}")
    from ..userfiles import check_output

    path = check_output(path, "导出文件")  # a FIFO would block the open for ever
    data = sheets(engine, round_id, actor)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                for name, headers, rows in data:
                    w.writerow(["表", *headers])
                    for r in rows:
                        w.writerow([name, *r])
                    w.writerow([])
        else:
            from openpyxl import Workbook
            from openpyxl.styles import Font

            wb = Workbook()
            wb.remove(wb.active)
            for name, headers, rows in data:
                ws = wb.create_sheet(title=name[:31])
                ws.append(headers)
                for cell in ws[1]:
                    cell.font = Font(bold=True)
                for r in rows:
                    ws.append(r)
                ws.freeze_panes = "A2"
                for i, h in enumerate(headers, start=1):
                    ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, min(40, len(h) * 2 + 2))
            wb.save(path)
    except OSError as exc:
        raise InvalidInput(f"无法写入 {path}：{exc.strerror}") from None
    return path, [d[0] for d in data]
