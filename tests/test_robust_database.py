"""A busy or read-only database (issue 16, item 5): exit 5 or 6 with the reason, reads keep working.

The lock is held by a real second process (`BEGIN IMMEDIATE` on the same file); the read-only file
is really read-only (the immutable flag, a `?mode=ro` URL, or file mode 0444 for a non-root user).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ISSUERS, add_staff, make_runner
from tests.fixtures_sha import office_fixture  # noqa: F401 - fixture
from tests.helpers import uscc

BUSY = "另一个写入者正在使用数据库"
HOLD = (
    "import sqlite3, sys\n"
    "con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
    "con.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.readline()\n"
    "con.execute('ROLLBACK')\n"
)


@pytest.fixture(autouse=True)
def _short_busy_timeout() -> None:
    """Half a second instead of five: every refused command below waits it out once."""
    home = Path(os.environ["AWARD_HOME"])
    (home / "award.toml").write_text('busy_timeout = "0.5"\n', encoding="utf-8")


@contextmanager
def write_lock(db: str) -> Iterator[None]:
    """Another process holds the SQLite write lock on `db` for the duration of the block."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()


def snapshot(db: str) -> bytes:
    return b"".join(Path(db + s).read_bytes() for s in ("", "-wal") if Path(db + s).exists())


@pytest.mark.sqlite_only("another process holds SQLite's write lock on the file (BEGIN IMMEDIATE); PostgreSQL's "
                         "row locks have test_postgresql_row_lock_held_past_the_busy_timeout_is_exit_5")
def test_every_writing_command_is_exit_5_while_another_process_holds_the_lock(office, tmp_path: Path) -> None:
    noticed = office.in_notice("2026-05-06 10:00")                      # SHA-2026-001, objections allowed
    draft = office.new_case(at="2026-05-06 11:00")                      # SHA-2026-002, in draft
    assert office.run("objection", "file", noticed, "--by", "张三", "--contact", "138", "--reason", "存疑",
                      now="2026-05-07 09:00").code == 0
    spare = uscc("91310000MA1FL9999")
    office.engine.office.party_add(kind="organization", name="上海备用质量公司", code=spare)
    (tmp_path / "awards.csv").write_text(f"code,procedure,award,awarded_on\n{spare},sha,gold_model,2020-05-01\n",
                                         encoding="utf-8")
    (tmp_path / "evidence.pdf").write_bytes(b"%PDF-1.4 evidence")
    office.engine.db.dispose()
    writers = [
        ("staff", "add", "zz", "--login", "zz", "--role", "office@sha"),
        ("party", "add", "--kind", "organization", "--name", "上海新质量公司", "--code", uscc("91310000MA1FL8888")),
        ("party", "set", spare, "--attr", "saq_member=是"),
        ("round", "open", "sha", "2028", "--decision", "新办法施行后继续评选"),
        ("case", "new", "--party", spare, "--round", "sha-2026", "--track", "gold_model"),
        ("advance", draft, "start_internal_notice"),
        ("tick",),
        ("party", "import-awards", str(tmp_path / "awards.csv")),
        ("objection", "file", noticed, "--by", "李四", "--contact", "139", "--reason", "存疑",
         "--evidence", str(tmp_path / "evidence.pdf")),
        ("objection", "resolve", "1", "--dismiss", "--reason", "经核查属实"),
        ("outbox", "deliver"),
        ("outbox", "retry", "1"),
    ]
    before = snapshot(office.db)
    with write_lock(office.db):
        results = {args: office.run(*args, now="2026-05-20 09:00" if args == ("tick",) else "2026-05-08 09:00",
                                    who="admin" if args[0] == "staff" else "wang")  # the roster is the admin's
                   for args in writers}
        reads = [office.run(*args) for args in (("cases",), ("show", noticed), ("history", noticed),
                                                ("party", "list"), ("outbox", "list"))]
    for args, r in results.items():
        assert r.code == 5, (args, r)
        assert "未做任何改动，请重试" in r.err or "本次操作未生效" in r.err, (args, r)
        assert "Traceback" not in r.err
    assert snapshot(office.db) == before
    assert [r.code for r in reads] == [0] * len(reads), reads
    # the lock released, the same commands work
    assert office.run("staff", "add", "zz", "--login", "zz", "--role", "office@sha", who="admin").code == 0


@pytest.fixture
def small_office(award, db_file: str) -> str:
    assert award("round", "open", "sha", "2026", now="2026-03-02 09:00").code == 0
    assert award("party", "add", "--kind", "organization", "--name", "上海甲质量科技有限公司",
                 "--code", "91310000MA1FL1GF94", "--registered-on", "2015-06-01").code == 0
    assert award("case", "new", "--party", "91310000MA1FL1GF94", "--round", "sha-2026", "--track", "gold_model",
                 now="2026-03-02 09:00").code == 0
    return db_file


