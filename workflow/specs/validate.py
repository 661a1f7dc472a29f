"""`award definitions check`: every check on definitions, templates and calendars, no database."""

from __future__ import annotations

from pathlib import Path

from ..errors import Problem

__all__ = ["check_all"]


def check_all(root: Path) -> tuple[list[Problem], str]:
    """Every problem under a definitions folder (or one file), and a one-line summary."""
    from ..timing.calendar import OfficialCalendar
    from .catalog import load_catalog

    catalog = load_catalog(root)
    problems = list(catalog.problems)
    folder = root if root.is_dir() else root.parent
    templates = 0
    if (folder / "templates").is_dir():
        from ..notify.context import check_templates

        found, templates = check_templates(catalog, folder / "templates")
        problems += found
        from ..notify.documents import check_documents

        problems += check_documents(catalog, folder / "templates")
    calendar_dir = folder / "calendars"
    if calendar_dir.is_dir():
        problems += OfficialCalendar(files_dir=calendar_dir).problems()
    summary = f"{len(catalog.specs())} 个流程定义，{len(catalog.rules)} 条规则，{templates} 个通知模板"
    return problems, summary
