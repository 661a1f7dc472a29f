"""The `award` command line: parse, make one engine call, print. No rules live here.

Exit codes: 0 done; 1 unexpected; 2 usage or a bad value; 3 refused by the
procedure; 4 not found; 5 lost a race with another writer (nothing changed,
safe to retry); 6 office data wrong or missing (definitions, calendar,
deployment file); 7 `verify` found tampered history.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from award.workflow.engine import Engine
    from award.workflow.views import Actor

__all__ = ["main"]

_LOGGER = logging.getLogger("award")


@dataclass(kw_only=True)
class Settings:
    """What the group's options say; the engine is built from it on first use."""

    db: str | None
    definitions: str | None
    now: str | None
    as_name: str | None
    deployment: str | None
    deliver: bool = True
    engine_factory: Callable[[Settings], Engine] | None = None
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        if self._engine is None:
            factory = self.engine_factory or build_engine
            self._engine = factory(self)
        return self._engine

    def close(self) -> None:
        """Release the database connections of an engine built for this command (not a factory's)."""
        if self._engine is not None and self.engine_factory is None:
            self._engine.db.dispose()

    def actor(self) -> Actor:
        return self.engine().office.actor(self.as_name, _login())

    def definitions_root(self) -> Path:
        from award.workflow.specs.loader import bundled_definitions

        return Path(self.definitions) if self.definitions else bundled_definitions()


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def build_engine(settings: Settings, *, require_schema: bool = True) -> Engine:
    """Build the real engine from settings: the one place the seams are chosen."""
    from award.workflow.engine import Engine
    from award.workflow.errors import InvalidInput
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.store import Database, database_url
    from award.workflow.timing.calendar import OfficialCalendar
    from award.workflow.timing.clock import fixed_clock, parse_moment, system_clock

    catalog = load_catalog(settings.definitions_root())
    catalog.raise_if_invalid()
    clock = system_clock
    if settings.now:
        try:
            clock = fixed_clock(parse_moment(settings.now))
        except ValueError as exc:
            raise InvalidInput(f"--now / AWARD_NOW：{exc}") from None
    db = Database(database_url(settings.db))
    try:
        root = settings.definitions_root()
        calendar = OfficialCalendar(files_dir=(root if root.is_dir() else root.parent) / "calendars")
        engine = Engine(db=db, catalog=catalog, clock=clock, wall_clock=system_clock, calendar=calendar)
        _wire_extensions(engine, settings)
        if require_schema:
            db.require_schema()
    except BaseException:
        db.dispose()  # no engine to close later: release the connection opened so far
        raise
    return engine


def _wire_extensions(engine: Engine, settings: Settings) -> None:
    """Timers and notifications hook into every step's transaction."""
    from award.workflow.notify.outbox import install as install_outbox
    from award.workflow.timing.timers import install as install_timers

    install_timers(engine)
    install_outbox(engine, deployment=settings.deployment, deliver=settings.deliver)


# ------------------------------------------------------------------ printing


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


def _table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False, title_justify="left")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[("" if v is None else str(v)) for v in r])
    _console().print(table)


def _json(value: Any) -> None:
    from award.workflow.views import to_json

    click.echo(json.dumps(to_json(value), ensure_ascii=False, indent=2))


def _dt(moment: Any) -> str:
    from award.workflow.timing.clock import SHANGHAI

    if moment is None:
        return ""
    return str(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"{what} 需要 名称=值 的形式，收到 {item!r}")
        out[key.strip()] = value.strip()
    return out


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")
pass_settings = click.make_pass_decorator(Settings)


