"""Commands on cases: open, advance, show, history, list, verify."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import export, render
from .context import Settings, json_option, pass_settings
from .export import output_options
from .params import page_note, page_options
from .preview import confirm, dry_run_option, show_preview, yes_option

if TYPE_CHECKING:
    from award.workflow.engine import Engine
    from award.workflow.plainread import PlainReader
    from award.workflow.specs.catalog import Catalog
    from award.workflow.specs.readspec import ReadCatalog
    from award.workflow.views import Actor

T = TypeVar("T")


@click.group()
def case() -> None:
    """案件：开启、更正。"""


@case.command("new")
@click.option("--party", "party_ref", required=True, help="申报主体：编号、代码或名称。")
@click.option("--round", "round_id", required=True, help="评审轮次，如 sha-2026。")
@click.option("--track", required=True, help="赛道编号或中文名称，如 gold_model（见 award definitions show）。")
@click.option("--start", help="开始方式，如 apply（自行申报）、recommend（推荐）；默认第一种。")
@click.option("--set", "sets", multiple=True, help="填写申报表字段：字段=值（可重复）。")
@click.option("--comment", help="说明。")
@click.option("--override", metavar="理由", help="对“原则上”的规定破例准许（如 WHI-3.2 每个推荐单位不超过2个），理由记入历史。")
@json_option
@pass_settings
def case_new(settings: Settings, party_ref: str, round_id: str, track: str, start: str | None,
             sets: tuple[str, ...], comment: str | None, override: str | None, as_json: bool) -> None:
    """为申报主体在某一轮次开启案件。

    \b
    示例：award case new --party 91310000MA1FL1GF9K --round sha-2026 --track gold_model \\
               --start recommend --set recommender=市经济信息化委
    """
    engine = settings.engine()
    view = engine.case_new(party=party_ref, round_id=round_id, track=track, start=start, sets=sets,
                           actor=settings.actor(), comment=comment, override=override)
    render.emit(view, as_json=as_json, text=lambda: f"已开启案件 {view.ref}：{view.party.name} · {view.track_label} · {view.state_label}")


@click.command()
@click.argument("args", nargs=-1, required=True)
@click.option("--set", "sets", multiple=True, help="填写申报表字段：字段=值（可重复）。")
@click.option("--comment", help="说明（驳回、撤销、撤回时必填）。")
@click.option("--round", "round_id", help="与 --state 同用：推进本轮次中处于该状态的全部案件。")
@click.option("--state", help="与 --round 同用：要推进的案件所处的状态（编号或中文名称）。")
@dry_run_option
@yes_option
@click.option("--backdate", is_flag=True, help="补记：业务时间（--now）早于本案最后一条记录时须加此项，并用 --reason 写明理由。")
@click.option("--reason", help="补记（--backdate）的理由。")
@click.option("--override", metavar="理由", help="对“原则上”的规定破例准许（如 WHI-3.2），理由记入历史；只用于一件案件。")
@click.option("--from", "from_file", type=click.Path(path_type=Path, dir_okay=False),
              help="从文件（.xlsx、.csv、.yaml、.json）填写申报表：字段（编号或名称）与值。")
@click.option("--encoding", help="与 --from 同用：自动识别有误时写明 CSV 的编码。")
@click.option("--file", "files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="随本步提交的文件（存档，摘要记入历史；可重复）。")
@json_option
@pass_settings
def advance(settings: Settings, args: tuple[str, ...], sets: tuple[str, ...], comment: str | None,
            round_id: str | None, state: str | None, dry_run: bool, yes: bool, backdate: bool, reason: str | None,
            override: str | None, from_file: Path | None, encoding: str | None, files: tuple[Path, ...],
            as_json: bool) -> None:
    """办理一步：`advance 案件 操作`，或 `advance --round 轮次 --state 状态 操作` 批量办理。

    操作可写编号或中文名称。会办结案件或撤销奖励的操作先询问确认（--yes 跳过）；
    --dry-run 只显示将发生的变化。

    \b
    示例：
      award advance SHA-2026-001 submit
      award advance SHA-2026-001 资格审查不通过 --comment "材料不完整" --yes
      award advance --round sha-2026 --state 资格审查中 pass_qualification --dry-run
      award advance WHI-2026-001 submit --from 申报表.xlsx
    """
    from award.workflow.dryrun import consequences
    from award.workflow.dryrun import dry_run as dry
    from award.workflow.names import case_trigger, round_state_trigger

    engine = settings.engine()
    actor = settings.actor()
    if backdate and not (reason or "").strip():
        raise click.UsageError("补记（--backdate）须用 --reason 写明理由")
    if reason and not backdate:
        raise click.UsageError("--reason 只用于补记，请同时加 --backdate；办理说明请用 --comment")
    back = reason if backdate else None
    if round_id or state:
        if not (round_id and state) or len(args) != 1:
            raise click.UsageError("批量推进需要 --round 轮次 --state 状态 操作")
        if files or from_file or override is not None:
            raise click.UsageError("--file、--from 和 --override 只用于推进一件案件")
        procedure, state_id, trigger = round_state_trigger(engine, round_id, state, args[0])
        if not dry_run:
            confirm(consequences(engine, "", trigger, state=state_id, procedure=procedure),
                    f"批量办理 {round_id} 中“{state}”的全部案件", yes)
        if dry_run:
            with dry(engine) as preview:
                _advance_many(engine, actor, round_id, state_id, trigger, sets, comment, as_json, back,
                              exit_on_fail=False, then=lambda: show_preview(preview))
            return
        _advance_many(engine, actor, round_id, state_id, trigger, sets, comment, as_json, back)
        return
    if len(args) != 2:
        raise click.UsageError("用法：award advance 案件 操作（或 --round 轮次 --state 状态 操作）")
    trigger = case_trigger(engine, args[0], args[1])
    if from_file is not None:
        from award.workflow.registers.forms import read_form

        view = engine.show(args[0])
        spec = engine.catalog.get(view.procedure, view.definition_version)
        merged = {item.partition("=")[0].strip(): item for item in (*read_form(from_file, spec, encoding=encoding),
                                                                     *sets)}
        sets = tuple(merged.values())  # a --set on the command line wins over the file
    if dry_run:
        with dry(engine) as preview:
            result = engine.advance(args[0], trigger, actor=actor, sets=sets, comment=comment, backdate=back,
                                    override=override)

        def preview_lines() -> None:
            click.echo(f"{result.case_ref}：可以办理“{result.trigger_label}”　{result.source_label} → {result.dest_label}")
            show_preview(preview)

        render.emit({"dry_run": True, "result": result, "preview": preview}, as_json=as_json, show=preview_lines)
        return
    reasons = [] if yes else consequences(engine, args[0], trigger)
    if reasons:  # ask only about a step that would succeed: a refusal is reported as such, asked or not
        with dry(engine):
            would = engine.advance(args[0], trigger, actor=actor, sets=sets, comment=comment, backdate=back,
                                   override=override)
        confirm(reasons, f"{would.case_ref}“{would.trigger_label}”", yes)
    if files:
        from award.workflow.attachments import advance_with_files

        result = advance_with_files(engine, args[0], trigger, files, actor=actor, sets=sets, comment=comment,
                                    override=override)
    else:
        result = engine.advance(args[0], trigger, actor=actor, sets=sets, comment=comment, backdate=back,
                                override=override)
    render.emit(result, as_json=as_json, show=lambda: _print_step(engine, result))


def _print_step(engine: Engine, result: Any) -> None:
    from award.workflow.labels import period

    click.echo(f"{result.case_ref}：{result.trigger_label}　{result.source_label} → {result.dest_label}")
    for t in result.timers:
        label = _timer_label(engine, result.case_ref, t)
        click.echo(f"  定时：{label} 于 {render.shanghai(t.due_at)} 到期（{period(t.period)}，规则 {t.rule}）"
                   + ("　注意：所依据的日历尚属暂定" if t.provisional else ""))


def _timer_label(engine: Engine, ref: str, t: Any) -> str:
    """A timer as people name it: the label of the trigger it fires (or its duty), never its id."""
    from award.workflow.labels import timer_kind

    spec = engine.catalog.get(ref.split("-")[0].lower()) if "-" in ref else None
    if spec is not None and t.trigger:
        for tr in spec.transitions:
            if tr.trigger == t.trigger:
                return ("提醒：" if t.kind == "reminder" else "") + tr.label
    return t.duty or timer_kind(t.kind)


def _advance_many(engine: Engine, actor: Actor, round_id: str, state: str, trigger: str, sets: Sequence[str],
                  comment: str | None, as_json: bool, backdate: str | None = None, *,
                  exit_on_fail: bool = True, then: Any = None) -> None:
    from award.workflow.errors import AwardError
    from rich.progress import Progress

    results: list[tuple[str, Any]] = []
    with Progress(console=render.console(stderr=True), transient=True, disable=as_json) as progress:
        task = progress.add_task(f"推进 {round_id} / {state} → {trigger}", total=None)

        def tick(ref: str, res: Any) -> None:
            results.append((ref, res))
            progress.advance(task)

        engine.advance_many(round_id=round_id, state=state, trigger=trigger, actor=actor, sets=sets,
                            comment=comment, progress=tick, backdate=backdate)
    failed = [(r, e) for r, e in results if isinstance(e, AwardError)]

    def people() -> None:
        for ref, res in results:
            if isinstance(res, AwardError):
                click.echo(render.plain(f"{ref}：未推进\n{res}"))
            else:
                click.echo(f"{ref}：{res.source_label} → {res.dest_label}")
        click.echo(f"共 {len(results)} 件，成功 {len(results) - len(failed)} 件，未推进 {len(failed)} 件")
        if then is not None:
            then()

    render.emit([{"case": r, "ok": not isinstance(e, AwardError),
                  "result": e if not isinstance(e, AwardError) else str(e)} for r, e in results],
                as_json=as_json, show=people)
    if failed and exit_on_fail:
        sys.exit(3)


@click.command()
@click.argument("case_ref")
@click.option("--diagram", is_flag=True, help="输出本案的流程图（Mermaid），标出当前状态和已走过的路径。")
@click.option("--svg", type=click.Path(path_type=Path), help="与 --diagram 同用：用 Graphviz 生成 SVG 文件。")
@json_option
@pass_settings
def show(settings: Settings, case_ref: str, diagram: bool, svg: Path | None, as_json: bool) -> None:
    """查看案件：状态、申报表、现在可办理的操作（及不可办理的原因）、定时。

    \b
    示例：award show SHA-2026-001
          award show SHA-2026-001 --diagram
    """
    if diagram or svg:
        from .diagrams import case_path, emit

        spec, current, steps = case_path(settings, case_ref)
        emit(spec, svg=svg, current=current, path=steps)
        return
    answered = _plain(settings, lambda plain, actor: plain.show(case_ref, actor=actor))
    if answered is not None:
        view, catalog = answered
    else:
        engine = settings.engine()
        actor = settings.member("查看案件")
        _review_access(engine, case_ref, actor, "查看")
        view = engine.show(case_ref, actor=actor)
        catalog = engine.catalog

    def people() -> None:
        from award.workflow.labels import objection_status, roles, timer_label, timer_status

        spec = catalog.get(view.procedure, view.definition_version)
        con = render.console()
        safe = render.safe
        con.print(f"[bold]{safe(view.ref)}[/bold]  {safe(view.procedure_title)}（{safe(view.definition_version)}）"
                  f"  轮次 {safe(view.round_id)}")
        con.print(f"申报主体：{safe(view.party.name)}（{safe(view.party.code)}）")
        con.print(f"赛道：{safe(view.track_label)}")
        con.print(f"状态：[bold]{safe(view.state_label)}[/bold]  自 {render.shanghai(view.entered_at)}"
                  + ("  [red]暂停：有未处理的异议[/red]" if view.held else ""))
        if view.form:
            render.table("申报表", ["字段", "名称", "内容"], [list(f) for f in view.form])
        if view.triggers:
            rows = []
            for t in view.triggers:
                why = "\n".join(f"{'✓' if v.passed else '✗'} [{v.rule}] {v.reason}" if v.rule else
                                f"{'✓' if v.passed else '✗'} {v.reason}" for v in t.verdicts)
                who = "定时触发" if t.timer_only else roles(spec.roles, t.roles)
                rows.append([t.trigger, t.label, t.dest_label, who, "可以" if t.allowed else "不可", why])
            render.table("当前可用的操作", ["操作", "名称", "去向", "角色", "现在", "条件"], rows)
        if view.timers:
            render.table("定时", ["#", "事项", "到期", "最后一日", "状态", "规则"],
                   [[t.id, timer_label(spec, t.state, t.kind, t.trigger, t.duty), render.shanghai(t.due_at), t.last_day,
                     timer_status(t.status), t.rule] for t in view.timers])
        from .casework import checklist_table

        if view.checklist:
            checklist_table("核查表（评审人员的核查意见）", list(view.checklist)).print()
        if view.recovery:
            _print_recovery(view.recovery)
        keep = view.retention
        if keep is not None:
            from award.workflow.timing.clock import cn_date

            if keep["until"] is None:
                con.print(f"申报评审材料：办结后保存{keep['years']}年（{safe(keep['rule'])}）")
            else:
                origins = "、".join(f"“{safe(m['state_label'])}”起至{cn_date(m['until'])}" for m in keep["marks"])
                con.print(f"申报评审材料保存至 {cn_date(keep['until'])}（{safe(keep['rule'])}；{origins}）")
        if view.objections:
            render.table("异议", ["#", "状态", "提出人", "理由", "处理"],
                   [[o["id"], objection_status(o["status"]), o["filed_by"], o["reason"], o["resolution"]]
                    for o in view.objections])
        if view.entries:
            from .entries import ENTRY_COLUMNS, entry_rows

            render.table("记录事项", ENTRY_COLUMNS, entry_rows(view.entries))

    render.emit(view, as_json=as_json, show=people)


def _print_recovery(items: Any) -> None:
    """What a revocation set going (SHA-35/36): each item, done or still to do."""
    from award.workflow.revocations import OUTCOMES

    render.table("撤销后的事项", ["事项", "依据", "状态", "日期", "文号或编号", "说明"],
                 [[i["label"], i["rule"], OUTCOMES.get(i["status"], "待办理"), i["on"] or "", i["reference"] or "",
                   i["note"] or ""] for i in items])


@click.command()
@click.argument("case_ref")
@page_options(1000, "条")
@json_option
@output_options
@pass_settings
def history(settings: Settings, case_ref: str, limit: int, offset: int, as_json: bool) -> None:
    """查看案件的办理历史（每条记录的业务时间和实际记录时间），一次一页。

    \b
    示例：
      award history SHA-2026-001
      award history SHA-2026-001 --offset 1000
      award history SHA-2026-001 --output xlsx -o 办理历史.xlsx
    """
    answered = _plain(settings, lambda plain, _actor: plain.history(case_ref, limit=limit, offset=offset))
    if answered is not None:
        found, catalog = answered
    else:
        from award.workflow.reads import case_history

        _review_access(settings.engine(), case_ref, settings.member("查看案件历史"), "查看办理历史")
        found = case_history(settings.engine(), case_ref, limit=limit, offset=offset)
        catalog = settings.engine().catalog
    view, events = found
    page_note(offset, limit, view.events > offset + limit, "条")

    def people() -> None:
        from award.workflow.labels import NOTIFY_EVENTS as NOTIFY_KINDS
        from award.workflow.labels import event_kind

        hspec = catalog.get(view.procedure, view.definition_version)
        role_labels, spec_tracks = hspec.roles, {k: t.label for k, t in hspec.tracks.items()}
        spec_entries = {k: e.label for k, e in hspec.entries.items()}
        rows = []
        for e in events:
            move = f"{e.source_label} → {e.dest_label}" if e.source and e.source != e.dest else (e.dest_label or "")
            what = (e.trigger_label if e.kind in ("transition", "created") else None) or _EVENT_LABELS.get(e.kind) \
                or NOTIFY_KINDS.get(e.kind) or event_kind(e.kind)
            details = []
            if e.changes:
                details.append("填写：" + "，".join(f"{k}={v}" for k, v in e.changes.items()))
            for key, value in e.detail.items():
                if key not in ("verdicts", "v", "ids", "actor") and value not in (None, "", [], {}):
                    shown = spec_tracks.get(value, value) if key == "track" else \
                        spec_entries.get(value, value) if key == "entry" else _detail_value(key, value)
                    details.append(f"{_DETAIL_LABELS.get(key, key)}：{shown}")
            if e.comment:
                details.append(f"说明：{e.comment}")
            rows.append([e.seq, render.shanghai(e.business_time), what, move, ("定时任务" if e.actor == "system" else e.actor)
                         + (f"（{role_labels[e.role]}）" if e.role in role_labels else "")
                         + _provenance(e.detail.get("actor")),
                         "\n".join(details), render.shanghai(e.wall_time)])
        with render.paged():
            render.table(f"{view.ref} {view.party_name} · {view.track_label} 的办理历史",
                         ["#", "业务时间", "事项", "状态", "操作人", "内容", "实际记录时间"], rows)

    render.emit({"case": view.ref, "events": events}, as_json=as_json, show=people)


def _plain(settings: Settings, read: Callable[[PlainReader, Actor], T | None]) -> tuple[T, Catalog | ReadCatalog] | None:
    """The plain read path's answer, for the acting member, with its catalogue's labels (workflow/plainread.py: a
    SQLite file, no ORM imported), or None: then the engine's path answers, with every check and message of its own."""
    plain = settings.plain_reader()
    if plain is None:
        return None
    try:
        actor = plain.actor(settings.login_source())
        found = read(plain, actor) if actor is not None else None
    finally:
        plain.close()
    return None if found is None else (found, plain.catalog)


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
    "file_attached": "附加文件", "contact_corrected": "更正联系方式", "entry_recorded": "登记事项",
    "entry_answered": "答复事项", "definition_migrated": "改按新版流程定义办理",
}

