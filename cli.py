"""The `award` command line: parse, make one engine call, print. No rules live here.

Exit codes: 0 done; 1 unexpected; 2 usage or a bad value; 3 refused by the
procedure; 4 not found; 5 lost a race with another writer (nothing changed,
safe to retry); 6 office data wrong or missing (definitions, calendar,
deployment file); 7 `verify` found tampered history.
"""


from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from award.commands import zh as _zh
from award.commands.context import Settings, build_engine, hold_collection, pass_settings
from award.commands.lazy import LazyCommands, LazyGroup

if TYPE_CHECKING:
    from award.workflow.errors import AwardError

__all__ = ["Settings", "build_engine", "main"]

# ------------------------------------------------------------------- commands

COMMAND_TABLE: dict[str, tuple[str, str]] = {
    "advance": ("award.commands.cases", '办理一步：`advance 案件 操作`，或 `advance --round 轮次 --state 状态 操作` 批量办理。'),
    "calendar": ("award.commands.timing", '官方工作日日历（定时所用的同一套计算）。'),
    "case": ("award.commands.cases", '案件：开启、更正。'),
    "cases": ("award.commands.cases", '列出案件，可按流程、轮次、状态、赛道、申报主体、名称、日期和期限筛选。'),
    "checklist": ("award.commands.casework", '资格审查（条件审查）核查表：评审人员对每项条件的核查意见（SHA-16/17、SQI-5/6）。'),
    "completion": ("award.commands.completion", '输出命令补全脚本（bash、zsh 或 fish），可补全案件编号、轮次、当前可办理的操作、状态和赛道。'),
    "definitions": ("award.commands.definitions", '流程定义：列出、查看、检查、绘图（不需要数据库）。'),
    "deployment": ("award.commands.deployment", '部署文件：地址、通知渠道、投递。'),
    "entry": ("award.commands.entries", '案件的记录事项及答复：孵化期间的自我评价、求助（WHI-4.4），资格审查中书面征求相关部门意见（SHA-22）。'),
    "expert": ("award.commands.experts", '专家库：专家、所在单位、辅导登记和利害关系（SHA-9、SHA-14、SHA-29）。'),
    "history": ("award.commands.cases", '查看案件的办理历史（每条记录的业务时间和实际记录时间），一次一页。'),
    "import": ("award.commands.data", '导入办公室的表格（.xlsx，或 UTF-8、GBK 编码的 .csv）：全部导入或全部不导入。'),
    "notice": ("award.commands.notice", '本轮的公示：公示名单，以及要发布的公示文件。'),
    "objection": ("award.commands.objections", '公示期间提出的异议（SHA-32）。'),
    "outbox": ("award.commands.notify", '通知：待发送、已发送和发送失败的。'),
    "panel": ("award.commands.review", '每轮的评审组（SHA-10）：从专家库中组成，随本轮结束而撤销。'),
    "party": ("award.commands.registers", '申报主体（组织和个人）及其获奖记录。'),
    "ranking": ("award.commands.review", '按赛道列出本轮案件在某一阶段的排名，并注明各有几份评分。'),
    "report": ("award.commands.objections", '获奖后的义务：每年的质量绩效报告（SHA-33）、区市场监管部门的跟踪管理（SHA-38）。'),
    "review": ("award.commands.review", '评审：分配、评分、择优、双向评价和导出。'),
    "revocation": ("award.commands.revocations", '撤销奖励后的事项：收回奖牌、证书，追缴奖金，纳入信用平台；撤销导入的（系统启用前的）获奖记录。'),
    "round": ("award.commands.registers", '流程的评审轮次（年份、日期和属性）。'),
    "scheduler": ("award.commands.timing", '运行常驻调度程序：在下一个定时到期时、且至少每 INTERVAL 秒唤醒一次。'),
    "show": ("award.commands.cases", '查看案件：状态、申报表、现在可办理的操作（及不可办理的原因）、定时。'),
    "staff": ("award.commands.staff", '工作人员名单：谁可以办理，绑定哪个系统登录名，担任哪个流程的什么角色。'),
    "tick": ("award.commands.timing", '处理全部到期的定时，每个只触发一次，先到期的先处理（由 cron 每几分钟运行一次）。'),
    "timers": ("award.commands.timing", '定时：何时到期，以及暂缓或失败的原因。'),
    "today": ("award.commands.today", '今天要办的事：按当前身份的角色，列出近期届满的期限、暂缓的定时、发送失败的通知、\n    未处理的异议、逾期的年度报告和等待本角色办理的案件。'),
    "verify": ("award.commands.cases", '核验一件或全部案件历史的哈希链（断裂时退出码为 7）。'),
    "whoami": ("award.commands.staff", 'award 认定的当前办理人：系统登录名、与之绑定的工作人员及其角色。'),
}
"""Every command but `init` and `demo` (defined below): its module, which lists it in `COMMANDS`, and the
first paragraph of its help, which `award --help` lists. The group imports a module only when one of its
commands is used (commands/lazy.py); tests/test_cli.py checks this table against the commands."""

