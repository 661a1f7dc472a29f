"""Shared fixtures: a real SQLite file per test, the CLI driven in-process, PostgreSQL when configured."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import award.workflow
import pytest
from award.cli import main
from click.testing import CliRunner

# freezegun's first freeze in a process reads every attribute of every loaded module, and so imports the
# modules `award.workflow` re-exports lazily (PEP 562) while `datetime.date` is its FakeDate: models
# defined then are built against FakeDate, and a later test that loads a definition failed or passed by
# the order the tests ran in. Imported here, before any test freezes time, they never are.
for _name in award.workflow.__all__:
    getattr(award.workflow, _name)


@pytest.fixture(autouse=True)
def _clean_award_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test starts with no AWARD_* variable and an office data folder of its own.

    AWARD_HOME points into the test's temporary folder and the system config file at a path that
    does not exist, so no test reads or writes the real ~/.local/share/award or /etc/award.
    """
    for key in list(os.environ):
        if key.startswith("AWARD_") and key != "AWARD_TEST_DATABASE_URL":
            monkeypatch.delenv(key, raising=False)
    home = tmp_path_factory.mktemp("award-home")
    monkeypatch.setenv("AWARD_HOME", str(home))
    monkeypatch.setenv("AWARD_SYSTEM_CONFIG", str(home / "no-system-config.toml"))
    # Tables are as wide as the terminal (rich's detection, COLUMNS respected); tests read them at 160.
    monkeypatch.setenv("COLUMNS", "160")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:  # pytest shows this on a failed assert
        return f"Result(code={self.code}, out={self.out[-2000:]!r}, err={self.err[-2000:]!r})"


AwardRunner = Callable[..., Result]


def make_runner(db: str, workdir: Path, deployment: Path | None = None, *, deliver: bool = True,
                home: Path | None = None) -> AwardRunner:
    """A runner of the real CLI entry point, in-process, in `workdir`; `deliver=False` adds --no-deliver.

    `who` is the OS login the command runs under (the test stands in for the operating system, as
    `Settings.login_source`); the roster binds each member to a login of the same name. `who=None`
    runs under the test process's real login, which no roster holds: a stranger. `home` fixes the
    office data folder (`--home`) for a runner shared by several tests (each test has its own AWARD_HOME).
    """
    from award.commands.context import Settings, os_login

    default_deliver = deliver

    def run(*args: str, now: str | None = None, who: str | None = "wang", definitions: str | None = None,
            deliver: bool | None = None) -> Result:
        argv = ["--db", db]
        if home is not None:
            argv += ["--home", str(home)]
        if deployment is not None:
            argv += ["--deployment", str(deployment)]
        if definitions:
            argv += ["--definitions", definitions]
        if now:
            argv += ["--now", now]
        if not (default_deliver if deliver is None else deliver):
            argv += ["--no-deliver"]
        argv += list(args)
        runner = CliRunner()
        code = 0
        with runner.isolation() as streams:
            cwd = os.getcwd()
            os.chdir(workdir)
            try:
                main(argv, settings=Settings(db=None, definitions=None, now=None, as_name=None, deployment=None,
                                             login_source=(lambda: who) if who else os_login))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                os.chdir(cwd)
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
        return Result(code=code, out=out, err=err)

    return run


