"""What the group's options say, and the composition root that builds the engine from them."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from award.workflow.abc import Clock
    from award.workflow.engine import Engine
    from award.workflow.home import OfficeHome
    from award.workflow.notify.outbox import Outbox
    from award.workflow.plainfile import PlainFile
    from award.workflow.plainread import PlainReader
    from award.workflow.registers.staff import Roster
    from award.workflow.specs.readspec import ReadCatalog
    from award.workflow.timing.calendar import OfficialCalendar
    from award.workflow.views import Actor


def os_login() -> str | None:
    """The login the operating system says runs this process: the real uid's passwd entry.

    Never `LOGNAME`, `USER` or `getpass.getuser()`: anyone can set those variables. None where the
    OS cannot say (no `pwd` module, e.g. Windows, or a uid without an entry): then identity cannot
    be proved and `award` behaves as in the shared mode (README, "Who is acting").
    """
    try:
        import pwd
    except ImportError:  # pragma: no cover - Windows
        return None
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return None


def hold_collection() -> None:
    """Pause the cyclic garbage collector while the process starts (the `award` process only).

    Start-up makes some hundred thousand objects that live as long as the process (modules, table
    models, the catalogue): the collector would walk them again at every threshold, a third of an
    engine command's CPU (`outbox list`: 0.8 -> 0.5 s). Reference counting frees everything else;
    `build_engine` runs the collector again (`resume_collection`), and a read that never builds an
    engine ends first.
    """
    gc.disable()


def resume_collection() -> None:
    """The engine is built: keep what start-up made out of every later collection, and collect again
    (a long `award scheduler` or `tick` run must not keep its cyclic garbage)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


@dataclass(kw_only=True)
class Settings:
    """What the group's options say; the engine is built from it on first use."""

    db: str | None
    definitions: str | None
    now: str | None
    as_name: str | None
    deployment: str | None
    deliver: bool = True
    home_dir: str | None = None
    engine_factory: Callable[[Settings], Engine] | None = None
    login_source: Callable[[], str | None] = os_login
    _engine: Engine | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)
    _home: OfficeHome | None = field(default=None, repr=False)

    def home(self) -> OfficeHome:
        """The office data folder (`--home`/`AWARD_HOME`, the system config, or the default)."""
        if self._home is None:
            from award.workflow.home import locate_home

            self._home = locate_home(self.home_dir)
        return self._home

    def database(self) -> str:
        """`--db`/`AWARD_DB`, else the config's `database`, else `award.db` in the office data folder."""
        if self.db:
            return self.db
        configured = self.home().get("database")
        return configured or str(self.home().root / "award.db")

    def deployment_file(self) -> str | None:
        """`--deployment`/`AWARD_DEPLOYMENT`, else the config's `deployment`."""
        return self.deployment or self.home().get("deployment")

    def engine(self) -> Engine:
        if self._engine is None:
            factory = self.engine_factory or build_engine
            self._engine = factory(self)
        return self._engine

    def close(self) -> None:
        """Release the database connections of an engine built for this command (not a factory's)."""
        if self._engine is not None and self.engine_factory is None:
            self._engine.db.dispose()

    def identity_mode(self) -> str:
        """award.toml's `identity`: `bound` (default) or `shared` (one office PC: `--as` required)."""
        return self.home().get("identity") or "bound"

    def roster(self) -> Roster:
        """The staff roster, sealed with the engine's key."""
        from award.workflow.registers.staff import Roster

        engine = self.engine()
        return Roster(db=engine.db, catalog=engine.catalog, clock=engine.clock, wall_clock=engine.wall_clock,
                      sealer=engine.seal)

    def outbox(self) -> Outbox:
        """The engine's outbox (always installed by `build_engine`)."""
        outbox = self.engine().outbox
        if outbox is None:
            from award.workflow.errors import ConfigError

            raise ConfigError("此引擎没有配置通知发件箱")
        return outbox

    def actor(self) -> Actor:
        """Who runs this command: the member bound to the OS login, or whom an administrator acts for."""
        if self._actor is None:
            self._actor = self.roster().resolve(login=self.login_source(), as_name=self.as_name,
                                                mode=self.identity_mode())
        return self._actor

    def member(self, what: str) -> Actor:
        """The actor, who must be an active roster member: strangers read nothing personal (AWD-1)."""
        from award.workflow.registers.staff import require_member

        actor = self.actor()
        require_member(actor, what)
        return actor

    def plain_reader(self) -> PlainReader | None:
        """The reader of `show`/`history` that needs no ORM (workflow/plainread.py), where it can serve.

        As `plain_file`, and only for the bound identity (not a shared PC) and without `--now`;
        otherwise None and the command uses the engine.
        """
        source = self._plain_source(at_business_time=False)
        if source is None or self.identity_mode() != "bound":
            return None
        from award.workflow.plainread import PlainReader
        from award.workflow.sealmac import KEY_NAME

        path, catalog = source
        return PlainReader(path=path, catalog=catalog, key_path=self.home().path("secrets") / KEY_NAME,
                           busy_timeout=_busy_timeout(self), calendar=lambda: office_calendar(self))

    def plain_file(self) -> PlainFile | None:
        """The SQLite file for a probe that reads no case and acts for no one (the idle tick's, at the
        business time, `--now` included), where the plain path can serve; otherwise None: the engine."""
        source = self._plain_source(at_business_time=True)
        if source is None:
            return None
        from award.workflow.plainfile import PlainFile

        return PlainFile(path=source[0], busy_timeout=_busy_timeout(self))

    def _plain_source(self, *, at_business_time: bool) -> tuple[Path, ReadCatalog] | None:
        """The file and the definitions' labels when the plain path may read: a SQLite file named by a path,
        no engine given, no `--as`, no `--now` (unless `at_business_time`), a deployment file that exists
        if one is named (the plain path sends nothing, but the engine would refuse to start without it),
        and definitions without problems."""
        if self.engine_factory is not None or self._engine is not None or self.as_name \
                or (self.now and not at_business_time):
            return None
        named = self.deployment_file()
        if named and not Path(named).expanduser().is_file():
            return None  # the engine's way says what is wrong with it (exit 6)
        from award.workflow.dbfile import plain_sqlite_path

        path = plain_sqlite_path(self.database())
        if path is None or not path.is_file():
            return None
        from award.workflow.specs.readspec import load_read_catalog

        catalog = load_read_catalog(self.definitions_root())
        return None if catalog.problems else (path, catalog)

    def clock(self) -> Clock:
        """The business clock: `--now` (AWARD_NOW) stopped at that moment, else the system clock.

        Raises:
            InvalidInput: `--now` is not a moment (exit 2).
        """
        from award.workflow.errors import InvalidInput
        from award.workflow.timing.clock import fixed_clock, parse_moment, system_clock

        if not self.now:
            return system_clock
        try:
            return fixed_clock(parse_moment(self.now))
        except ValueError as exc:
            raise InvalidInput(f"--now / AWARD_NOW：{exc}") from None

    def definitions_root(self) -> Path:
        from award.workflow.specs.locations import bundled_definitions
        from award.workflow.userfiles import check_path

        chosen = self.definitions or self.home().get("definitions")
        return check_path(chosen, "流程定义目录（--definitions）") if chosen else bundled_definitions()


