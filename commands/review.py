"""Commands of the expert review: panels, assignment, scores, ranking, shortlist, feedback, export (the pool: experts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import render
from .context import Settings, json_option, pass_settings

# ------------------------------------------------------------------- panels


@click.group()
def panel() -> None:
    """A review panel per round (SHA-10): formed from the pool, ended with the round."""


def _print_panel(view: Any, as_json: bool) -> None:
    state = f"已撤销（{view.ended_reason}）" if view.ended else "在任"
    render.emit(view, as_json=as_json,
                text=lambda: f"{view.round_id} 评审组（{view.pool_label}）：{state}；{view.formed_by} 组建于 "
                             f"{render.shanghai(view.formed_at)}",
                table=lambda: render.Table("评审组成员", ["编号", "姓名", "单位", "状态", "当前分配（件次）", "纪律处理"],
                                           [[m.expert_id, m.name, m.org_name or "", m.status_label, m.load,
                                             "；".join(f"{'警告' if x['kind'] == 'warning' else '取消评审资格'}："
                                                      f"{x['reason']}" for x in m.sanctions)]
                                            for m in view.members]))


@panel.command("form")
@click.option("--round", "round_id", required=True)
@click.option("--expert", "experts", multiple=True, required=True, help="Expert id or name (repeatable).")
@json_option
@pass_settings
def panel_form(settings: Settings, round_id: str, experts: tuple[str, ...], as_json: bool) -> None:
    """Form a round's review panel (or add members).

    \b
    Example: award panel form --round sha-2026 --expert 张三 --expert 李四 --expert 王五
    """
    from award.workflow.review.panels import form

    _print_panel(form(settings.engine(), round_id, experts, settings.actor()), as_json)


@panel.command("show")
@click.option("--round", "round_id", required=True)
@json_option
@pass_settings
def panel_show(settings: Settings, round_id: str, as_json: bool) -> None:
    """Show a round's panel, its members' load and sanctions.

    \b
    Example: award panel show --round sha-2026
    """
    from award.workflow.review.panels import show

    _print_panel(show(settings.engine(), round_id), as_json)


@panel.command("dissolve")
@click.option("--round", "round_id", required=True)
@pass_settings
def panel_dissolve(settings: Settings, round_id: str) -> None:
    """Dissolve a round's panel (it also ends by itself once every case of the round is closed).

    \b
    Example: award panel dissolve --round sha-2026
    """
    from award.workflow.review.panels import dissolve

    view = dissolve(settings.engine(), round_id, settings.actor())
    click.echo(f"{view.round_id} 评审组已撤销")


@panel.command("sanction")
@click.option("--round", "round_id", required=True)
@click.option("--expert", "expert_ref", required=True)
@click.option("--kind", required=True, type=click.Choice(["warning", "disqualification"]),
              help="warning (警告) or disqualification (取消评审资格).")
@click.option("--reason", required=True)
@pass_settings
def panel_sanction(settings: Settings, round_id: str, expert_ref: str, kind: str, reason: str) -> None:
    """Record a breach of review discipline: a warning, or disqualification from the panel (SHA-29).

    \b
    Example: award panel sanction --round sha-2026 --expert 张三 --kind warning --reason 未按时提交评分
    """
    from award.workflow.review.panels import sanction

    sanction(settings.engine(), round_id, expert_ref, kind=kind, reason=reason, actor=settings.actor())
    click.echo("已记录：" + ("警告" if kind == "warning" else "取消本轮评审资格，其分配已结束、评分不再计入"))


# ------------------------------------------------------------------- review


@click.group()
def review() -> None:
    """Assignment, scores, shortlist, feedback and export of a round's review."""


@review.command("assign")
@click.argument("case_ref", required=False)
@click.option("--stage", required=True, help="A review stage of the definition, e.g. material, site.")
@click.option("--expert", "experts", multiple=True, help="Expert id or name (repeatable), with CASE.")
@click.option("--round", "round_id", help="Without CASE: assign every case of the round in the stage, balanced.")
@json_option
@pass_settings
def review_assign(settings: Settings, case_ref: str | None, stage: str, experts: tuple[str, ...],
                  round_id: str | None, as_json: bool) -> None:
    """Assign panel members to a case's stage, or a whole round at once (never a conflicted expert).

    \b
    Examples:
      award review assign SHA-2026-001 --stage material --expert 张三 --expert 李四
      award review assign --round sha-2026 --stage material
    """
    from award.workflow.review.assignment import assign, assign_round

    if (case_ref is None) == (round_id is None):
        raise click.UsageError("请给出 CASE 与 --expert，或只给出 --round（整轮分配）")
    if round_id is not None:
        if experts:
            raise click.UsageError("整轮分配（--round）由系统均衡选择专家，不能同时用 --expert")
        views = assign_round(settings.engine(), round_id, stage, settings.actor())
    else:
        assert case_ref is not None
        views = assign(settings.engine(), case_ref, stage, experts, settings.actor())
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        "已分配", ["案件", "评审阶段", "专家"], [[v.case_ref, v.stage_label, v.expert] for v in views]))