READS = [("cases",), ("show", "SHA-2026-001"), ("history", "SHA-2026-001"), ("party", "list"), ("staff", "list"),
         ("round", "list"), ("timers", "list"), ("outbox", "list"), ("verify",)]
WRITES = [("staff", "add", "zz", "--login", "zz", "--role", "office@sha"),
          ("round", "open", "sha", "2028", "--decision", "新办法施行后继续评选"),
          ("advance", "SHA-2026-001", "start_internal_notice")]


def check_read_only(run, db: str, *, reads: list[tuple[str, ...]] = READS,
                    writes: list[tuple[str, ...]] = WRITES) -> None:
    before = snapshot(db)
    for args in reads:
        r = run(*args)
        assert r.code == 0, (args, r)
    for args in writes:
        r = run(*args, who="admin") if args[0] == "staff" else run(*args)
        assert r.code == 6, (args, r)
        assert "只读" in r.err and db in r.err, (args, r)
    assert snapshot(db) == before


@pytest.mark.sqlite_only("SQLite's immutable flag on the file")
def test_an_immutable_database_file_is_read_but_not_written(small_office: str, tmp_path: Path) -> None:
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", small_office], check=False).returncode != 0:
        pytest.skip("chattr +i is not available here (needs root and a file system that supports it)")
    try:
        check_read_only(make_runner(small_office, tmp_path), small_office)
    finally:
        subprocess.run(["chattr", "-i", small_office], check=True)


@pytest.mark.sqlite_only("SQLite's ?mode=ro URL")
def test_a_mode_ro_url_is_read_but_not_written(small_office: str, tmp_path: Path) -> None:
    url = f"sqlite:///file:{small_office}?mode=ro&uri=true"
    check_read_only(make_runner(url, tmp_path), small_office)


@pytest.mark.sqlite_only("the database file's own permissions (0444)")
def test_a_file_without_write_permission_is_read_but_not_written(small_office: str, award) -> None:
    """File mode 0444, run as a user that does not own it (root ignores file modes: we drop to nobody)."""
    # nobody works under a roster member of its own, and reads the office's history key
    assert award("staff", "add", "ro", "--login", "nobody", "--role", "admin", "--role", "office@sha",
                 who="admin").code == 0
    folder = Path(tempfile.mkdtemp(prefix="award-ro-"))
    try:
        folder.chmod(0o777)  # nobody may create the -wal and -shm files a WAL reader needs, not change the db
        db = folder / "award.db"
        shutil.copy(small_office, db)
        db.chmod(0o444)
        shutil.copytree(Path(os.environ["AWARD_HOME"]) / "secrets", folder / "secrets")
        for path in (folder / "secrets", *(folder / "secrets").iterdir()):
            os.chown(path, 65534, 65534)
        prefix: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: cannot drop to a user the file mode binds")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        env = {**os.environ, "AWARD_HOME": str(folder), "AWARD_CACHE_DIR": str(folder / "cache"),
               "HOME": str(folder), "AWARD_SYSTEM_CONFIG": str(folder / "no-system-config.toml")}
        award_bin = str(Path(sys.executable).with_name("award"))

        def run(*args: str, who: str | None = None):
            p = subprocess.run([*prefix, award_bin, "--db", str(db), *args], env=env,
                               capture_output=True, text=True, timeout=120, check=False)
            return _Result(p.returncode, p.stdout, p.stderr)

        check_read_only(run, str(db), reads=READS[:2], writes=WRITES[:2])  # a subprocess each: a few suffice
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, err={self.err[-1500:]!r})"


def test_postgresql_row_lock_held_past_the_busy_timeout_is_exit_5(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL would wait for a row lock forever; with lock_timeout = busy_timeout it is exit 5."""
    import psycopg

    run = make_runner(pg_url, tmp_path)
    add_staff(run, {"wang": ("office", ISSUERS)})
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as holder:  # a second connection (and transaction) holding the row
        holder.execute("SELECT * FROM staff WHERE name = 'wang' FOR UPDATE")
        started = time.monotonic()
        r = run("staff", "add", "wang", "--role", "reviewer@sha", who="admin")
        waited = time.monotonic() - started
        assert run("staff", "list", "--json", who="admin").code == 0  # readers are not blocked
        holder.rollback()
    assert r.code == 5, r
    assert BUSY in r.err
    assert waited < 10
    roster = {m["name"]: m["roles"] for m in run("staff", "list", "--json", who="admin").json}
    assert not any(g.startswith("reviewer") for g in roster["wang"]), roster  # the blocked grant never landed
