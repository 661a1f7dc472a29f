"""SQL tables (SQLModel) and the database: SQLite file by default, PostgreSQL when many workers share it.

Times are stored as aware UTC datetimes taken from the injected clock (never
a database default: those ignore a frozen clock). Every history event's payload
carries `"v"` (`PAYLOAD_VERSION`); reading one newer than this program refuses
(exit 6) rather than guess.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, event, inspect, text
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import instance_state
from sqlalchemy.orm.util import identity_key
from sqlmodel import Field, Session, SQLModel, create_engine, select

from .dbfile import BUSY_TIMEOUT_SECONDS, plain_sqlite_path
from .errors import AwardError, ConfigError, DatabaseBusy, DatabaseUnavailable, DataError
from .logs import logger
from .readviews import PAYLOAD_VERSION  # re-exported: defined where the readers that need no ORM see it
from .timing.clock import sqlite_datetime, utc  # utc re-exported: rows are read back through it

__all__ = [
    "PAYLOAD_VERSION",
    "AuditRow",
    "CaseRow",
    "Database",
    "EventRow",
    "FileRow",
    "MetaRow",
    "ObjectionRow",
    "OutboxRow",
    "PartyRecordRow",
    "PartyRow",
    "ReportRow",
    "RoundRow",
    "SealRow",
    "StaffAccountRow",
    "StaffChangeRow",
    "StaffRow",
    "TimerRow",
    "database_failure",
    "database_url",
    "utc",
]

_LOGGER = logger(__name__)

SCHEMA_VERSION = 2  # int(migrations.HEAD); tests/workflow/test_migrations.py keeps the two equal
_Row = TypeVar("_Row", bound=SQLModel)


def _ts() -> Any:
    return Column(DateTime(timezone=True), nullable=False)


def _ts_null() -> Any:
    return Column(DateTime(timezone=True), nullable=True)


def _json() -> Any:
    return Column(JSON, nullable=False)


class MetaRow(SQLModel, table=True):
    """Key/value facts about the database itself (the schema version)."""

    __tablename__ = "award_meta"
    key: str = Field(primary_key=True)
    value: str


class PartyRow(SQLModel, table=True):
    """An organisation (USCC) or a person (resident ID, masked in every output)."""

    __tablename__ = "parties"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    name: str
    code: str = Field(unique=True)
    registered_on: date | None = None
    email: str | None = None
    phone: str | None = None
    district: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    created_at: datetime = Field(sa_column=_ts())


class PartyRecordRow(SQLModel, table=True):
    """An entry of a party's history: an award won (from a case or imported), maybe revoked."""

    __tablename__ = "party_records"
    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="parties.id", index=True)
    procedure: str
    award: str
    label: str
    awarded_on: date
    revoked_on: date | None = None
    bar_until: date | None = None
    rule: str | None = None
    reason: str | None = None
    source: str = "case"
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    created_at: datetime = Field(sa_column=_ts())


class StaffRow(SQLModel, table=True):
    """A member of the office's staff roster and the roles they hold."""

    __tablename__ = "staff"
    name: str = Field(primary_key=True)
    roles: list[str] = Field(default_factory=list, sa_column=_json())
    email: str | None = None
    created_at: datetime = Field(sa_column=_ts())


class RoundRow(SQLModel, table=True):
    """A round of a procedure: a year, its dates and properties."""

    __tablename__ = "rounds"
    id: str = Field(primary_key=True)
    procedure: str = Field(index=True)
    year: int
    title: str
    opened_on: date
    dates: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    created_at: datetime = Field(sa_column=_ts())