@pytest.fixture
def db_file(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `award` fixture's database: a SQLite file, and (a second run of the test) a PostgreSQL database.

    A test that is about SQLite itself (its file's bytes, its locks, its read-only modes) says so with
    `@pytest.mark.sqlite_only("why")` and runs on SQLite alone.
    """
    if backend == "sqlite":
        return str(tmp_path / "award.db")
    return _pg_copy(request)


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    path = tmp_path / "deployment.yaml"
    path.write_text(
        "office:\n  email: [office@example.gov.cn]\n"
        "districts:\n  浦东新区: {email: [pudong@example.gov.cn]}\n"
        "notifiers:\n  email: {kind: spool, folder: mail, sender: office@example.gov.cn}\n"
        "delivery: {inline: true}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def award(backend: str, db_file: str, request: pytest.FixtureRequest, tmp_path: Path,
          deployment: Path) -> Iterator[AwardRunner]:
    """`award(*args, now=..., who=...)` runs the CLI on a fresh database with staff ready.

    The administrator `admin` is named at init; wang (office), li (reviewer) and zhao (committee)
    hold their role for every issuer whose procedures have it, each bound to a login of their name.
    That database is made once per run and backend by those very commands (`ready_office`) and each
    test gets a copy of its own (the SQLite file, or `CREATE DATABASE ... TEMPLATE` on PostgreSQL)
    with the seal key beside it: the same start as running them again, without their cost per test.
    """
    request.getfixturevalue("ready_office").copy_to(db_file if backend == "sqlite" else None)
    yield make_runner(db_file, tmp_path, deployment)


@dataclass
class ReadyOffice:
    """The `award` fixture's starting point, made once per backend by `award init` and `staff add`."""

    db: str
    secrets: Path

    def copy_to(self, sqlite_file: str | None) -> None:
        import shutil

        home = Path(os.environ["AWARD_HOME"])
        shutil.copytree(self.secrets, home / "secrets")
        if sqlite_file is not None:
            shutil.copyfile(self.db, sqlite_file)


@pytest.fixture(scope="session")
def ready_sqlite(tmp_path_factory: pytest.TempPathFactory) -> ReadyOffice:
    return _make_ready(str(tmp_path_factory.mktemp("ready-sqlite") / "award.db"), tmp_path_factory)


@pytest.fixture(scope="session")
def ready_postgres(pg_server: tuple[Any, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadyOffice]:
    from sqlalchemy import text

    (admin, server), prefix = pg_server
    name = f"{prefix}_ready"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _make_ready(server.set(database=name).render_as_string(hide_password=False), tmp_path_factory)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def ready_office(backend: str, request: pytest.FixtureRequest) -> ReadyOffice:
    return request.getfixturevalue(f"ready_{backend}")  # type: ignore[no-any-return]


def _make_ready(db: str, tmp_path_factory: pytest.TempPathFactory) -> ReadyOffice:
    folder = tmp_path_factory.mktemp("ready")
    home = folder / "home"
    add_staff(make_runner(db, folder, home=home))
    if db.startswith("postgresql"):
        from sqlalchemy import text

        with _pg_admin_connect() as conn:  # a template must have no session: close what the commands left
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"),
                         {"name": db.rsplit("/", 1)[1]})
    else:
        import sqlite3

        with sqlite3.connect(db) as con:  # everything in the one file, so that copying it copies all
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
    return ReadyOffice(db=db, secrets=home / "secrets")


def _pg_admin_connect() -> Any:
    from award.workflow.store import database_url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    server = make_url(database_url(postgres_url()))
    return create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool).connect()


def _pg_copy(request: pytest.FixtureRequest) -> str:
    """A database of the test's own, copied from the ready office's (dropped after the test)."""
    from sqlalchemy import text

    (admin, server), prefix = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("ready_postgres")
    name = f"{prefix}_{next(_PG_DATABASES)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.db.rsplit("/", 1)[1]}"'))

    request.addfinalizer(lambda: _pg_drop(admin, name))
    return str(server.set(database=name).render_as_string(hide_password=False))


ISSUERS = ("shanghai", "wuhu", "saq")
STAFF = {"wang": ("office", ISSUERS), "li": ("reviewer", ("shanghai", "saq")), "zhao": ("committee", ("shanghai", "saq"))}


def add_staff(run: AwardRunner, staff: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
    """`award init --admin admin`, then the roster (each member bound to the login of their name)."""
    r = run("init", "--admin", "admin", "--login", "admin", who=None)
    assert r.code == 0, r
    for name, (role, scopes) in (STAFF if staff is None else staff).items():
        r = run("staff", "add", name, "--login", name, "--role", role, *[f"--for={sc}" for sc in scopes],
                who="admin")
        assert r.code == 0, r


def postgres_url() -> str:
    url = os.environ.get("AWARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need AWARD_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return url


@pytest.fixture(scope="session")
def pg_server() -> Iterator[tuple[Any, str]]:
    """The PostgreSQL server AWARD_TEST_DATABASE_URL names, and this test run's own prefix for databases.

    Two suites on one server (two developers, CI beside a developer) never share tables: every
    database this run makes is named `award_test_<pid>_<random>_<n>`, and the run drops what it made.
    """
    import secrets

    from award.workflow.store import database_url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = make_url(database_url(postgres_url()))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        yield (admin, server), f"award_test_{os.getpid()}_{secrets.token_hex(4)}"
    finally:
        admin.dispose()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


_PG_DATABASES = iter(range(1, 1 << 30))


def _pg_drop(admin: Any, name: str) -> None:
    """Drop a test's database, after collecting what the test left behind.

    An in-process engine a test never disposed holds pooled psycopg connections; collected later, in
    some other test, each warns "deleted while still open" (an error under filterwarnings). They are
    collected here, in the test that made them, and `WITH (FORCE)` ends them on the server.
    """
    import gc
    import warnings

    from sqlalchemy import text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_server: tuple[Any, str]) -> Iterator[str]:
    """A PostgreSQL database of this test's own (empty: no table, no revision), dropped after the test.

    `CREATE DATABASE` from the server's template costs about as much as dropping every table of a
    shared one, and a connection a test left open cannot block the next test.
    """
    yield from _fresh_pg_database(pg_server)


def _fresh_pg_database(pg_server: tuple[Any, str]) -> Iterator[str]:
    """Create a database of its own on the run's server, yield its URL, drop it afterwards."""
    from sqlalchemy import text

    (admin, server), prefix = pg_server
    name = f"{prefix}_{next(_PG_DATABASES)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_drop(admin, name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): the test is about SQLite itself (its file, locks, "
                                       "read-only modes); it does not run on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that touches the database (through `db_url`, `db_file`, `award`, `office`, `any_office`, or a
    module's shared office on `module_db_url`) runs on SQLite and on PostgreSQL (skipped without
    AWARD_TEST_DATABASE_URL), unless marked `sqlite_only`. A test that takes both a function's and a module's
    database gets the same backend for both."""
    names = [n for n in ("backend", "module_backend") if n in metafunc.fixturenames]
    if not names:
        return
    marker = metafunc.definition.get_closest_marker("sqlite_only")
    if marker is not None and not (marker.args or marker.kwargs.get("reason")):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: sqlite_only needs the reason the test is SQLite's own")
    values: list[Any] = [("sqlite",) * len(names) if len(names) > 1 else "sqlite"]
    if marker is None:
        pg = ("postgres",) * len(names) if len(names) > 1 else "postgres"
        values.append(pytest.param(pg, marks=pytest.mark.postgres))
    ids = ["sqlite", "postgres"][: len(values)]
    metafunc.parametrize(names if len(names) > 1 else names[0], values, indirect=True, ids=ids,
                         scope="module" if "module_backend" in names else None)


@pytest.fixture(scope="module")
def module_backend(request: pytest.FixtureRequest) -> str:
    """The backend of a module's shared office (parametrised at module scope by `pytest_generate_tests`)."""
    return str(request.param)


@pytest.fixture(scope="module")
def module_db_url(module_backend: str, request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database shared by a module's tests (set up once per backend): a SQLite file, or PostgreSQL."""
    if module_backend == "sqlite":
        yield str(tmp_path_factory.mktemp("module-db") / "award.db")
        return
    yield from _fresh_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` or `postgres` (parametrised by `pytest_generate_tests`)."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test's database: a SQLite file, and PostgreSQL when AWARD_TEST_DATABASE_URL is set."""
    if backend == "sqlite":
        return str(tmp_path / "award.db")
    return str(request.getfixturevalue("pg_url"))
