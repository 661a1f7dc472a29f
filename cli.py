"""The `award` command line: parse, make one engine call, print. No rules live here.

Exit codes: 0 done; 1 unexpected; 2 usage or a bad value; 3 refused by the
procedure; 4 not found; 5 lost a race with another writer (nothing changed,
safe to retry); 6 office data wrong or missing (definitions, calendar,
deployment file); 7 `verify` found tampered history.
"""


from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from award.commands import calendar as _calendar
from award.commands import cases as _cases
from award.commands import definitions as _definitions
from award.commands import experts as _experts
from award.commands import notify as _notify
from award.commands import objections as _objections
from award.commands import registers as _registers
from award.commands import review as _review
from award.commands import timing as _timing
from award.commands.context import Settings, build_engine, pass_settings

__all__ = ["Settings", "build_engine", "main"]

_LOGGER = logging.getLogger("award")

# ---------------------------------------------------------------------- group


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", "home_dir", envvar="AWARD_HOME",
              help="Office data folder: calendars, files, spool, award.toml [env AWARD_HOME; see README].")
@click.option("--db", envvar="AWARD_DB",
              help="SQLite file path or SQLAlchemy URL [env AWARD_DB; default award.db in the office data folder].")
@click.option("--definitions", envvar="AWARD_DEFINITIONS", help="Definitions folder [env AWARD_DEFINITIONS; default: bundled].")
@click.option("--now", envvar="AWARD_NOW", help="Run as of this moment, e.g. '2026-05-06 09:00' (Asia/Shanghai) [env AWARD_NOW].")
@click.option("--as", "as_name", envvar="AWARD_AS", help="Act as this staff member (must be on the roster).")
@click.option("--deployment", envvar="AWARD_DEPLOYMENT", help="Deployment file: addresses and notifiers [env AWARD_DEPLOYMENT].")
@click.option("--no-deliver", is_flag=True, help="Leave notifications in the outbox (for `award outbox deliver` or the scheduler).")
@click.pass_context
def cli(ctx: click.Context, home_dir: str | None, db: str | None, definitions: str | None, now: str | None, as_name: str | None,
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


@cli.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create or upgrade the database schema (safe to run twice).

    \b
    Example: award --db award.db init
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


# Every command group lives in a module of its own; each lists its commands in COMMANDS.
for _module in (_definitions, _registers, _cases, _timing, _objections, _notify, _calendar, _experts, _review):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


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