class CaseRow(SQLModel, table=True):
    """One party's application in one round; `version` guards against lost updates."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_round_state", "round_id", "state"),
                      Index("ix_cases_round_id", "round_id", "id"))  # a round's cases in order, a page at a time
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)
    procedure: str = Field(index=True)
    definition_version: str
    definition_hash: str
    round_id: str = Field(foreign_key="rounds.id")
    party_id: int = Field(foreign_key="parties.id", index=True)
    track: str
    state: str
    version: int = 1
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    closed: bool = False
    held: bool = False
    events: int = 0
    head_hash: str = ""
    entered_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class EventRow(SQLModel, table=True):
    """One appended history event, chained to the previous one by hash."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_history_case_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    seq: int
    kind: str
    trigger: str | None = None
    source: str | None = None
    dest: str | None = None
    actor: str
    role: str | None = None
    business_time: datetime = Field(sa_column=_ts())
    wall_time: datetime = Field(sa_column=_ts())
    comment: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    prev_hash: str
    hash: str


class TimerRow(SQLModel, table=True):
    """A durable deadline tied to one state entry; fired once by `award tick`."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    entry_seq: int
    state: str
    kind: str
    trigger: str | None = None
    duty: str | None = None
    duty_index: int | None = None
    rule: str
    period: str
    basis: str
    due_at: datetime = Field(sa_column=_ts())
    target_at: datetime | None = Field(default=None, sa_column=_ts_null())
    last_day: date | None = None
    provisional: bool = False
    status: str = "pending"
    note: str | None = None
    created_at: datetime = Field(sa_column=_ts())
    fired_at: datetime | None = Field(default=None, sa_column=_ts_null())


class ObjectionRow(SQLModel, table=True):
    """An objection filed under a real name during a public notice."""

    __tablename__ = "objections"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    state: str
    filed_by: str
    contact: str
    reason: str
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    status: str = "open"
    resolution: str | None = None
    resolved_by: str | None = None
    filed_at: datetime = Field(sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts_null())


class ReportRow(SQLModel, table=True):
    """A submitted duty (e.g. a yearly quality performance report)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("case_id", "duty", "duty_index", name="uq_report"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    duty: str
    duty_index: int
    file_name: str
    sha256: str
    submitted_by: str
    submitted_at: datetime = Field(sa_column=_ts())


class OutboxRow(SQLModel, table=True):
    """A notification written with its state change; delivered after commit, never twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "channel", "template", name="uq_outbox_event_recipient"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="history.id")
    case_id: int = Field(foreign_key="cases.id", index=True)
    template: str
    channel: str
    role: str
    recipient: str
    subject: str
    body: str
    html: str | None = None
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(sa_column=_ts())
    next_attempt_at: datetime = Field(sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts_null())


def database_url(value: str | None) -> str:
    """`--db`/`AWARD_DB`: a SQLAlchemy URL, or a path to a SQLite file (default `award.db`)."""
    path = plain_sqlite_path(value)
    if path is not None:
        return f"sqlite:///{path}"
    assert value is not None
    if value.startswith("postgresql://"):
        return "postgresql+psycopg://" + value[len("postgresql://"):]
    if value.startswith("postgres://"):
        return "postgresql+psycopg://" + value[len("postgres://"):]
    return value


def _sqlite_pragmas(busy_ms: int) -> Any:
    def apply(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")  # first: WAL below may itself wait for a lock
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:
            if "readonly" not in str(exc) and "read-only" not in str(exc):
                raise
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return apply


# SQLite's (and PostgreSQL's) words for each way a database can fail a command, and what it means.
_BUSY = ("database is locked", "database table is locked", "could not serialize", "lock timeout",
         "could not obtain lock")
_READ_ONLY = ("readonly database", "read-only", "read only")
_CORRUPT = ("file is not a database", "database disk image is malformed", "malformed database schema",
            "disk i/o error")
_UNOPENABLE = ("unable to open database file",)


def database_failure(exc: BaseException, shown: str) -> AwardError | None:
    """The user-facing error for a driver failure that is not a bug: busy (5), read-only or corrupt (6).

    Returns None for anything else, which then propagates as the unexpected error it is.
    """
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig).lower()
    state = getattr(exc.orig, "sqlstate", None) or ""
    if any(w in text for w in _BUSY) or state in ("40001", "40P01", "55P03"):
        return DatabaseBusy(shown)
    if any(w in text for w in _READ_ONLY) or state == "25006":
        return DatabaseUnavailable(
            f"数据库 {shown} 是只读的（{_first_line(exc)}）：查询可以照常进行，写入须换用可写的数据库文件，"
            "或由管理员恢复文件的写权限（文件权限、不可变标记 chattr -i、URL 中的 mode=ro）")
    if any(w in text for w in _CORRUPT):
        return DatabaseUnavailable(
            f"数据库文件 {shown} 已损坏或不是 award 的数据库（{_first_line(exc)}）：请用备份恢复该文件，"
            "或用 --db 指定正确的文件")
    if any(w in text for w in _UNOPENABLE):
        return DatabaseUnavailable(
            f"无法打开数据库文件 {shown}（{_first_line(exc)}）：请检查路径、所在目录是否存在及其权限")
    return None


def _first_line(exc: Any) -> str:
    return (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0][:200]


class Database:
    """The SQL database: engine, sessions, schema creation and upgrades.

    Attributes:
        url: the SQLAlchemy URL.
        is_sqlite: SQLite needs its own locking care (no SKIP LOCKED).
    """

    def __init__(self, url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS, durability: str = "full") -> None:
        self.url = url
        self.shown = _without_password(url)
        self.is_sqlite = url.startswith("sqlite")
        self.where = _sqlite_file(url) if self.is_sqlite else self.shown
        try:
            if self.is_sqlite:
                self.engine: SAEngine = create_engine(url, connect_args={"timeout": busy_timeout})
                event.listen(self.engine, "connect", _sqlite_pragmas(int(busy_timeout * 1000)))
            else:
                # PostgreSQL waits for a row lock forever by default: give up after the busy timeout (exit 5).
                # No pool_pre_ping: a SELECT 1 round trip before every transaction cost more than the rare
                # reconnect it saves; a dropped connection fails that one command, which is retried.
                options = {"options": f"-c lock_timeout={int(busy_timeout * 1000)}"} \
                    if url.startswith("postgresql+psycopg") else {}
                self.engine = create_engine(url, pool_recycle=1800, connect_args=options)
        except Exception as exc:  # noqa: BLE001 - driver import or URL errors are user-facing
            raise ConfigError(f"无法打开数据库 {self.shown}：{exc}") from None
        self._autocommit: SAEngine | None = None  # the engine's AUTOCOMMIT view, made on first use
        self._idle = threading.local()  # each thread's closed sessions, used again (`_idle_sessions`)
        if durability not in DURABILITY:
            raise ConfigError(f"durability 应为 {'、'.join(DURABILITY)} 之一，收到 {durability!r}（award.toml）")
        if durability == "normal":
            event.listen(self.engine, "connect", _sqlite_normal if self.is_sqlite else _postgres_async_commit)

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        A busy database (another writer past the busy timeout) leaves as `DatabaseBusy` (exit 5), a
        read-only or corrupt one as `DatabaseUnavailable` (exit 6): the one place every command gets them.
        """
        return self._session(self.engine)

    def one_statement(self) -> AbstractContextManager[Session]:
        """A session for a single write that needs no transaction around it (a deliverer's record of a
        letter sent): on PostgreSQL the statement commits by itself, one round trip instead of three
        (BEGIN, the statement, COMMIT); on SQLite it is `session()`."""
        if self.is_sqlite:
            return self.session()
        if self._autocommit is None:
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        return self._session(self._autocommit)

    @contextmanager
    def _session(self, engine: SAEngine) -> Iterator[Session]:
        idle = self._idle_sessions(engine)
        session = _reusable(idle, engine) or Session(engine, expire_on_commit=False)
        try:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        except DBAPIError as exc:
            failure = database_failure(exc, self.where)
            if failure is None:
                raise
            raise failure from None
        session.info.clear()
        idle.append(session)

    def _idle_sessions(self, engine: SAEngine) -> list[Session]:
        """This thread's closed sessions of `engine`, ready for another transaction.

        A new `Session` costs ~70 k instructions before its transaction begins (its event dispatchers
        are made on first use, per instance), a fifth of what a step's transaction costs in the ORM. A
        session closed after its transaction holds no connection, no row and no transaction, and
        SQLAlchemy lets it be used again. Each thread keeps its own (a session is not thread-safe), and
        a transaction begun inside another takes another session.
        """
        kept: dict[int, list[Session]] | None = getattr(self._idle, "sessions", None)
        if kept is None:
            kept = self._idle.sessions = {}
        found = kept.get(id(engine))
        if found is None:
            found = kept[id(engine)] = []
        return found

    def init(self, now: datetime) -> tuple[int, int]:
        """Create or upgrade the schema through the migrations; safe to run twice. Returns (old, new) version."""
        from .migrations import HEAD, upgrade

        try:
            with self.engine.begin() as conn:
                tables = set(inspect(conn).get_table_names())
                current = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                           if "alembic_version" in tables else None)
                made_by_create_all = current is None and "award_meta" in tables  # release 0.1.0
                old = int(current) if current else (1 if made_by_create_all else 0)
                if old > int(HEAD):
                    raise DataError(f"数据库的结构版本 {old} 比本程序（{int(HEAD)}）新：请升级 award")
                upgrade(conn, stamp_baseline=made_by_create_all)
        except DBAPIError as exc:
            failure = database_failure(exc, self.where)
            if failure is not None:
                raise failure from None
            raise ConfigError(f"无法初始化数据库 {self.shown}：{_first_line(exc)}") from None
        new = int(HEAD)
        with self.session() as s:
            row = s.get(MetaRow, "schema_version")
            if row is None:
                s.add(MetaRow(key="schema_version", value=str(new)))
                s.add(MetaRow(key="created_at", value=now.isoformat()))
            else:
                row.value = str(new)
                s.add(row)
            if s.get(MetaRow, "installation") is None:
                s.add(MetaRow(key="installation", value=secrets.token_hex(6)))
        return old, new

    def installation(self) -> str:
        """A random id made once by `award init`: it keeps Message-IDs unique across databases."""
        with self.session() as s:
            row = s.get(MetaRow, "installation")
            return row.value if row else "0"

    def require_schema(self) -> None:
        """Refuse to work on a database `award init` has not prepared (or that is newer than us)."""
        try:
            with self.session() as s:
                row = s.exec(select(MetaRow).where(MetaRow.key == "schema_version")).first()
        except DatabaseUnavailable:
            raise
        except (OperationalError, ProgrammingError) as exc:
            if not _missing_table(exc):  # unreachable or unopenable: `award init` would not help
                reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
                raise ConfigError(f"无法打开数据库 {self.shown}：{reason}") from None
            row = None
        if row is None:
            raise DataError(f"数据库 {self.shown} 尚未初始化：请先运行 award init")
        if int(row.value) > SCHEMA_VERSION:
            raise DataError(f"数据库的结构版本 {row.value} 比本程序（{SCHEMA_VERSION}）新：请升级 award")
        if int(row.value) < SCHEMA_VERSION:
            raise DataError(f"数据库 {self.shown} 的结构版本 {row.value} 较旧（本程序为 {SCHEMA_VERSION}）："
                            "请先备份，再运行 award init 升级")

    def dispose(self) -> None:
        self.engine.dispose()


