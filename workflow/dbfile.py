"""A SQLite database file is created by `award init` only: every other command refuses a missing file.

SQLite creates an empty file on connect, so a typo in `--db`, a command run in the wrong folder or a
cron job without `AWARD_HOME` would silently start a second, empty office. The check runs before any
connection is made.
"""

from __future__ import annotations

from pathlib import Path

from .errors import DataError

__all__ = ["BUSY_TIMEOUT_SECONDS", "plain_sqlite_path", "require_existing_file", "sqlite_file"]

BUSY_TIMEOUT_SECONDS = 5.0
"""How long a writer waits for another's write lock before giving up with exit 5 (`busy_timeout` in award.toml)."""


def plain_sqlite_path(value: str | None) -> Path | None:
    """The SQLite file a `--db` value names when it is a path, not a URL (default `award.db`), made absolute."""
    value = value or "award.db"
    if "://" in value:
        return None
    return Path(value).expanduser().resolve()


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def require_existing_file(url: str) -> None:
    """Refuse (exit 6) a SQLite file that does not exist yet, naming it and `award init`.

    Raises:
        DataError: the file is missing.
    """
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DataError(f"数据库文件 {path} 不存在：本命令不会新建数据库。"
                        "若这是新办公室，请先运行 award init；否则请检查 --db、AWARD_DB "
                        "或办公数据目录中 award.toml 的 database 设置是否指向原有的数据库")
