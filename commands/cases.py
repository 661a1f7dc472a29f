"""Commands on cases: open, advance, show, history, list, verify."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import export, render
from .context import Settings, json_option, pass_settings
from .export import output_options

if TYPE_CHECKING:
    from award.workflow.engine import Engine
    from award.workflow.views import Actor, CaseView, EventView, StepResult


@click.group()
def case() -> None:
    """Open cases."""


@case.command("new")
@click.option("--party", "party_ref", required=True, help="Party id, code or name.")
@click.option("--round", "round_id", required=True)
@click.option("--track", required=True, help="e.g. gold_model, mayor_achievement (see definitions show).")
@click.option("--start", help="How the case begins (e.g. apply, recommend); default the first.")
@click.option("--set", "sets", multiple=True, help="A form field FIELD=VALUE (repeatable).")
@click.option("--comment")
@json_option
@pass_settings
def case_new(settings: Settings, party_ref: str, round_id: str, track: str, start: str | None,
             sets: tuple[str, ...], comment: str | None, as_json: bool) -> None:
    """Open a case for a party in a round.

    \b
    Example: award case new --party 91310000MA1FL1GF9K --round sha-2026 --track gold_model \\
               --start recommend --set recommender=市经济信息化委
    """
    engine = settings.engine()
    view = engine.case_new(party=party_ref, round_id=round_id, track=track, start=start, sets=sets,
                           actor=settings.actor(), comment=comment)
    render.emit(view, as_json=as_json, text=f"已开启案件 {view.ref}：{view.party.name} · {view.track_label} · {view.state_label}")


@click.command()
@click.argument("args", nargs=-1, required=True)
@click.option("--set", "sets", multiple=True, help="A form field FIELD=VALUE (repeatable).")
@click.option("--comment", help="Why (required for refusals, revocations, withdrawals).")
@click.option("--round", "round_id", help="With --state: advance every case of this round in that state.")
@click.option("--state", help="With --round: the state of the cases to advance.")
@click.option("--from", "from_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Fill the form from a file (.xlsx, .csv, .yaml, .json): field (id or label) and value.")
@click.option("--encoding", help="With --from: the CSV's encoding when detection is wrong.")
@click.option("--file", "files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A file given with this step (kept, its hash in the history; repeatable).")
@json_option
@pass_settings
def advance(settings: Settings, args: tuple[str, ...], sets: tuple[str, ...], comment: str | None,
            round_id: str | None, state: str | None, from_file: Path | None, encoding: str | None,
            files: tuple[Path, ...], as_json: bool) -> None:
    """Fire a trigger: `advance CASE TRIGGER`, or `advance --round R --state S TRIGGER` for many.

    \b
    Examples:
      award advance SHA-2026-001 submit
      award advance SHA-2026-001 reject_qualification --comment "材料不完整"
      award advance --round sha-2026 --state qualification_review pass_qualification
      award advance WHI-2026-001 submit --from 申报表.xlsx
    """
    engine = settings.engine()
    actor = settings.actor()
    if round_id or state:
        if not (round_id and state) or len(args) != 1:
            raise click.UsageError("批量推进需要 --round R --state S TRIGGER")
        if files or from_file:
            raise click.UsageError("--file 和 --from 只用于推进一件案件")
        _advance_many(engine, actor, round_id, state, args[0], sets, comment, as_json)
        return
    if len(args) != 2:
        raise click.UsageError("用法：award advance CASE TRIGGER（或 --round R --state S TRIGGER）")
    if from_file is not None:
        from award.workflow.registers.forms import read_form

        view = engine.show(args[0])
        spec = engine.catalog.get(view.procedure, view.definition_version)
        merged = {item.partition("=")[0].strip(): item for item in (*read_form(from_file, spec, encoding=encoding),
                                                                     *sets)}
        sets = tuple(merged.values())  # a --set on the command line wins over the file
    if files:
        from award.workflow.attachments import advance_with_files

        result = advance_with_files(engine, args[0], args[1], files, actor=actor, sets=sets, comment=comment)
    else:
        result = engine.advance(args[0], args[1], actor=actor, sets=sets, comment=comment)
    render.emit(result, as_json=as_json, show=lambda: _print_step(result))


def _print_step(result: StepResult) -> None:
    click.echo(f"{result.case_ref}：{result.trigger_label}　{result.source_label} → {result.dest_label}")
    for t in result.timers:
        label = t.trigger or t.duty or "定时"
        click.echo(f"  定时：{label} 于 {render.shanghai(t.due_at)} 到期（{t.period}，规则 {t.rule}）"
                   + ("　注意：所依据的日历尚属暂定" if t.provisional else ""))


def _advance_many(engine: Engine, actor: Actor, round_id: str, state: str, trigger: str, sets: Sequence[str],
                  comment: str | None, as_json: bool) -> None:
    from award.workflow.errors import AwardError
    from rich.progress import Progress

    results: list[tuple[str, Any]] = []
    with Progress(console=render.console(stderr=True), transient=True, disable=as_json) as progress:
        task = progress.add_task(f"推进 {round_id} / {state} → {trigger}", total=None)

        def tick(ref: str, res: Any) -> None:
            results.append((ref, res))
            progress.advance(task)

        engine.advance_many(round_id=round_id, state=state, trigger=trigger, actor=actor, sets=sets,
                            comment=comment, progress=tick)
    failed = [(r, e) for r, e in results if isinstance(e, AwardError)]

    def people() -> None:
        for ref, res in results:
            if isinstance(res, AwardError):
                click.echo(render.plain(f"{ref}：未推进\n{res}"))
            else:
                click.echo(f"{ref}：{res.source_label} → {res.dest_label}")
        click.echo(f"共 {len(results)} 件，成功 {len(results) - len(failed)} 件，未推进 {len(failed)} 件")

    render.emit([{"case": r, "ok": not isinstance(e, AwardError),
                  "result": e if not isinstance(e, AwardError) else str(e)} for r, e in results],
                as_json=as_json, show=people)
    if failed:
        sys.exit(3)


@click.command()
@click.argument("case_ref")
@json_option
@pass_settings
def show(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show a case: state, form, the triggers available now (and why not), timers.

    \b
    Example: award show SHA-2026-001
    """
    engine = settings.engine()
    actor = settings.member("查看案件")
    _review_access(engine, case_ref, actor, "查看")
    view = engine.show(case_ref, actor=actor)
    render.emit(view, as_json=as_json, show=lambda: _print_case(view))