# ---------------------------------------------------------------------- group


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="AWARD_DB", help="SQLite file path or SQLAlchemy URL [env AWARD_DB; default ./award.db].")
@click.option("--definitions", envvar="AWARD_DEFINITIONS", help="Definitions folder [env AWARD_DEFINITIONS; default: bundled].")
@click.option("--now", envvar="AWARD_NOW", help="Run as of this moment, e.g. '2026-05-06 09:00' (Asia/Shanghai) [env AWARD_NOW].")
@click.option("--as", "as_name", envvar="AWARD_AS", help="Act as this staff member (must be on the roster).")
@click.option("--deployment", envvar="AWARD_DEPLOYMENT", help="Deployment file: addresses and notifiers [env AWARD_DEPLOYMENT].")
@click.option("--no-deliver", is_flag=True, help="Leave notifications in the outbox (for `award outbox deliver` or the scheduler).")
@click.pass_context
def cli(ctx: click.Context, db: str | None, definitions: str | None, now: str | None, as_name: str | None,
        deployment: str | None, no_deliver: bool) -> None:
    """award: the procedure engine of a quality-award office.

    \b
    Example (a new office):
      award init
      award staff add wang --role office
      award round open sha 2026 --date announced=2026-03-02
      award party add --kind organization --name 上海某某公司 --code 91310000MA1FL1GF9K --registered-on 2015-06-01
      award case new --party 91310000MA1FL1GF9K --round sha-2026 --track gold_model
      award show SHA-2026-001
    """
    if ctx.obj is None:
        ctx.obj = Settings(db=db, definitions=definitions, now=now, as_name=as_name, deployment=deployment,
                           deliver=not no_deliver)
    else:  # tests and embedding pass their own Settings with a factory
        ctx.obj.db = db or ctx.obj.db
        ctx.obj.definitions = definitions or ctx.obj.definitions
        ctx.obj.now = now or ctx.obj.now
        ctx.obj.as_name = as_name or ctx.obj.as_name
        ctx.obj.deployment = deployment or ctx.obj.deployment
        ctx.obj.deliver = ctx.obj.deliver and not no_deliver
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create or upgrade the database schema (safe to run twice).

    \b
    Example: award --db award.db init
    """
    engine = build_engine(settings, require_schema=False) if settings.engine_factory is None \
        else settings.engine_factory(settings)
    settings._engine = settings._engine or engine
    old, new = engine.db.init(engine.clock())
    if old == 0:
        click.echo(f"数据库已创建（结构版本 {new}）：{engine.db.shown}")
    elif old < new:
        click.echo(f"数据库结构已从版本 {old} 升级到 {new}")
    else:
        click.echo(f"数据库已是最新结构（版本 {new}），无需改动")


# ---------------------------------------------------------------- definitions


@cli.group()
def definitions() -> None:
    """List, show and check process definitions (no database needed)."""


@definitions.command("list")
@json_option
@pass_settings
def definitions_list(settings: Settings, as_json: bool) -> None:
    """List the procedures defined.

    \b
    Example: award definitions list
    """
    from award.workflow.specs.catalog import load_catalog

    catalog = load_catalog(settings.definitions_root())
    rows = [{"id": s.id, "version": s.version, "title": s.title, "source": s.source,
             "states": len(s.states), "transitions": len(s.transitions), "file": str(catalog.file_of(s))}
            for s in catalog.specs()]
    if as_json:
        _json(rows)
        return
    _table("流程定义", ["ID", "版本", "名称", "依据", "状态数", "触发数"],
           [[r["id"], r["version"], r["title"], r["source"], r["states"], r["transitions"]] for r in rows])
    if catalog.problems:
        click.echo(f"注意：流程定义有 {len(catalog.problems)} 处问题，运行 award definitions check 查看", err=True)


@definitions.command("show")
@click.argument("definition_id")
@json_option
@pass_settings
def definitions_show(settings: Settings, definition_id: str, as_json: bool) -> None:
    """Show a procedure: states, transitions, guards with their rules.

    \b
    Example: award definitions show sha
    """
    from award.workflow.specs.catalog import load_catalog

    catalog = load_catalog(settings.definitions_root())
    spec = catalog.get(definition_id)
    if as_json:
        _json(spec.model_dump(mode="json", by_alias=True))
        return
    con = _console()
    con.print(f"[bold]{spec.title}[/bold]  {spec.id} 版本 {spec.version}  依据：{spec.source}")
    _table("赛道", ["ID", "名称", "申报主体"],
           [[k, t.label, "组织" if t.party == "organization" else "个人"] for k, t in spec.tracks.items()])
    _table("状态", ["ID", "名称", "类型", "定时"],
           [[s.name, s.label, "终止" if s.final else ("公示" if s.notice else ""),
             "；".join(f"{t.after or t.at or t.every} → {t.trigger or t.duty or t.mark} [{t.rule}]" for t in s.timers)]
            for s in spec.states])
    rows = []
    for t in spec.transitions:
        guards = "\n".join(f"[{g.rule}] {g.check}" + (f" 当 {g.when}" if g.when else "") for g in t.guards)
        rows.append([t.trigger, t.label, ",".join(t.source), t.dest, ",".join(spec.roles.get(r, r) for r in t.roles),
                     guards])
    _table("触发", ["触发", "名称", "来源", "目标", "角色", "守卫条件（规则）"], rows)
    if spec.quotas:
        _table("名额", ["名额", "上限", "规则"], [[q.label, q.max, q.rule] for q in spec.quotas.limits])
    from award.workflow.specs.check import spec_rules

    _table("引用的规则", ["规则", "条款", "内容"],
           [[r, catalog.rules[r].article, catalog.rules[r].summary] for r in sorted(spec_rules(spec))
            if r in catalog.rules])


@definitions.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@json_option
@pass_settings
def definitions_check(settings: Settings, path: Path | None, as_json: bool) -> None:
    """Run every check on definitions, templates and calendars (no database).

    \b
    Example: award definitions check ./my-definitions
    """
    from award.workflow.specs.validate import check_all

    root = path or settings.definitions_root()
    problems, summary = check_all(root)
    if as_json:
        _json({"ok": not problems, "summary": summary, "problems": problems})
    else:
        for p in problems:
            click.echo(str(p) + (f" [{p.rule}]" if p.rule else ""), err=True)
        if problems:
            click.echo(f"发现 {len(problems)} 处问题", err=True)
        else:
            click.echo(f"全部检查通过：{summary}")
    if problems:
        sys.exit(6)


# ---------------------------------------------------------------------- staff


@cli.group()
def staff() -> None:
    """The staff roster: who may act, in which roles."""


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="office, reviewer, committee, ... (repeatable).")
@click.option("--email", help="Address for notifications to this person.")
@json_option
@pass_settings
def staff_add(settings: Settings, name: str, roles: tuple[str, ...], email: str | None, as_json: bool) -> None:
    """Add a staff member (or roles to one).

    \b
    Example: award staff add wang --role office --role committee
    """
    view = settings.engine().office.staff_add(name, roles, email)
    if as_json:
        _json(view)
    else:
        click.echo(f"{view.name}：{'、'.join(view.roles)}")


@staff.command("list")
@json_option
@pass_settings
def staff_list(settings: Settings, as_json: bool) -> None:
    """List the staff roster.

    \b
    Example: award staff list --json
    """
    views = settings.engine().office.staff_list()
    if as_json:
        _json(views)
        return
    roles = settings.engine().catalog.roles()
    _table("工作人员", ["姓名", "角色", "电子邮箱"],
           [[v.name, "、".join(roles.get(r, r) for r in v.roles), v.email] for v in views])


# --------------------------------------------------------------------- parties


@cli.group()
def party() -> None:
    """Parties (organisations and persons) and their award history."""


@party.command("add")
@click.option("--kind", type=click.Choice(["organization", "person"]), required=True)
@click.option("--name", required=True)
@click.option("--code", required=True, help="Unified social credit code (organisation) or resident ID number (person).")
@click.option("--registered-on", type=click.DateTime(["%Y-%m-%d"]), help="Date of registration (organisations).")
@click.option("--email")
@click.option("--phone")
@click.option("--district", help="District (所在区), for the district bureau's notifications.")
@click.option("--attr", "attrs", multiple=True, help="A party attribute NAME=VALUE (repeatable).")
@json_option
@pass_settings
def party_add(settings: Settings, kind: str, name: str, code: str, registered_on: Any, email: str | None,
              phone: str | None, district: str | None, attrs: tuple[str, ...], as_json: bool) -> None:
    """Register an organisation or a person; codes are checked by their check character.

    \b
    Example: award party add --kind organization --name 上海某某公司 --code 91310000MA1FL1GF9K --registered-on 2015-06-01
    """
    view = settings.engine().office.party_add(
        kind=kind, name=name, code=code, registered_on=registered_on.date() if registered_on else None,
        email=email, phone=phone, district=district, attrs=_pairs(attrs, "--attr"))
    if as_json:
        _json(view)
    else:
        click.echo(f"已登记 {view.kind_label} #{view.id} {view.name}（{view.code}）")


@party.command("set")
@click.argument("ref")
@click.option("--attr", "attrs", multiple=True, required=True, help="NAME=VALUE (repeatable).")
@json_option
@pass_settings
def party_set(settings: Settings, ref: str, attrs: tuple[str, ...], as_json: bool) -> None:
    """Change a party's attributes.

    \b
    Example: award party set 91310000MA1FL1GF9K --attr NAME=VALUE
    """
    view = settings.engine().office.party_set(ref, _pairs(attrs, "--attr"))
    if as_json:
        _json(view)
    else:
        click.echo(f"{view.name}：{view.attrs}")


@party.command("show")
@click.argument("ref")
@json_option
@pass_settings
def party_show(settings: Settings, ref: str, as_json: bool) -> None:
    """Show a party, its awards (won, imported, revoked) and its cases.

    \b
    Example: award party show 91310000MA1FL1GF9K
    """
    v = settings.engine().office.party_show(ref)
    if as_json:
        _json(v)
        return
    con = _console()
    con.print(f"[bold]#{v.id} {v.name}[/bold]  {v.kind_label}  {v.code}")
    if v.registered_on:
        con.print(f"登记注册日期：{v.registered_on}")
    for label, value in (("电子邮箱", v.email), ("电话", v.phone), ("所在区", v.district)):
        if value:
            con.print(f"{label}：{value}")
    if v.attrs:
        con.print("属性：" + "，".join(f"{k}={val}" for k, val in v.attrs.items()))
    _table("获奖记录", ["奖项", "获奖日期", "撤销日期", "禁止申报至", "原因", "来源"],
           [[r.label, r.awarded_on, r.revoked_on, r.bar_until, r.reason,
             "导入" if r.source == "import" else r.case_ref] for r in v.records])
    _table("案件", ["案件", "轮次", "赛道", "状态"], [[c["ref"], c["round"], c["track"], c["state_label"]] for c in v.cases])


@party.command("list")
@click.option("--kind", type=click.Choice(["organization", "person"]))
@json_option
@pass_settings
def party_list(settings: Settings, kind: str | None, as_json: bool) -> None:
    """List parties (resident ID numbers masked).

    \b
    Example: award party list --kind person
    """
    views = settings.engine().office.party_list(kind)
    if as_json:
        _json(views)
        return
    _table("申报主体", ["#", "类型", "名称", "代码", "登记注册日期", "所在区"],
           [[v.id, v.kind_label, v.name, v.code, v.registered_on, v.district] for v in views])


@party.command("import-awards")
@click.argument("file", type=click.Path(path_type=Path))
@pass_settings
def party_import_awards(settings: Settings, file: Path) -> None:
    """Load awards won before the system existed (all rows or none).

    \b
    Columns: code,procedure,award,awarded_on[,label,revoked_on,reason,rule]
    Example: award party import-awards past-awards.csv
    """
    n = settings.engine().office.import_awards(file)
    click.echo(f"已导入 {n} 条获奖记录")


# ---------------------------------------------------------------------- rounds


@cli.group("round")
def round_() -> None:
    """Rounds of a procedure (a year, its dates and properties)."""


@round_.command("open")
@click.argument("procedure")
@click.argument("year", type=int)
@click.option("--title")
@click.option("--id", "round_id", help="Round id (default PROCEDURE-YEAR).")
@click.option("--opened-on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--date", "dates", multiple=True, help="A named date NAME=YYYY-MM-DD[ HH:MM] (repeatable).")
@click.option("--property", "props", multiple=True, help="A round property NAME=VALUE (repeatable).")
@json_option
@pass_settings
def round_open(settings: Settings, procedure: str, year: int, title: str | None, round_id: str | None,
               opened_on: Any, dates: tuple[str, ...], props: tuple[str, ...], as_json: bool) -> None:
    """Open a round of a procedure.

    \b
    Example: award round open sha 2026
    """
    view = settings.engine().office.round_open(
        procedure=procedure, year=year, title=title, round_id=round_id,
        opened_on=opened_on.date() if opened_on else None, dates=_pairs(dates, "--date"),
        properties=_pairs(props, "--property"))
    if as_json:
        _json(view)
    else:
        click.echo(f"已开启轮次 {view.id}：{view.title}")


@round_.command("list")
@click.option("--procedure")
@json_option
@pass_settings
def round_list(settings: Settings, procedure: str | None, as_json: bool) -> None:
    """List rounds.

    \b
    Example: award round list --procedure sha
    """
    views = settings.engine().office.round_list(procedure)
    if as_json:
        _json(views)
        return
    _table("评审轮次", ["轮次", "名称", "年度", "开启日期", "案件"],
           [[v.id, v.title, v.year, v.opened_on, sum(v.cases_by_state.values())] for v in views])


@round_.command("show")
@click.argument("round_id")
@json_option
@pass_settings
def round_show(settings: Settings, round_id: str, as_json: bool) -> None:
    """Show a round: its dates, properties and cases by state.

    \b
    Example: award round show sha-2026
    """
    v = settings.engine().office.round_show(round_id)
    if as_json:
        _json(v)
        return
    con = _console()
    con.print(f"[bold]{v.title}[/bold]  {v.id}  开启于 {v.opened_on}")
    for k, val in v.dates.items():
        con.print(f"{k}：{val}")
    for k, val in v.properties.items():
        con.print(f"{k}：{val}")
    _table("案件（按状态）", ["状态", "数量"], list(v.cases_by_state.items()))


# ----------------------------------------------------------------------- cases


@cli.group()
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
    if as_json:
        _json(view)
    else:
        click.echo(f"已开启案件 {view.ref}：{view.party.name} · {view.track_label} · {view.state_label}")


@cli.command()
@click.argument("args", nargs=-1, required=True)
@click.option("--set", "sets", multiple=True, help="A form field FIELD=VALUE (repeatable).")
@click.option("--comment", help="Why (required for refusals, revocations, withdrawals).")
@click.option("--round", "round_id", help="With --state: advance every case of this round in that state.")
@click.option("--state", help="With --round: the state of the cases to advance.")
@json_option
@pass_settings
def advance(settings: Settings, args: tuple[str, ...], sets: tuple[str, ...], comment: str | None,
            round_id: str | None, state: str | None, as_json: bool) -> None:
    """Fire a trigger: `advance CASE TRIGGER`, or `advance --round R --state S TRIGGER` for many.

    \b
    Examples:
      award advance SHA-2026-001 submit
      award advance SHA-2026-001 reject_qualification --comment "材料不完整"
      award advance --round sha-2026 --state qualification_review pass_qualification
    """
    engine = settings.engine()
    actor = settings.actor()
    if round_id or state:
        if not (round_id and state) or len(args) != 1:
            raise click.UsageError("批量推进需要 --round R --state S TRIGGER")
        _advance_many(engine, actor, round_id, state, args[0], sets, comment, as_json)
        return
    if len(args) != 2:
        raise click.UsageError("用法：award advance CASE TRIGGER（或 --round R --state S TRIGGER）")
    result = engine.advance(args[0], args[1], actor=actor, sets=sets, comment=comment)
    if as_json:
        _json(result)
        return
    click.echo(f"{result.case_ref}：{result.trigger_label}　{result.source_label} → {result.dest_label}")
    for t in result.timers:
        label = t.trigger or t.duty or "定时"
        click.echo(f"  定时：{label} 于 {_dt(t.due_at)} 到期（{t.period}，规则 {t.rule}）"
                   + ("　注意：所依据的日历尚属暂定" if t.provisional else ""))


def _advance_many(engine: Engine, actor: Actor, round_id: str, state: str, trigger: str, sets: Sequence[str],
                  comment: str | None, as_json: bool) -> None:
    from award.workflow.errors import AwardError
    from rich.progress import Progress

    results: list[tuple[str, Any]] = []
    with Progress(console=_console(stderr=True), transient=True, disable=as_json) as progress:
        task = progress.add_task(f"推进 {round_id} / {state} → {trigger}", total=None)

        def tick(ref: str, res: Any) -> None:
            results.append((ref, res))
            progress.advance(task)

        engine.advance_many(round_id=round_id, state=state, trigger=trigger, actor=actor, sets=sets,
                            comment=comment, progress=tick)
    failed = [(r, e) for r, e in results if isinstance(e, AwardError)]
    if as_json:
        _json([{"case": r, "ok": not isinstance(e, AwardError),
                "result": e if not isinstance(e, AwardError) else str(e)} for r, e in results])
    else:
        for ref, res in results:
            if isinstance(res, AwardError):
                click.echo(f"{ref}：未推进\n{res}")
            else:
                click.echo(f"{ref}：{res.source_label} → {res.dest_label}")
        click.echo(f"共 {len(results)} 件，成功 {len(results) - len(failed)} 件，未推进 {len(failed)} 件")
    if failed:
        sys.exit(3)


@cli.command()
@click.argument("case_ref")
@json_option
@pass_settings
def show(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show a case: state, form, the triggers available now (and why not), timers.

    \b
    Example: award show SHA-2026-001
    """
    engine = settings.engine()
    view = engine.show(case_ref, actor=settings.actor())
    if as_json:
        _json(view)
        return
    con = _console()
    con.print(f"[bold]{view.ref}[/bold]  {view.procedure_title}（{view.definition_version}）  轮次 {view.round_id}")
    con.print(f"申报主体：{view.party.name}（{view.party.code}）")
    con.print(f"赛道：{view.track_label}")
    con.print(f"状态：[bold]{view.state_label}[/bold]（{view.state}）  自 {_dt(view.entered_at)}"
              + ("  [red]暂停：有未处理的异议[/red]" if view.held else ""))
    if view.form:
        _table("申报表", ["字段", "名称", "内容"], [list(f) for f in view.form])
    if view.triggers:
        rows = []
        for t in view.triggers:
            why = "\n".join(f"{'✓' if v.passed else '✗'} [{v.rule}] {v.reason}" if v.rule else
                            f"{'✓' if v.passed else '✗'} {v.reason}" for v in t.verdicts)
            who = "定时触发" if t.timer_only else "、".join(t.roles)
            rows.append([t.trigger, t.label, t.dest_label, who, "可以" if t.allowed else "不可", why])
        _table("当前可用的触发", ["触发", "名称", "去向", "角色", "现在", "条件"], rows)
    if view.timers:
        _table("定时", ["#", "类型", "事项", "到期", "最后一日", "状态", "规则"],
               [[t.id, t.kind, t.trigger or t.duty or "", _dt(t.due_at), t.last_day, t.status, t.rule]
                for t in view.timers])
    if view.objections:
        _table("异议", ["#", "状态", "提出人", "理由", "处理"],
               [[o["id"], o["status"], o["filed_by"], o["reason"], o["resolution"]] for o in view.objections])