COMMAND_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "award.commands.cases": ("award.commands.corrections", "award.commands.migrate"),  # case correct, migrate
    "award.commands.definitions": ("award.commands.diagrams",),  # definitions diagram
    "award.commands.timing": ("award.commands.calendar",),  # calendar import, show, recompute
}
"""Modules that add subcommands to another module's groups: imported with it."""


def _prepare(command: click.Command) -> None:
    """What each command gets as it joins the group: Chinese for click's messages and usage lines, and
    completers for its case numbers, rounds, triggers, states and tracks (shell completion)."""
    from award.commands.completion import install

    _zh.install(command)
    install(command)


# ---------------------------------------------------------------------- group


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="award", prog_name="award", message="%(prog)s %(version)s",
                      help="显示已安装的版本后退出。")
@click.option("--home", "home_dir", envvar="AWARD_HOME",
              help="办公数据目录：日历、文件、邮件、award.toml（环境变量 AWARD_HOME；见 README）。")
@click.option("--db", envvar="AWARD_DB",
              help="数据库：SQLite 文件路径或 SQLAlchemy URL（环境变量 AWARD_DB；默认为办公数据目录中的 award.db）。")
@click.option("--definitions", envvar="AWARD_DEFINITIONS", help="流程定义目录（环境变量 AWARD_DEFINITIONS；默认用随程序安装的定义）。")
@click.option("--now", envvar="AWARD_NOW", help="按此业务时间办理，如 '2026-05-06 09:00'（上海时间；环境变量 AWARD_NOW）。")
@click.option("--as", "as_name", envvar="AWARD_AS",
              help="代为办理：以此工作人员的名义（仅管理员可用；共用电脑模式下必须给出）。")
@click.option("--deployment", envvar="AWARD_DEPLOYMENT", help="部署文件：地址与通知渠道（环境变量 AWARD_DEPLOYMENT）。")
@click.option("--no-deliver", is_flag=True, help="通知只写入待发队列，不立即发送（由 award outbox deliver 或调度程序发送）。")
@click.pass_context
def cli(ctx: click.Context, home_dir: str | None, db: str | None, definitions: str | None, now: str | None, as_name: str | None,
        deployment: str | None, no_deliver: bool) -> None:
    """award：质量奖办公室的评审流程系统。

    \b
    示例（新办公室）：
      award init --admin zhang
      award staff add wang --login wangfang --role office@sha
      award round open sha 2026 --date announced=2026-03-02
      award party add --kind organization --name 上海某某公司 --code 91310000MA1FL1GF9K --registered-on 2015-06-01
      award case new --party 91310000MA1FL1GF9K --round sha-2026 --track gold_model
      award show SHA-2026-001
    """
    if ctx.obj is None:
        ctx.obj = Settings(db=db, definitions=definitions, now=now, as_name=as_name, deployment=deployment,
                           deliver=not no_deliver, home_dir=home_dir)
    else:  # tests and embedding pass their own Settings with a factory
        ctx.obj.home_dir = home_dir or ctx.obj.home_dir
        ctx.obj.db = db or ctx.obj.db
        ctx.obj.definitions = definitions or ctx.obj.definitions
        ctx.obj.now = now or ctx.obj.now
        ctx.obj.as_name = as_name or ctx.obj.as_name
        ctx.obj.deployment = deployment or ctx.obj.deployment
        ctx.obj.deliver = ctx.obj.deliver and not no_deliver
    ctx.call_on_close(ctx.obj.close)


cli.commands = LazyCommands(COMMAND_TABLE, COMMAND_EXTENSIONS, _prepare)
_zh.install(cli, subcommands=False)  # the group's own usage line; each command gets its own in _prepare