def _reusable(idle: list[Session], engine: SAEngine) -> Session | None:
    """An idle session of `engine` that is as new. A caller that kept one past its block and used it
    again (it began a transaction, holds rows or wrote in its `info`) has spoilt it: it is dropped."""
    while idle:
        session = idle.pop()
        if session.bind is engine and not session.in_transaction() and not session.identity_map \
                and not session.info:
            return session
        session.close()
    return None


DURABILITY = {
    "full": "每次提交都写入磁盘（默认）：断电也不丢已确认的办理",
    "normal": "SQLite synchronous=NORMAL / PostgreSQL synchronous_commit=off：更快，断电可能丢失最后几次提交，但不损坏数据",
}
"""The deployment's durability choice (`durability` in award.toml); the default stays safe."""


def _sqlite_normal(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable on checkpoint, never corrupt
    cur.close()


def _postgres_async_commit(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET synchronous_commit = off")
    cur.close()
    dbapi_conn.commit()


def _sqlite_file(url: str) -> str:
    """The file a SQLite URL names (`sqlite:////srv/award.db`, `sqlite:///file:/srv/award.db?mode=ro&uri=true`)."""
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    return path.removeprefix("file:")


def _without_password(url: str) -> str:
    """The URL as it may be shown in messages and logs: never with its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by create_engine itself
        return url.split("@")[-1]


def _missing_table(exc: DBAPIError) -> bool:
    """The schema is absent: SQLite says 'no such table', PostgreSQL gives SQLSTATE 42P01 (undefined_table)."""
    return "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01"


# ------------------------------------------------------------ office data (issue 12)


class AuditRow(SQLModel, table=True):
    """What the office did outside a case's steps: a party changed, a record corrected, an import, an
    unmasked export. A party's own history is its rows here (`party_id`); times from the injected clock."""

    __tablename__ = "office_audit"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    party_id: int | None = Field(default=None, foreign_key="parties.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    actor: str
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    business_time: datetime = Field(sa_column=_ts())
    wall_time: datetime = Field(sa_column=_ts())


class FileRow(SQLModel, table=True):
    """A file given to a case (evidence, a report, a survey), kept content-addressed in the office data
    folder's files/ (`sha256` names the stored file); the same hash is in the case's history."""

    __tablename__ = "case_files"
    __table_args__ = (UniqueConstraint("case_id", "name", "sha256", name="uq_case_file"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str
    sha256: str = Field(index=True)
    bytes: int
    purpose: str
    event_seq: int | None = None
    added_by: str
    added_at: datetime = Field(sa_column=_ts())


class StaffAccountRow(SQLModel, table=True):
    """A roster member's bound OS login, contact data and status (issue 14: identity is bound, not claimed).

    `StaffRow.roles` holds the member's grants as `role@scope` (a procedure or issuer id; `*` only
    for the administrator). A disabled member can neither act nor read.
    """

    __tablename__ = "staff_accounts"
    name: str = Field(primary_key=True, foreign_key="staff.name")
    login: str | None = Field(default=None, unique=True)
    phone: str | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    updated_at: datetime = Field(sa_column=_ts())


class StaffChangeRow(SQLModel, table=True):
    """One change of the roster (added, granted, revoked, bound, disabled, contact changed), hash-chained."""

    __tablename__ = "staff_changes"
    __table_args__ = (UniqueConstraint("seq", name="uq_staff_changes_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    seq: int
    name: str = Field(index=True)
    kind: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    actor: str
    entered_by: str | None = None
    identity: str
    business_time: datetime = Field(sa_column=_ts())
    wall_time: datetime = Field(sa_column=_ts())
    prev_hash: str
    hash: str


class SealRow(SQLModel, table=True):
    """An HMAC seal over a case's row and chain head (or the roster's head), keyed outside the database."""

    __tablename__ = "seals"
    subject: str = Field(primary_key=True)
    seal: str
    sealed_at: datetime = Field(sa_column=_ts())


# ------------------------------------------------------------ hot statements (issue 11)


_KEPT_CONNECTION = "award_prepared_connection"


class Prepared:
    """One statement of the hot path (a step, a fired timer), compiled once per dialect from the table
    definitions and sent on the session's own DBAPI connection, inside the session's transaction.

    SQLAlchemy's execution of a Core or ORM statement costs 0.1-0.3 ms of CPU per statement (coercion,
    cache key, execution context, result wrapping): more than SQLite takes to run it. Here the SQL text,
    the parameter order and SQLAlchemy's own bind and result processors (JSON, datetimes on SQLite) are
    taken from the compiled statement once; each call only converts the values and runs the cursor.
    What stays: the types SQLAlchemy would apply, the session's transaction, `before_cursor_execute`
    listeners (tests record the statements), and the translation of driver errors (an IntegrityError is
    SQLAlchemy's, so a busy, read-only or duplicate write fails as it did through the ORM).

    `build` returns the statement; parameters are `bindparam(name)`; constants may be plain values
    (bound once) but not `in_` lists (their SQL depends on the list: write `or_` instead).
    """

    __slots__ = ("_build", "_compiled", "_last")

    def __init__(self, build: Any) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._last: tuple[Any, _Compiled] | None = None  # the dialect last asked for, and its statement

    def _for(self, dialect: Any) -> _Compiled:
        last = self._last
        if last is not None and last[0] is dialect:  # a process works on one database: no key to build
            return last[1]
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self._build(), dialect)
        self._last = (dialect, compiled)
        return compiled

    @staticmethod
    def _connection(s: Session) -> tuple[Any, Any]:
        """The session's connection and its DBAPI connection, after writing what the ORM holds pending
        (its autoflush: an effect's changed record must be seen by the letter that reads it).

        Both are kept in `s.info` for the rest of the transaction: `Session.connection()` costs ~10 us a
        call, and reaching the DBAPI connection through SQLAlchemy's properties a few more, and a step
        sends nine statements. A new transaction (after a commit or rollback) is a new
        `get_transaction()` and asks the session again.
        """
        if s.autoflush:
            s.flush()
        transaction = s.get_transaction()
        kept = s.info.get(_KEPT_CONNECTION)
        if kept is not None and transaction is not None and kept[0] is transaction:
            link: tuple[Any, Any] = kept[1]
            return link
        conn = s.connection()
        link = (conn, conn.connection.dbapi_connection)
        s.info[_KEPT_CONNECTION] = (s.get_transaction(), link)
        return link

    def run(self, s: Session, params: dict[str, Any] | None = None) -> Any:
        """Execute once; returns the DBAPI cursor (rowcount, fetch through `rows`/`one`)."""
        conn, dbapi = self._connection(s)
        return self._for(conn.dialect).execute(conn, dbapi, params or {}, many=False)

    def many(self, s: Session, rows: list[dict[str, Any]]) -> None:
        """Execute for every row in one `executemany` (rows of one kind: timers, outbox)."""
        if rows:
            conn, dbapi = self._connection(s)
            self._for(conn.dialect).execute(conn, dbapi, rows, many=True)

    def rows(self, s: Session, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute a SELECT (or a RETURNING) and return its rows with SQLAlchemy's result processors applied."""
        conn, dbapi = self._connection(s)
        compiled = self._for(conn.dialect)
        cursor = compiled.execute(conn, dbapi, params or {}, many=False)
        return compiled.convert(cursor.fetchall())

    def first(self, s: Session, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        found = self.rows(s, params)
        return found[0] if found else None


def construct(cls: type[_Row], **values: Any) -> _Row:
    """A row object from values the engine made itself (a history event, a row just read): no validation,
    with the ORM's instance state, as `model_construct` would make it. Not for values that come from
    people: those are validated.

    When every field is given (the hot path's rows: a case read whole, an event, a claimed timer), the
    instance is made by the ORM's class manager and its fields filled in directly, 4x cheaper than
    `model_construct` (which looks up aliases and defaults field by field, ~15 us for a case) followed
    by the ORM's state (another ~10 us: its `hasattr` probe raises through pydantic's `__getattr__`).
    Any other call takes pydantic's own way. `tests/workflow/test_prepared.py` compares the two.
    """
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _shape(cls)
    names, manager = shape
    if manager is None or len(values) != len(names) or values.keys() != names:
        from sqlalchemy.orm import instrumentation

        row = cls.model_construct(**values)
        instrumentation.manager_of_class(cls)._new_state_if_none(row)
        return row
    row = manager.new_instance()  # the class's __new__ (SQLModel sets up pydantic's slots) and the ORM state
    row.__dict__.update(values)
    _set = object.__setattr__
    _set(row, "__pydantic_fields_set__", set(names))
    _set(row, "__pydantic_extra__", None)
    _set(row, "__pydantic_private__", None)
    return row


_SHAPES: dict[type, tuple[Any, Any]] = {}


def values_of(row: SQLModel) -> Mapping[str, Any]:
    """A row's column values, for a reader that reads many of them (a hash, a seal, a letter's context).

    They are read from the instance's `__dict__`, where the ORM keeps what it loaded: a read through the
    ORM's attribute descriptor costs ~3,000 instructions, a dict lookup ~40, and a step read its case and
    its event ~140 times. A row that lacks a value there (expired by a commit, never loaded) is read
    through its attributes instead, which loads it as before. The mapping is the row's own (it also holds
    the ORM's state): read it, never write to it.
    """
    held = row.__dict__
    shape = _SHAPES.get(type(row))
    if shape is None:
        shape = _SHAPES[type(row)] = _shape(type(row))
    names = shape[0]  # the field names, as `construct` keeps them
    if held.keys() >= names:
        return held
    return {name: getattr(row, name) for name in names}


def committed(row: SQLModel, **values: Any) -> None:
    """Give a row values the database holds already (what the caller's own statement wrote), as
    `set_committed_value` does for each: nothing to flush, nothing to read back.

    A row with no pending change, nothing expired and no per-attribute loaders (the hot path's: a case
    read whole, an event just made) takes the values into its `__dict__` directly, where that function
    would put them and then find nothing else to undo, at ~6 k instructions each; any other row is
    given them one by one through it.
    """
    state = instance_state(row)
    if not (state.modified or state.expired or state.expired_attributes or state.callables):
        row.__dict__.update(values)
        return
    for key, value in values.items():
        set_committed_value(row, key, value)


def _shape(cls: type) -> tuple[Any, Any]:
    """The field names of a table row class, and its ORM class manager when the direct way is exact for it:
    no field has an alias and the model has no post-init or private attributes (else None)."""
    from sqlalchemy.orm import instrumentation

    fields = cls.__pydantic_fields__  # type: ignore[attr-defined]
    names = dict.fromkeys(fields).keys()
    plain = (not any(f.alias or f.validation_alias for f in fields.values())
             and cls.__pydantic_post_init__ is None and not cls.__private_attributes__)  # type: ignore[attr-defined]
    return names, instrumentation.manager_of_class(cls) if plain else None


class _Loading:
    """What the ORM's `load` event hands its listeners (the seal keeps a case row as first read)."""

    def __init__(self, session: Session) -> None:
        self.session = session


def attach(s: Session, cls: type[_Row], columns: Sequence[str], values: Sequence[Any]) -> _Row:
    """A row read by a prepared SELECT (or RETURNING), made a persistent member of the session as the ORM's
    loader makes a row it reads (same identity, same `load` event), without the cost of an ORM query: a
    case on every step.

    The steps are the loader's own for a row new to the session (`sqlalchemy.orm.loading._instance`): the
    instance state gets its identity key and session, enters the identity map, and the `load` event
    fires. The public way (`make_transient_to_detached`, then `Session.add`) costs ~150 k instructions
    more: it expires and recommits every attribute, and `add` walks the save-update cascade and the
    attach events. `tests/workflow/test_prepared.py` checks that the row behaves as a loaded one.
    """
    key = identity_key(cls, values[0])
    known = s.identity_map.get(key)
    if known is not None:  # already in this transaction: the session's copy wins, as with a query
        return known
    row = construct(cls, **dict(zip(columns, values, strict=True)))
    state = instance_state(row)
    state.key, state.identity_token, state.session_id = key, None, s.hash_key
    s.identity_map._add_unpresent(state, key)
    state.manager.dispatch.load(state, _Loading(s))
    if s.dispatch.loaded_as_persistent:
        s.dispatch.loaded_as_persistent(s, state)
    return row


class _Compiled:
    __slots__ = ("converting", "defaults", "dialect", "names", "plan", "positional", "processors", "sql")

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError(f"a Prepared statement cannot hold an IN list: {compiled.string}")
        self.dialect = dialect
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        binds = compiled.binds
        self.names: list[str] = list(compiled.positiontup) if compiled.positional else list(binds)
        self.defaults = {name: bp.value for name, bp in binds.items() if bp.value is not None}
        self.processors = {name: _fast_bind(bp.type, dialect, proc) for name, bp in binds.items()
                           if (proc := bp.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        self.plan: list[tuple[str, Any]] = [(name, self.processors.get(name)) for name in self.names]
        results: list[Any] = []
        if getattr(stmt, "selected_columns", None) is not None and getattr(stmt, "is_select", False) \
                or getattr(stmt, "_returning", ()):
            columns = stmt.selected_columns if getattr(stmt, "is_select", False) else stmt._returning
            results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.converting: list[tuple[int, Any]] = [(i, p) for i, p in enumerate(results) if p is not None]

    def _params(self, given: dict[str, Any]) -> Any:
        values = {**self.defaults, **given} if self.defaults else given
        if self.positional:
            return tuple([values[n] if p is None else p(values[n]) for n, p in self.plan])
        return {n: values[n] if p is None else p(values[n]) for n, p in self.plan}

    def execute(self, conn: Any, dbapi: Any, params: Any, *, many: bool) -> Any:
        args = [self._params(p) for p in params] if many else self._params(params)
        cursor = dbapi.cursor()
        # listeners on the connection or its SQLAlchemy Engine (tests record statements), looked for as
        # SQLAlchemy itself does before asking the dispatcher
        sa_engine = conn.engine
        if (conn._has_events or sa_engine._has_events) and conn.dispatch.before_cursor_execute:
            conn.dispatch.before_cursor_execute(conn, cursor, self.sql, args, None, many)
        try:
            if many:
                cursor.executemany(self.sql, args)
            else:
                cursor.execute(self.sql, args)
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, args, exc, self.dialect.loaded_dbapi.Error,
                                      dialect=self.dialect) from exc
        return cursor

    def convert(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        """The rows with the result processors applied, only to the columns that have one (a case row has
        twenty columns, five of them times or JSON)."""
        if not self.converting:
            return [tuple(r) for r in rows]
        out = []
        for r in rows:
            values = list(r)
            for i, process in self.converting:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out


def _fast_bind(type_: Any, dialect: Any, general: Any) -> Any:
    """SQLAlchemy's bind processor, or for SQLite's DATETIME an equivalent that is 3x cheaper.

    SQLite stores a DateTime as text in SQLAlchemy's default storage format, `YYYY-MM-DD HH:MM:SS.ffffff`
    (the wall-clock fields, any time zone dropped), which `timing.clock.sqlite_datetime` writes from
    `isoformat`; every other value (a date, a datetime subclass such as freezegun's) takes
    SQLAlchemy's own processor. `tests/test_prepared.py` checks that both write the same text.
    """
    from sqlalchemy.dialects.sqlite import DATETIME

    impl = type_.dialect_impl(dialect)
    if dialect.name != "sqlite" or not isinstance(impl, DATETIME) or impl._storage_format != _SQLITE_DATETIME:
        return general

    def process(value: Any) -> Any:
        if type(value) is datetime:
            return sqlite_datetime(value)
        return general(value)

    return process


_SQLITE_DATETIME = ("%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d")