@cli.command()
@click.argument("case_ref")
@json_option
@pass_settings
def history(settings: Settings, case_ref: str, as_json: bool) -> None:
    """Show a case's full history (business time and real time of each event).

    \b
    Example: award history SHA-2026-001
    """
    view, events = settings.engine().history(case_ref)
    if as_json:
        _json({"case": view.ref, "events": events})
        return
    rows = []
    for e in events:
        move = f"{e.source_label or ''} → {e.dest_label}" if e.source != e.dest else (e.dest_label or "")
        what = e.trigger_label or e.kind
        details = []
        if e.changes:
            details.append("填写：" + "，".join(f"{k}={v}" for k, v in e.changes.items()))
        for key, value in e.detail.items():
            if key not in ("verdicts", "v") and value not in (None, "", [], {}):
                details.append(f"{_DETAIL_LABELS.get(key, key)}：{_detail_value(key, value)}")
        if e.comment:
            details.append(f"说明：{e.comment}")
        rows.append([e.seq, _dt(e.business_time), what, move, f"{e.actor}" + (f"（{e.role}）" if e.role else ""),
                     "\n".join(details), _dt(e.wall_time)])
    _table(f"{view.ref} {view.party.name} · {view.track_label} 的办理历史",
           ["#", "业务时间", "事项", "状态", "操作人", "内容", "实际记录时间"], rows)


