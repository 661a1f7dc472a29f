"""Schema migrations (Alembic): `award init` creates a new database or upgrades an old one to HEAD.

Every change to a table in `store.py` (or any module that defines tables) comes with a revision in
`versions/`; tests/workflow/test_migrations.py fails when the tables and the migrations disagree, and
upgrades a database made by the previous release with data in it. Alembic is imported only by `init`
and by the tests: reading the current revision (`require_schema`) is one plain SELECT.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["BASELINE", "HEAD", "upgrade"]

#: The schema of release 0.1.0, which made its tables with `create_all` and recorded no revision.
BASELINE = "0001"
#: The newest revision; `require_schema` refuses a database that is behind or ahead of it.
HEAD = "0002"

_HERE = Path(__file__).resolve().parent


def _config(connection: Connection) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, *, stamp_baseline: bool) -> None:
    """Bring the schema on `connection` to HEAD; a 0.1.0 database is first stamped as the baseline."""
    from alembic import command

    config = _config(connection)
    if stamp_baseline:
        command.stamp(config, BASELINE)  # type: ignore[arg-type]
    command.upgrade(config, "head")  # type: ignore[arg-type]