_DETAIL_LABELS = {
    "expert_name": "专家", "stage_label": "评审阶段", "how_label": "分配方式", "total": "总分", "table_label": "评分表",
    "assignments_ended": "结束的分配", "scores_dropped": "不再计入的评分", "kind_label": "类别",
    "source_label": "来源", "what": "操作", "direction_label": "评价方向", "rating": "评价", "names": "名单",
    "old_due_at": "原到期", "provisional": "暂定",
    "track": "赛道", "timer": "定时", "due_at": "到期", "rule": "规则", "objection": "异议", "by": "提出人",
    "outcome": "结果", "duty": "义务", "index": "次数", "file": "文件", "sha256": "文件摘要", "evidence": "证明材料",
    "mark": "标记", "period": "期限", "trigger": "触发", "reason": "原因", "back_to": "退回到第几条记录时的状态",
    "undone": "撤销其后果的记录", "cancelled_timers": "取消的定时", "notifications_withdrawn": "撤回的通知",
    "already_sent": "已发出、无法撤回的通知", "records": "获奖记录", "restart": "期限重新起算",
    "backdated": "补记理由", "last_event_at": "补记时本案最后一条记录的时间",
    "files": "文件", "before": "原值", "outbox": "通知", "override": "破例准许", "entry": "事项", "on": "日期",
    "answers": "答复第几条记录",
    "to": "对象", "checklist": "核查表", "item": "项目", "finding": "核查意见",
    "from_version": "原流程定义版本", "to_version": "新流程定义版本", "from_hash": "原版本内容哈希", "to_hash": "新版本内容哈希",
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
    if key == "outcome" and isinstance(value, str):
        from award.workflow.labels import objection_status

        return objection_status(value)
    if key == "last_event_at" and isinstance(value, str):
        from datetime import datetime

        return render.shanghai(datetime.fromisoformat(value))
    if key == "finding" and isinstance(value, str):
        from award.workflow.labels import FINDINGS

        return FINDINGS.get(value, value)
    if key == "restart":
        return "是" if value else "否"
    if key in ("undone", "cancelled_timers", "notifications_withdrawn", "already_sent") and isinstance(value, list):
        return "、".join(f"第{v}条" if key == "undone" else f"#{v}" for v in value)
    if key == "sha256" and isinstance(value, str):
        return value[:12]
    if key == "override" and isinstance(value, dict):  # an "in principle" rule excused, with the reason
        return f"{value.get('reason', '')}（{'、'.join(str(r) for r in value.get('rules', []))}）"
    if key in ("evidence", "files") and isinstance(value, list):
        return "、".join(str(item.get("file", item)) if isinstance(item, dict) else str(item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{k}={'—' if v in (None, '') else v}" for k, v in value.items())
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


@click.command()
@click.option("--procedure", help="流程编号或名称，如 sha。")
@click.option("--round", "round_id", help="评审轮次，如 sha-2026。")
@click.option("--state", help="状态：编号或中文名称（可只写名称的一部分）。")
@click.option("--track", help="赛道：编号或中文名称。")
@click.option("--party", help="申报主体：编号、统一社会信用代码或全称。")
@click.option("--name", help="申报主体名称的一部分，如“质量科技”。")
@click.option("--entered-after", type=click.DateTime(["%Y-%m-%d"]), help="进入当前状态的日期不早于此日，如 2026-05-01。")
@click.option("--entered-before", type=click.DateTime(["%Y-%m-%d"]), help="进入当前状态的日期早于此日。")
@click.option("--due-within", type=click.IntRange(min=0), help="有期限在此后若干个工作日内届满。")
@click.option("--open", "open_only", is_flag=True, help="只列出未办结的案件。")
@page_options(100, "件")
@json_option
@output_options
@pass_settings
def cases(settings: Settings, procedure: str | None, round_id: str | None, state: str | None, track: str | None,
          party: str | None, name: str | None, entered_after: Any, entered_before: Any, due_within: int | None,
          open_only: bool, limit: int, offset: int, as_json: bool) -> None:
    """列出案件，可按流程、轮次、状态、赛道、申报主体、名称、日期和期限筛选。

    写错的轮次、状态或流程会提示相近的名称（退出码 4），不会列出空表。

    \b
    示例：
      award cases --round sha-2026 --state 资格审查中
      award cases --name 质量科技 --due-within 5
      award cases --round sha-2026 --limit 100 --offset 100
    """
    plain = None
    if export.active() is None and not (procedure or state or track or party or name or entered_after
                                        or entered_before or due_within is not None):
        plain = _plain(settings, lambda p, _actor: p.round_cases(round_id, limit=limit + 1, offset=offset,
                                                                  open_only=open_only) if round_id else
                       p.office_cases(limit=limit + 1, offset=offset, open_only=open_only))
    found = plain[0] if plain is not None else _find(  # a page of one round or of all (the usual lists) without the ORM
        settings, procedure, round_id, state, track, party, name, entered_after, entered_before, due_within,
        open_only, limit, offset)
    if found is None:
        return
    more, rows = len(found) > limit, found[:limit]

    def people() -> None:
        from datetime import datetime

        page_note(offset, limit, more, "件")

        columns = ["案件", "轮次", "申报主体", "赛道", "状态"] + (["最近期限"] if due_within is not None else [])
        with render.paged():
            render.table(f"案件（{len(rows)} 件）", columns,
                         [[r["ref"], r["round"], r["party"], r["track_label"], r["state_label"] + ("（暂停）" if r["held"] else "")]
                          + ([render.shanghai(datetime.fromisoformat(r["next_due"]))] if due_within is not None else [])
                          for r in rows], ids=(0, 1))

    render.emit(rows, as_json=as_json, show=people)


def _find(settings: Settings, procedure: str | None, round_id: str | None, state: str | None, track: str | None,
          party: str | None, name: str | None, entered_after: Any, entered_before: Any, due_within: int | None,
          open_only: bool, limit: int, offset: int) -> list[dict[str, Any]] | None:
    """The engine's listing (every filter), one row more than the page; None when it went to an export file."""
    settings.member("查看案件列表")
    from award.workflow.finder import CaseFilter, find_cases

    if export.active() is not None:  # `--output xlsx|csv -o FILE`: the wide listing, filtered the same way
        _export_cases(settings, {r["ref"] for r in find_cases(settings.engine(), CaseFilter(
            procedure=procedure, round_id=round_id, state=state, track=track, party=party, name=name,
            entered_after=entered_after.date() if entered_after else None,
            entered_before=entered_before.date() if entered_before else None, due_within=due_within,
            open_only=open_only))})
        return None
    return find_cases(settings.engine(), CaseFilter(
        procedure=procedure, round_id=round_id, state=state, track=track, party=party, name=name,
        entered_after=entered_after.date() if entered_after else None,
        entered_before=entered_before.date() if entered_before else None, due_within=due_within,
        open_only=open_only, limit=limit + 1, offset=offset))


def _export_cases(settings: Settings, refs: set[str]) -> None:
    """Every column an office keeps in its spreadsheet: code, district, the definition's listed fields, dates."""
    rows = [r for r in settings.engine().cases() if r["ref"] in refs]
    codes = export.unmasked_codes(settings, sorted({r["party_id"] for r in rows}), "cases")
    listed = list(dict.fromkeys(label for r in rows for label in r["listed"]))
    render.table("案件", ["案件", "轮次", "申报主体", "代码", "所在区", *listed, "赛道", "状态", "异议暂停",
                        "开启时间", "进入当前状态时间", "最后更新时间"],
           [[r["ref"], r["round"], r["party"], codes.get(r["party_id"], r["party_code"]), r["district"],
             *[r["listed"].get(label, "") for label in listed], r["track_label"], r["state_label"],
             "是" if r["held"] else "", render.shanghai(r["created_at"]), render.shanghai(r["entered_at"]),
             render.shanghai(r["updated_at"])] for r in rows])


@click.command()
@click.argument("case_ref", required=False, metavar="[案件]")
@json_option
@pass_settings
def verify(settings: Settings, case_ref: str | None, as_json: bool) -> None:
    """核验一件或全部案件历史的哈希链（断裂时退出码为 7）。

    \b
    示例：award verify
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