_DETAIL_LABELS = {
    "track": "赛道", "timer": "定时", "due_at": "到期", "rule": "规则", "objection": "异议", "by": "提出人",
    "outcome": "结果", "duty": "义务", "index": "次数", "file": "文件", "sha256": "文件摘要", "evidence": "证明材料",
    "mark": "标记", "period": "期限", "trigger": "触发",
}


def _detail_value(key: str, value: Any) -> str:
    """History event details as people read them (times in Asia/Shanghai, files by name)."""
    if key == "due_at" and isinstance(value, str):
        from datetime import datetime

        try:
            return _dt(datetime.fromisoformat(value))
        except ValueError:
            return value
    if key in ("timer", "objection"):
        return f"#{value}"
    if key == "sha256" and isinstance(value, str):
        return value[:12]
    if key == "evidence" and isinstance(value, list):
        return "、".join(str(item.get("file", item)) if isinstance(item, dict) else str(item) for item in value)
    return str(value)


@cli.command()
@click.option("--procedure")
@click.option("--round", "round_id")
@click.option("--state")
@json_option
@pass_settings
def cases(settings: Settings, procedure: str | None, round_id: str | None, state: str | None, as_json: bool) -> None:
    """List cases.

    \b
    Example: award cases --round sha-2026 --state qualification_review
    """
    rows = settings.engine().cases(procedure=procedure, round_id=round_id, state=state)
    if as_json:
        _json(rows)
        return
    _table("案件", ["案件", "轮次", "申报主体", "赛道", "状态"],
           [[r["ref"], r["round"], r["party"], r["track_label"], r["state_label"] + (" ⏸" if r["held"] else "")]
            for r in rows])