@review.command("assignments")
@click.argument("case_ref")
@json_option
@pass_settings
def review_assignments(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show who reviews a case in which stage (and whose assignment ended, and why).

    \b
    Example: award review assignments SHA-2026-001
    """
    from award.workflow.review.access import require_case_access
    from award.workflow.review.assignment import assignments

    engine = settings.engine()
    require_case_access(engine, case_ref, settings.actor(), "查看评审分配")
    views = assignments(engine, case_ref)
    render.emit(views, as_json=as_json, table=lambda: render.Table(
        f"{case_ref} 的评审分配", ["评审阶段", "专家", "分配人", "分配时间", "状态"],
        [[v.stage_label, v.expert, v.assigned_by, render.shanghai(v.assigned_at),
          "有效" if v.ended_at is None else f"已结束（{render.shanghai(v.ended_at)}）：{v.end_reason}"]
         for v in views]))


@review.command("score")
@click.argument("case_ref")
@click.option("--stage", required=True)
@click.option("--expert", "expert_ref", help="The expert (default: the one you are linked to).")
@click.option("--item", "items", multiple=True, required=True, help="CLAUSE=POINTS for every item, e.g. 4.1.2=42.")
@click.option("--comment", help="Improvement suggestions (they go into the stage's report).")
@json_option
@pass_settings
def review_score(settings: Settings, case_ref: str, stage: str, expert_ref: str | None, items: tuple[str, ...],
                 comment: str | None, as_json: bool) -> None:
    """Score a case in a stage against its scoring table (every item, within its points).

    \b
    Example: award --as zhang review score SHA-2026-001 --stage material --item 4.1.2=42 --item 4.1.3=25 ...
    """
    from award.workflow.review.scores import score

    from .context import pairs

    view = score(settings.engine(), case_ref, stage=stage, expert_ref=expert_ref, items=pairs(items, "--item"),
                 comment=comment, actor=settings.actor())
    render.emit(view, as_json=as_json,
                text=lambda: f"{view.expert} 对 {view.case_ref} 的{view.stage_label}评分已记录：{view.total} 分")


@review.command("scores")
@click.argument("case_ref")
@json_option
@pass_settings
def review_scores(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show a case's scores per stage, the counted mean, and the recused scores marked.

    \b
    Example: award review scores SHA-2026-001
    """
    from award.workflow.review.access import require_case_access
    from award.workflow.review.scores import case_scores

    engine = settings.engine()
    require_case_access(engine, case_ref, settings.actor(), "查看评分")
    ref, views, totals = case_scores(engine, case_ref)
    def stage_totals() -> None:
        for t in totals.values():
            click.echo(f"{t.label}：有效评分 {t.count} 份，平均 {t.mean if t.mean is not None else '—'} 分")

    render.emit({"case": ref, "scores": views, "totals": totals}, as_json=as_json,
                table=lambda: render.Table(
                    f"{ref} 的评分", ["评审阶段", "专家", "总分", "计入", "说明", "评语", "录入人", "录入时间"],
                    [[v.stage_label, v.expert, v.total, "是" if v.counted else "否", v.note or "", v.comment or "",
                      v.entered_by, render.shanghai(v.entered_at)] for v in views]),
                show=stage_totals)


@review.command("shortlist")
@click.option("--round", "round_id", required=True)
@click.option("--stage", required=True)
@click.option("--top", type=click.IntRange(min=1, max=100_000), help="The first N of each track are chosen.")
@click.option("--case", "cases", multiple=True, help="A chosen case (repeatable).")
@json_option
@pass_settings
def review_shortlist(settings: Settings, round_id: str, stage: str, top: int | None, cases: tuple[str, ...],
                     as_json: bool) -> None:
    """Choose from the ranking in one step: the chosen move on, the rest get their feedback (SHA-23).

    \b
    Example: award review shortlist --round sha-2026 --stage material --top 2
    """
    from award.workflow.errors import AwardError, Refused
    from award.workflow.review.ranking import shortlist

    results = shortlist(settings.engine(), round_id, stage, top=top, chosen=cases, actor=settings.actor())
    failed = [ref for ref, _sel, res in results if isinstance(res, AwardError)]
    render.emit([{"case": ref, "selected": sel,
                  "result": res if not isinstance(res, AwardError) else {"error": str(res)}}
                 for ref, sel, res in results], as_json=as_json,
                table=lambda: render.Table(f"{round_id} 入选名单", ["案件", "结果", "去向"],
                                           [[ref, "入选" if sel else "未入选",
                                             str(res) if isinstance(res, AwardError) else res.dest_label]
                                            for ref, sel, res in results]))
    if failed:
        raise Refused(f"{'、'.join(failed)} 未能办理，其余案件已办理；请查看原因后单独处理")


@review.command("feedback")
@click.argument("case_ref")
@click.option("--stage", required=True)
@click.option("--expert", "expert_ref", required=True)
@click.option("--of", "of", required=True, type=click.Choice(["expert", "applicant"]),
              help="expert: the applicant rates the expert; applicant: the expert rates the applicant.")
@click.option("--rating", type=int, required=True, help="1 (poor) to 5 (exemplary).")
@click.option("--comment")
@pass_settings
def review_feedback(settings: Settings, case_ref: str, stage: str, expert_ref: str, of: str, rating: int,
                    comment: str | None) -> None:
    """Record two-way feedback on discipline (SHA-30).

    \b
    Example: award review feedback SHA-2026-001 --stage site --expert 张三 --of expert --rating 5
    """
    from award.workflow.review.feedback import give

    give(settings.engine(), case_ref, stage=stage, expert_ref=expert_ref, direction=f"of_{of}", rating=rating,
         comment=comment, actor=settings.actor())
    click.echo("评价已记录")


@review.command("feedback-summary")
@click.option("--round", "round_id", required=True)
@json_option
@pass_settings
def review_feedback_summary(settings: Settings, round_id: str, as_json: bool) -> None:
    """Summarise a round's two-way feedback per expert, and for the round.

    \b
    Example: award review feedback-summary --round sha-2026
    """
    from award.workflow.review.feedback import summary

    per, overall = summary(settings.engine(), round_id)
    def round_line() -> None:
        click.echo(f"本轮：申报方评价专家 {overall['of_expert']} 份，平均 {overall['of_expert_mean'] or '—'}；"
                   f"专家评价申报方 {overall['of_applicant']} 份，平均 {overall['of_applicant_mean'] or '—'}")

    render.emit({"experts": per, "round": overall}, as_json=as_json,
                table=lambda: render.Table(
                    f"{round_id} 双向反馈汇总", ["专家", "收到评价（份）", "平均", "给出评价（份）", "平均", "较低评价"],
                    [[p.expert, p.received, p.received_mean or "—", p.given, p.given_mean or "—", "；".join(p.low)]
                     for p in per]),
                show=round_line)


@review.command("export")
@click.option("--round", "round_id", required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: the office's exports folder).")
@pass_settings
def review_export(settings: Settings, round_id: str, fmt: str, output: Path | None) -> None:
    """Export assignments, scores, rankings and feedback with Chinese headers, one sheet per stage.

    \b
    Example: award review export --round sha-2026 --format xlsx -o 评审结果.xlsx
    """
    from award.workflow.review.export import export

    path = output or settings.home().folder("exports") / f"{round_id}-评审.{fmt}"
    written, names = export(settings.engine(), round_id, fmt=fmt, path=path, actor=settings.actor())
    click.echo(f"已导出 {written}（{'、'.join(names)}）")


# ------------------------------------------------------------------ ranking


@click.command()
@click.option("--round", "round_id", required=True)
@click.option("--stage", required=True)
@json_option
@pass_settings
def ranking(settings: Settings, round_id: str, stage: str, as_json: bool) -> None:
    """Rank a round's cases in a stage, per track, with the number of scores behind each.

    \b
    Example: award ranking --round sha-2026 --stage material
    """
    from award.workflow.review.ranking import ranking as rank

    view = rank(settings.engine(), round_id, stage, settings.actor())
    def tables() -> None:
        for cases in view.tracks.values():
            if not cases:
                continue
            render.table(f"{view.round_id} {view.stage_label}排名 · {cases[0].track_label}",
                         ["名次", "案件", "申报主体", "平均分", "有效评分", "并列比较", "当前状态"],
                         [[f"{c.rank}{'（并列）' if c.tied else ''}", c.ref, c.party,
                           c.mean if c.mean is not None else "—",
                           f"{c.count}" + ("" if c.enough else f"（不足 {view.min_scores} 份）"),
                           c.tie_break if c.tie_break is not None else "", c.state_label] for c in cases])
        click.echo(f"排序规则：{view.order}")
        if view.hidden:
            click.echo(f"另有 {view.hidden} 件案件因回避或未分配不向你显示")

    render.emit(view, as_json=as_json, show=tables)


COMMANDS: list[click.Command] = [panel, review, ranking]