def _print_case(view: CaseView) -> None:
    con = render.console()
    safe = render.safe
    con.print(f"[bold]{safe(view.ref)}[/bold]  {safe(view.procedure_title)}（{safe(view.definition_version)}）"
              f"  轮次 {safe(view.round_id)}")
    con.print(f"申报主体：{safe(view.party.name)}（{safe(view.party.code)}）")
    con.print(f"赛道：{safe(view.track_label)}")
    con.print(f"状态：[bold]{safe(view.state_label)}[/bold]（{safe(view.state)}）  自 {render.shanghai(view.entered_at)}"
              + ("  [red]暂停：有未处理的异议[/red]" if view.held else ""))
    if view.form:
        render.table("申报表", ["字段", "名称", "内容"], [list(f) for f in view.form])
    if view.triggers:
        rows = []
        for t in view.triggers:
            why = "\n".join(f"{'✓' if v.passed else '✗'} [{v.rule}] {v.reason}" if v.rule else
                            f"{'✓' if v.passed else '✗'} {v.reason}" for v in t.verdicts)
            who = "定时触发" if t.timer_only else "、".join(t.roles)
            rows.append([t.trigger, t.label, t.dest_label, who, "可以" if t.allowed else "不可", why])
        render.table("当前可用的触发", ["触发", "名称", "去向", "角色", "现在", "条件"], rows)
    if view.timers:
        render.table("定时", ["#", "类型", "事项", "到期", "最后一日", "状态", "规则"],
               [[t.id, t.kind, t.trigger or t.duty or "", render.shanghai(t.due_at), t.last_day, t.status, t.rule]
                for t in view.timers])
    if view.objections:
        render.table("异议", ["#", "状态", "提出人", "理由", "处理"],
               [[o["id"], o["status"], o["filed_by"], o["reason"], o["resolution"]] for o in view.objections])