@cli.command()
@click.argument("case_ref", required=False)
@json_option
@pass_settings
def verify(settings: Settings, case_ref: str | None, as_json: bool) -> None:
    """Check the hash chain of one case's history, or of all (exit 7 when broken).

    \b
    Example: award verify
    """
    n, _ = settings.engine().verify(case_ref)
    if as_json:
        _json({"ok": True, "cases": n})
    else:
        click.echo(f"已核验 {n} 件案件的历史，哈希链完整")


# ------------------------------------------------------------------------ time


@cli.command()
@json_option
@pass_settings
def tick(settings: Settings, as_json: bool) -> None:
    """Fire every due timer once, oldest first (run it from cron every few minutes).

    \b
    Example crontab line:  */5 * * * *  cd /srv/award && award tick >> tick.log 2>&1
    """
    from award.workflow.timing.timers import tick as run_tick

    engine = settings.engine()
    report = run_tick(engine)
    if as_json:
        _json({"fired": report.fired, "held": report.held, "failed": report.failed})
        return
    for tid, ref, what, detail in report.fired:
        click.echo(f"已触发 #{tid} {ref}：{what}　{detail}")
    for tid, ref, _what, detail in report.held:
        click.echo(f"暂缓 #{tid} {ref}：{detail}")
    for tid, ref, _what, detail in report.failed:
        click.echo(f"失败 #{tid} {ref}：{detail}", err=True)
    click.echo(f"触发 {len(report.fired)} 个，暂缓 {len(report.held)} 个，失败 {len(report.failed)} 个")


