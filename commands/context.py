"""What the group's options say, and the composition root that builds the engine from them."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from award.workflow.abc import Notifier
    from award.workflow.engine import Engine
    from award.workflow.home import OfficeHome
    from award.workflow.notify.deployment import Deployment
    from award.workflow.notify.outbox import Outbox
    from award.workflow.timing.calendar import OfficialCalendar
    from award.workflow.views import Actor


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
    _engine: Engine | None = field(default=None, repr=False)
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

    def outbox(self) -> Outbox:
        """The engine's outbox (always installed by `build_engine`)."""
        outbox = self.engine().outbox
        if outbox is None:
            from award.workflow.errors import ConfigError

            raise ConfigError("此引擎没有配置通知发件箱")
        return outbox

    def actor(self) -> Actor:
        return self.engine().office.actor(self.as_name, _login())

    def definitions_root(self) -> Path:
        from award.workflow.specs.loader import bundled_definitions

        chosen = self.definitions or self.home().get("definitions")
        return Path(chosen) if chosen else bundled_definitions()


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
    from award.workflow.timing.clock import fixed_clock, parse_moment, system_clock

    catalog = load_catalog(settings.definitions_root())
    catalog.raise_if_invalid()
    clock = system_clock
    if settings.now:
        try:
            clock = fixed_clock(parse_moment(settings.now))
        except ValueError as exc:
            raise InvalidInput(f"--now / AWARD_NOW：{exc}") from None
    db = Database(database_url(settings.database()), durability=settings.home().get("durability") or "full")
    try:
        calendar = office_calendar(settings)
        engine = Engine(db=db, catalog=catalog, clock=clock, wall_clock=system_clock, calendar=calendar)
        _wire_extensions(engine, settings)
        if require_schema:
            db.require_schema()
    except BaseException:
        db.dispose()  # no engine to close later: release the connection opened so far
        raise
    return engine


def office_calendar(settings: Settings) -> OfficialCalendar:
    """The working-day calendar: the office's own years (office data folder) over the definitions' files."""
    from award.workflow.timing.calendar import OfficialCalendar

    root = settings.definitions_root()
    return OfficialCalendar(files_dir=(root if root.is_dir() else root.parent) / "calendars",
                            office_dir=settings.home().path("calendars"))


def _wire_extensions(engine: Engine, settings: Settings) -> None:
    """Timers and notifications hook into every step's transaction (their order is the engine's)."""
    from award.workflow.notify.outbox import install as install_outbox
    from award.workflow.review.hooks import install as install_review
    from award.workflow.timing.timers import install as install_timers

    install_timers(engine)
    install_outbox(engine, deployment=settings.deployment_file(), deliver=settings.deliver,
                   notifier_factory=build_notifiers)
    install_review(engine)


def build_notifiers(deployment: Deployment) -> dict[str, Notifier]:
    """channel -> Notifier, built from the deployment file's settings.

    Raises:
        ConfigError: an SMTP channel without host or port, or its password variable unset.
    """
    from award.notifiers import ConsoleNotifier, SmtpNotifier, SpoolNotifier, WebhookNotifier
    from award.workflow.errors import ConfigError

    out: dict[str, Notifier] = {}
    for channel, cfg in deployment.notifiers.items():
        if cfg.kind == "smtp":
            if not cfg.host or not cfg.port:
                raise ConfigError(f"部署文件 notifiers.{channel}: smtp 需要 host 和 port")
            password = os.environ.get(cfg.password_env) if cfg.password_env else None
            if cfg.password_env and password is None:
                raise ConfigError(f"部署文件 notifiers.{channel}: 环境变量 {cfg.password_env} 未设置（SMTP 密码）")
            out[channel] = SmtpNotifier(host=cfg.host, port=cfg.port, security=cfg.security,
                                        username=cfg.username, password=password, sender=cfg.sender,
                                        timeout=cfg.timeout)
        elif cfg.kind == "spool":
            folder = Path(cfg.folder or "award-mail")
            if not folder.is_absolute():
                folder = Path(deployment.base_dir) / folder
            out[channel] = SpoolNotifier(folder, sender=cfg.sender)
        elif cfg.kind == "webhook":
            out[channel] = WebhookNotifier(url=cfg.url, shape=cfg.shape, timeout=cfg.timeout)
        else:
            out[channel] = ConsoleNotifier()
    return out


def pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"{what} 需要 名称=值 的形式，收到 {item!r}")
        out[key.strip()] = value.strip()
    return out


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")
pass_settings = click.make_pass_decorator(Settings)