@click.command()
@click.argument("case_ref")
@json_option
@output_options
@pass_settings
def history(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show a case's full history (business time and real time of each event).

    \b
    Examples:
      award history SHA-2026-001
      award history SHA-2026-001 --output xlsx -o 办理历史.xlsx
    """
    _review_access(settings.engine(), case_ref, settings.member("查看案件历史"), "查看办理历史")
    view, events = settings.engine().history(case_ref)
    render.emit({"case": view.ref, "events": events}, as_json=as_json, table=lambda: _history_table(view, events))


def _history_table(view: CaseView, events: Sequence[EventView]) -> render.Table:
    from award.workflow.specs.check_notify import EVENT_KINDS

    rows = []
    for e in events:
        move = f"{e.source_label or ''} → {e.dest_label}" if e.source != e.dest else (e.dest_label or "")
        what = e.trigger_label or _EVENT_LABELS.get(e.kind) or EVENT_KINDS.get(e.kind, e.kind)
        details = []
        if e.changes:
            details.append("填写：" + "，".join(f"{k}={v}" for k, v in e.changes.items()))
        for key, value in e.detail.items():
            if key not in ("verdicts", "v", "ids", "actor") and value not in (None, "", [], {}):
                details.append(f"{_DETAIL_LABELS.get(key, key)}：{_detail_value(key, value)}")
        if e.comment:
            details.append(f"说明：{e.comment}")
        rows.append([e.seq, render.shanghai(e.business_time), what, move,
                     f"{e.actor}" + (f"（{e.role}）" if e.role else "") + _provenance(e.detail.get("actor")),
                     "\n".join(details), render.shanghai(e.wall_time)])
    return render.Table(f"{view.ref} {view.party.name} · {view.track_label} 的办理历史",
                        ["#", "业务时间", "事项", "状态", "操作人", "内容", "实际记录时间"], rows)


def _review_access(engine: Engine, ref: str, actor: Actor, what: str) -> None:
    """An expert reads a case only where assigned and free of conflict (the review decides; SHA-29)."""
    from award.workflow.review.access import require_case_access

    require_case_access(engine, ref, actor, what)


_EVENT_LABELS = {
    "timer_recomputed": "按新的节假日安排重算定时", "timer_rearmed": "补充节假日安排后定时重新排队",
    "review_assigned": "分配评审专家", "review_scored": "专家评分", "review_recused": "专家回避",
    "review_disqualified": "取消评审资格", "review_warning": "评审纪律警告", "conflict_recorded": "记录利害关系", "conflict_withdrawn": "撤销利害关系记录",
    "access_refused": "拒绝查看（回避或未分配）", "score_refused": "拒绝评分（回避或未分配）",
    "review_feedback": "双向评价", "experts_joined": "列入评审专家库", "objection_filed": "提出异议",
    "objection_resolved": "处理异议", "report_submitted": "提交报告", "reminder": "提醒", "marked": "标记",
    "file_attached": "附加文件", "contact_corrected": "更正联系方式",
}

_DETAIL_LABELS = {
    "expert_name": "专家", "stage_label": "评审阶段", "how_label": "分配方式", "total": "总分", "table_label": "评分表",
    "assignments_ended": "结束的分配", "scores_dropped": "不再计入的评分", "kind_label": "类别",
    "source_label": "来源", "what": "操作", "direction_label": "评价方向", "rating": "评价", "names": "名单",
    "track": "赛道", "timer": "定时", "due_at": "到期", "rule": "规则", "objection": "异议", "by": "提出人",
    "outcome": "结果", "duty": "义务", "index": "次数", "file": "文件", "sha256": "文件摘要", "evidence": "证明材料",
    "mark": "标记", "period": "期限", "trigger": "触发", "old_due_at": "原到期", "reason": "原因",
    "provisional": "暂定", "files": "文件", "before": "原值", "outbox": "通知",
}


_IDENTITY_LABELS = {"delegated": "代为操作", "shared": "共用电脑（未经验证）", "in-process": "程序内调用"}


def _provenance(actor: Any) -> str:
    """How the actor was identified, when it was not their own bound login (issue 14: history says who acted)."""
    if not isinstance(actor, dict) or actor.get("identity") in (None, "bound"):
        return ""
    label = _IDENTITY_LABELS.get(str(actor["identity"]), str(actor["identity"]))
    if actor.get("entered_by"):
        return f"\n由 {actor['entered_by']} {label}"
    return f"\n{label}" + (f"，登录名 {actor['login']}" if actor.get("login") else "")


def _detail_value(key: str, value: Any) -> str:
    """History event details as people read them (times in Asia/Shanghai, files by name)."""
    if key == "provisional" and isinstance(value, bool):
        return "是" if value else "否"
    if key in ("due_at", "old_due_at"):
        if not isinstance(value, str):
            return render.shanghai(value)
        from datetime import datetime

        try:
            return render.shanghai(datetime.fromisoformat(value))
        except ValueError:
            return value
    if key in ("timer", "objection"):
        return f"#{value}"
    if key == "sha256" and isinstance(value, str):
        return value[:12]
    if key in ("evidence", "files") and isinstance(value, list):
        return "、".join(str(item.get("file", item)) if isinstance(item, dict) else str(item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{k}={'—' if v in (None, '') else v}" for k, v in value.items())
    return str(value)


@click.command()
@click.option("--procedure")
@click.option("--round", "round_id")
@click.option("--state")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="At most this many cases (a page).")
@click.option("--offset", type=click.IntRange(0, 10**9), default=0, show_default=True,
              help="Skip this many cases first (the next page: --offset 100).")
@json_option
@output_options
@pass_settings
def cases(settings: Settings, procedure: str | None, round_id: str | None, state: str | None, limit: int,
          offset: int, as_json: bool) -> None:
    """List cases, a page at a time, oldest first (with `--output xlsx -o FILE`: every case, also code,
    district, the definition's listed fields and dates).

    \b
    Examples:
      award cases --round sha-2026 --state qualification_review
      award cases --round sha-2026 --limit 100 --offset 100
      award cases --round sha-2026 --output xlsx -o 案件.xlsx
    """
    settings.member("查看案件列表")
    if export.active() is None:  # --json and --output exclude each other (export.output_options)
        rows = settings.engine().cases(procedure=procedure, round_id=round_id, state=state, limit=limit + 1,
                                       offset=offset)
        more, rows = len(rows) > limit, rows[:limit]
        if more and not as_json:
            click.echo(f"只显示第 {offset + 1}–{offset + limit} 件；下一页：--offset {offset + limit}", err=True)
        render.emit(rows, as_json=as_json, table=lambda: render.Table(
            "案件", ["案件", "轮次", "申报主体", "赛道", "状态"],
            [[r["ref"], r["round"], r["party"], r["track_label"], r["state_label"] + (" ⏸" if r["held"] else "")]
             for r in rows]))
        return
    rows = settings.engine().cases(procedure=procedure, round_id=round_id, state=state)
    codes = export.unmasked_codes(settings, sorted({r["party_id"] for r in rows}), "cases")
    listed = list(dict.fromkeys(label for r in rows for label in r["listed"]))
    render.table("案件", ["案件", "轮次", "申报主体", "代码", "所在区", *listed, "赛道", "状态", "异议暂停",
                        "开启时间", "进入当前状态时间", "最后更新时间"],
           [[r["ref"], r["round"], r["party"], codes.get(r["party_id"], r["party_code"]), r["district"],
             *[r["listed"].get(label, "") for label in listed], r["track_label"], r["state_label"],
             "是" if r["held"] else "", render.shanghai(r["created_at"]), render.shanghai(r["entered_at"]),
             render.shanghai(r["updated_at"])] for r in rows])


@click.command()
@click.argument("case_ref", required=False)
@json_option
@pass_settings
def verify(settings: Settings, case_ref: str | None, as_json: bool) -> None:
    """Check the hash chain of one case's history, or of all (exit 7 when broken).

    \b
    Example: award verify
    """
    from award.workflow.attachments import verify_files

    n, _ = settings.engine().verify(case_ref)
    files = verify_files(settings.engine(), case_ref)
    render.emit({"ok": True, "cases": n, "files": files}, as_json=as_json,
                text=f"已核验 {n} 件案件的历史，哈希链完整；{files} 个存档文件与摘要相符")


from .files import FILE_COMMANDS  # issue 12: files kept for a case

for _command in FILE_COMMANDS:
    case.add_command(_command)

COMMANDS: list[click.Command] = [case, advance, show, history, cases, verify]