def build_engine(settings: Settings, *, require_schema: bool = True) -> Engine:
    """Build the real engine from settings: the one place the seams are chosen."""
    from award.workflow.attachments import FileStore
    from award.workflow.engine import Engine
    from award.workflow.specs.catalog import load_catalog
    from award.workflow.store import Database, database_url
    from award.workflow.timing.clock import system_clock

    catalog = load_catalog(settings.definitions_root())
    catalog.raise_if_invalid()
    clock = settings.clock()
    url = database_url(settings.database())
    db = Database(url, busy_timeout=_busy_timeout(settings),  # no connection yet: SQLAlchemy connects on first use
                  durability=settings.home().get("durability") or "full")
    try:
        calendar = office_calendar(settings)
        engine = Engine(db=db, catalog=catalog, clock=clock, wall_clock=system_clock, calendar=calendar,
                        files=FileStore(settings.home().path("files")))
        _wire_extensions(engine, settings)
        if require_schema:
            from award.workflow.dbfile import require_existing_file

            require_existing_file(url)  # before the first connection: SQLite would create the file
            db.require_schema()
    except BaseException:
        db.dispose()  # no engine to close later: release the connection opened so far
        raise
    resume_collection()
    return engine


def office_calendar(settings: Settings) -> OfficialCalendar:
    """The working-day calendar: the office's own years (office data folder) over the definitions' files."""
    from award.workflow.timing.calendar import OfficialCalendar

    root = settings.definitions_root()
    return OfficialCalendar(files_dir=(root if root.is_dir() else root.parent) / "calendars",
                            office_dir=settings.home().path("calendars"))


def _busy_timeout(settings: Settings) -> float:
    """`busy_timeout` from award.toml (seconds), else the store's default."""
    from award.workflow.dbfile import BUSY_TIMEOUT_SECONDS
    from award.workflow.errors import ConfigError

    raw = settings.home().get("busy_timeout")
    if raw is None:
        return BUSY_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise ConfigError(f"{settings.home().config_file}：busy_timeout 须为 0 到 600 之间的秒数，收到 {raw!r}")
    return value


def _wire_extensions(engine: Engine, settings: Settings) -> None:
    """Timers and notifications hook into every step's transaction (their order is the engine's)."""
    from award.commands.channels import channel_factory
    from award.workflow.notify.deployment import load_deployment
    from award.workflow.notify.outbox import install as install_outbox
    from award.workflow.review.hooks import install as install_review
    from award.workflow.seal import KEY_NAME
    from award.workflow.seal import install as install_seal
    from award.workflow.timing.timers import install as install_timers

    install_timers(engine)
    deployment = load_deployment(settings.deployment_file())
    home = settings.home()
    channels = channel_factory(deployment, spool_dir=home.path("spool").resolve(), secrets_dir=home.path("secrets"))
    install_outbox(engine, deployment=deployment, deliver=settings.deliver, channels=channels)
    install_review(engine)
    install_seal(engine, settings.home().path("secrets") / KEY_NAME)  # last: it seals what the others wrote


def pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"{what} 需要 名称=值 的形式，收到 {item!r}")
        out[key.strip()] = value.strip()
    return out


json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON（供脚本使用，其中用英文编号），不输出表格。")
pass_settings = click.make_pass_decorator(Settings)