@cli.group()
def timers() -> None:
    """Durable timers: what is due when, and why a timer was held or failed."""


@timers.command("list")
@click.option("--case", "case_ref")
@click.option("--status", type=click.Choice(["pending", "held", "failed", "fired", "cancelled", "overdue"]))
@json_option
@pass_settings
def timers_list(settings: Settings, case_ref: str | None, status: str | None, as_json: bool) -> None:
    """List timers (oldest due first).

    \b
    Example: award timers list --status held
    """
    from award.workflow.timing.timers import list_timers

    rows = list_timers(settings.engine(), case=case_ref, status=status)
    if as_json:
        _json(rows)
        return
    from datetime import datetime

    kinds = {"transition": "", "reminder": "提醒：", "duty": "义务：", "mark": "标记："}
    _table("定时", ["#", "案件", "案件状态", "事项", "到期", "最后一日", "规则", "定时状态", "说明"],
           [[r["id"], r["case"], r["state"],
             kinds.get(r["kind"], "") + (r["trigger"] or r["duty"] or r["kind"]) + (f" 第{r['index']}次" if r["index"] else ""),
             _dt(datetime.fromisoformat(r["due_at"])), r["last_day"], r["rule"], r["status"], r["note"]]
            for r in rows])


@timers.command("retry")
@click.argument("timer_id", type=int)
@pass_settings
def timers_retry(settings: Settings, timer_id: int) -> None:
    """Put a failed or held timer back in the queue (after fixing what stopped it).

    \b
    Example: award timers retry 12
    """
    from award.workflow.timing.timers import retry_timer

    click.echo(retry_timer(settings.engine(), timer_id))


