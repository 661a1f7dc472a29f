"""Write the body of the newest revision from the tables in code: `python -m award.workflow.migrations.autogenerate`.

A developer who adds or changes a table runs this, reads the operations it prints (Alembic's
autogenerate cannot see renames or data moves: write those by hand), and pastes them into a new file in
`versions/` (or, before a release, into the release's revision). It compares the code's tables with a
scratch SQLite database migrated to the revision before HEAD, so it needs no running database.
"""

from __future__ import annotations

import importlib
import pkgutil
import tempfile
from pathlib import Path


def import_all_tables() -> None:
    """Import every module of `award.workflow`, so that every table is in SQLModel's metadata."""
    import award.workflow as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)


def operations(base: str) -> str:
    """The Alembic operations that bring a database at revision `base` to the tables in code."""
    from alembic import command
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from . import _config

    import_all_tables()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        with engine.begin() as conn:
            command.upgrade(_config(conn), base)  # type: ignore[arg-type]
        with engine.connect() as conn:
            migration = produce_migrations(MigrationContext.configure(conn), SQLModel.metadata)
        engine.dispose()
    code = render_python_code(migration.upgrade_ops)  # type: ignore[arg-type]
    return code.replace("sqlmodel.sql.sqltypes.AutoString()", "sa.String()")


if __name__ == "__main__":
    import sys

    print(operations(sys.argv[1] if len(sys.argv) > 1 else "0001"))