@cli.command()
@click.option("--admin", "admin_name", help="指定第一位管理员（绑定 --login 给出的系统登录名，默认为运行本命令的登录名）。")
@click.option("--login", "admin_login", help="第一位管理员的系统登录名（默认为运行 init 的登录名）。")
@pass_settings
def init(settings: Settings, admin_name: str | None, admin_login: str | None) -> None:
    """新建数据库或升级其结构（可重复运行）；生成历史封印密钥；指定第一位管理员。只有本命令会新建数据库文件。

    \b
    示例：award --db award.db init --admin zhang
    """
    target = settings.database()
    if "://" not in target and settings.engine_factory is None:
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)  # the office data folder, first use
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
    from award.workflow.registers.staff import Roster
    from award.workflow.seal import Sealer, create_key

    folder = settings.home().folder("secrets")
    folder.chmod(0o700)
    key_path, created = create_key(folder)
    if created:
        click.echo(f"已创建历史封印密钥：{key_path}（请妥善备份；数据库中不保存此密钥）")
    sealer = engine.seal or Sealer(key_path=key_path)
    with engine.db.session() as s:
        sealed = sealer.seal_all(s, engine.clock())
    if sealed:
        click.echo(f"已为 {sealed} 件原有案件加上封印")
    roster = Roster(db=engine.db, catalog=engine.catalog, clock=engine.clock, wall_clock=engine.wall_clock,
                    sealer=sealer)
    if admin_name:
        view = roster.bootstrap_admin(admin_name, admin_login or settings.login_source())
        click.echo(f"首位系统管理员：{view.name}（系统登录名 {view.login}）")
    elif not roster.has_admin():
        click.echo("尚无系统管理员：请运行 award init --admin 姓名（绑定当前系统登录名）", err=True)


@cli.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("award-demo"), show_default=True,
              help="演示所用的目录。")
def demo(folder: Path) -> None:
    """运行演示：开启一个轮次，把每个赛道的一件案件办到获奖，并打印办理历史。

    演示在 DIR 中使用自己的 SQLite 文件和邮件目录（每次重建）。

    \b
    示例：award demo --dir /tmp/award-demo
    """
    from award.demo import run_demo

    run_demo(folder, main)




# ------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> None:
    """Run the CLI; an `AwardError` prints its message and exits with its code, never a traceback."""
    from award.workflow.errors import AwardError
    from award.workflow.logs import configure

    # applied when a module first asks for its logger: a read that logs nothing does not import `logging`
    configure(level=os.environ.get("AWARD_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    if argv is None:  # the `award` process itself; tests call main with their arguments
        hold_collection()
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        _check_arguments(args)
        cli.main(args=args, prog_name="award", standalone_mode=False, obj=settings)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("已中止", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AwardError as exc:
        from award.commands.render import plain

        click.echo(plain(f"错误：{exc}"), err=True)
        if exc.rules:
            click.echo("依据：" + "、".join(exc.rules), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a driver or file failure that is the environment's, not a bug
        known = _environment_failure(exc)
        if known is None:
            raise
        click.echo(f"错误：{known}", err=True)
        sys.exit(known.exit_code)
    sys.exit(0)


def _check_arguments(args: Sequence[str]) -> None:
    """Refuse arguments no command can use: bytes that are not UTF-8, control characters (ANSI escapes)."""
    from award.workflow.inputs import unprintable

    for position, arg in enumerate(args, start=1):
        bad = unprintable(arg, allow_breaks=True)
        if bad is None:
            continue
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in arg):
            raise click.UsageError(f"第 {position} 个参数不是有效的 UTF-8 文本；请检查终端或脚本的编码（应为 UTF-8）")
        raise click.UsageError(f"第 {position} 个参数含有控制字符 {bad}（例如终端转义序列），没有命令会接受它；请去掉后重试")


def _environment_failure(exc: Exception) -> AwardError | None:
    """A busy, read-only or corrupt database, or an unusable path, met outside the engine's own handling."""
    from award.workflow.errors import DataError, InvalidInput

    if isinstance(exc, RecursionError | MemoryError):
        return None
    if type(exc).__module__.startswith("sqlalchemy"):
        from award.workflow.store import database_failure

        return database_failure(exc, os.environ.get("AWARD_DB") or "（--db 所指的数据库）")
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = "路径过长" if exc.errno == 36 else (exc.strerror or type(exc).__name__)
        cls = InvalidInput if exc.errno == 36 else DataError
        return cls(f"无法使用 {str(exc.filename)[:200]}：{reason}")
    return None


if __name__ == "__main__":  # pragma: no cover
    main()