@cli.command()
@click.option("--interval", default=60, show_default=True, help="Seconds between wake-ups at the most.")
@pass_settings
def scheduler(settings: Settings, interval: int) -> None:
    """Run the long-lived scheduler: wakes at the next due timer and at least every INTERVAL seconds.

    Deadlines stay in the database; it is safe to run beside cron ticks. Stops cleanly on SIGTERM.

    \b
    Example: award --db postgresql://award@db/award scheduler
    """
    from award.workflow.timing.scheduler import run_scheduler

    run_scheduler(settings.engine(), interval=interval, echo=click.echo)


@cli.group()
def calendar() -> None:
    """The official working-day calendar (the code the timers use)."""


@calendar.command("day")
@click.argument("day", type=click.DateTime(["%Y-%m-%d"]))
@json_option
@pass_settings
def calendar_day(settings: Settings, day: Any, as_json: bool) -> None:
    """Is DAY a working day, and why (weekend, holiday, make-up day)?

    \b
    Example: award calendar day 2026-10-10
    """
    info = _calendar(settings).day(day.date())
    if as_json:
        _json(info)
        return
    weekday = "一二三四五六日"[info.day.weekday()]
    click.echo(f"{info.day}（星期{weekday}）：{'工作日' if info.working else '休息日'}　{info.reason}"
               f"　[{info.source}]" + ("　暂定：次年放假安排公布后可能变化" if info.provisional else ""))


@calendar.command("due")
@click.argument("start")
@click.argument("period")
@click.option("--start-day-counts", is_flag=True, help="Count the start day itself (definitions say which).")
@json_option
@pass_settings
def calendar_due(settings: Settings, start: str, period: str, start_day_counts: bool, as_json: bool) -> None:
    """When a PERIOD that starts at START ends, computed exactly as the timers do.

    \b
    Example: award calendar due 2026-09-30 "5 working days"
    """
    from award.workflow.errors import InvalidInput
    from award.workflow.timing.clock import parse_moment
    from award.workflow.timing.periods import describe, due, parse_period

    try:
        begin = parse_moment(start)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    p = parse_period(period)
    result = due(p, begin, _calendar(settings), start_day_counts=start_day_counts)
    if as_json:
        _json(result)
        return
    click.echo(f"自 {_dt(begin)} 起 {describe(p, start_day_counts, start_label='起始当日')}：")
    if result.last_day:
        click.echo(f"  最后一日：{result.last_day}")
    click.echo(f"  届满时间：{_dt(result.at)}（上海时间）" + ("　暂定" if result.provisional else ""))
    click.echo(f"  依据：{result.basis}")


def _calendar(settings: Settings) -> Any:
    from award.workflow.timing.calendar import OfficialCalendar

    root = settings.definitions_root()
    return OfficialCalendar(files_dir=(root if root.is_dir() else root.parent) / "calendars")


@cli.group()
def objection() -> None:
    """Objections filed during a public notice (SHA-32)."""


@objection.command("file")
@click.argument("case_ref")
@click.option("--by", default="", help="The objector's real name (person or organisation); required.")
@click.option("--contact", default="", help="How to reach the objector; required.")
@click.option("--reason", default="", help="Why; required.")
@click.option("--evidence", multiple=True, type=click.Path(path_type=Path), help="A file of evidence (repeatable).")
@pass_settings
def objection_file(settings: Settings, case_ref: str, by: str, contact: str, reason: str,
                   evidence: tuple[Path, ...]) -> None:
    """File an objection against a case whose public notice is running; it holds the case.

    \b
    Example: award objection file SHA-2026-001 --by 张三 --contact 13800000000 --reason "材料不实" --evidence proof.pdf
    """
    from award.workflow.objections import file_objection

    oid = file_objection(settings.engine(), case_ref, by=by, contact=contact, reason=reason, evidence=evidence,
                         actor=settings.actor())
    click.echo(f"已受理异议 #{oid}；案件暂停，待处理后继续")


@objection.command("resolve")
@click.argument("objection_id", type=int)
@click.option("--dismiss", "outcome", flag_value="dismiss", help="The objection does not hold.")
@click.option("--uphold", "outcome", flag_value="uphold", help="The objection holds: the definition's consequence applies.")
@click.option("--reason", required=True)
@pass_settings
def objection_resolve(settings: Settings, objection_id: int, outcome: str | None, reason: str) -> None:
    """Dismiss or uphold an objection.

    \b
    Example: award objection resolve 1 --dismiss --reason "经核查，材料属实"
    """
    from award.workflow.objections import resolve_objection

    if outcome is None:
        raise click.UsageError("请用 --dismiss 或 --uphold 说明处理结果")
    click.echo(resolve_objection(settings.engine(), objection_id, uphold=outcome == "uphold", reason=reason,
                                 actor=settings.actor()))


@cli.group()
def report() -> None:
    """Duties after an award (yearly quality performance reports, SHA-33)."""


@report.command("submit")
@click.argument("case_ref")
@click.option("--year", "index", type=int, required=True, help="Which year after the award: 1, 2 or 3.")
@click.option("--file", "file", type=click.Path(path_type=Path), required=True)
@click.option("--duty", help="The duty's name when a case has several.")
@pass_settings
def report_submit(settings: Settings, case_ref: str, index: int, file: Path, duty: str | None) -> None:
    """Record a yearly report received.

    \b
    Example: award report submit SHA-2026-001 --year 1 --file 质量绩效报告2027.pdf
    """
    from award.workflow.objections import submit_report

    click.echo(submit_report(settings.engine(), case_ref, duty=duty, index=index, file=file, actor=settings.actor()))


# --------------------------------------------------------------- notifications


@cli.group()
def outbox() -> None:
    """Notifications waiting, sent and failed."""


def _outbox(settings: Settings) -> Any:
    return settings.engine().extensions["outbox"]


@outbox.command("list")
@click.option("--failed", is_flag=True, help="Only the failed ones.")
@click.option("--case", "case_ref")
@json_option
@pass_settings
def outbox_list(settings: Settings, failed: bool, case_ref: str | None, as_json: bool) -> None:
    """List notifications (status, attempts, last error).

    \b
    Example: award outbox list --failed
    """
    rows = _outbox(settings).list(failed=failed, case=case_ref)
    if as_json:
        _json(rows)
        return
    _table("通知", ["#", "案件", "模板", "收件人", "主题", "状态", "次数", "错误"],
           [[r["id"], r["case"], r["template"], r["recipient"], r["subject"], r["status"], r["attempts"],
             r["last_error"]] for r in rows])


@outbox.command("deliver")
@pass_settings
def outbox_deliver(settings: Settings) -> None:
    """Deliver every notification that is due now (with retries and backoff).

    \b
    Example: award --deployment deployment.yaml outbox deliver
    """
    rep = _outbox(settings).deliver()
    click.echo(f"发出 {len(rep.sent)} 条，稍后重试 {len(rep.retrying)} 条，失败 {len(rep.failed)} 条")
    for rid, err in rep.failed:
        click.echo(f"  #{rid} 失败：{err}", err=True)


@outbox.command("retry")
@click.argument("row_id", type=int)
@pass_settings
def outbox_retry(settings: Settings, row_id: int) -> None:
    """Put a failed notification back in the queue, and try it now.

    \b
    Example: award outbox retry 12
    """
    ob = _outbox(settings)
    ob.retry(row_id)
    rep = ob.deliver()
    click.echo(f"已重新排队；发出 {len(rep.sent)} 条，失败 {len(rep.failed)} 条")


@cli.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("award-demo"), show_default=True)
def demo(folder: Path) -> None:
    """Run the demo: open a round, walk a case of each SHA track to the award, print a history.

    It uses its own SQLite file and mail spool in DIR (recreated each time).

    \b
    Example: award demo --dir /tmp/award-demo
    """
    from award.demo import run_demo

    run_demo(folder, main)


# ------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> None:
    """Run the CLI; an `AwardError` prints its message and exits with its code, never a traceback."""
    from award.workflow.errors import AwardError

    logging.basicConfig(level=os.environ.get("AWARD_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="award", standalone_mode=False,
                 obj=settings)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("已中止", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AwardError as exc:
        click.echo(f"错误：{exc}", err=True)
        if exc.rules:
            click.echo("依据：" + "、".join(exc.rules), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
