"""The public-notice document (公示) the office publishes: title, the list, the notice period from the
calendar, how to object, the office's contact. Rendered from a template the office can edit.

Template: `<procedure>/_notice.md.j2` (Markdown, Jinja2 in the same immutable sandbox as the
notification templates, StrictUndefined). The office's copy in the data folder's `templates/`
wins over the bundled one (a two-folder search path). The leading `_` keeps it out of the message
templates; `check_documents` trial-renders it for every notice state during `definitions check`.

Output: Markdown as rendered, plain text (Markdown marks removed), or .docx (python-docx). The
Markdown-to-Word step is written here by hand and knows only what the templates use: `#`/`##`
headings, paragraphs, and `|`-tables (python-docx reads no Markdown, and pandoc is not a Python
dependency).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import DataError, InvalidInput, Problem
from ..officeviews import NoticeList
from ..timing.clock import cn_date

__all__ = ["DOCUMENT", "check_documents", "notice_context", "render_notice", "write_notice"]

DOCUMENT = "_notice.md.j2"


def period_text(first: date | None, last: date | None) -> str:
    """公示期：2026年9月28日至2026年10月10日 (the office's form)."""
    if first is None:
        return "公示期：尚未开始"
    if last is None:
        return f"公示期：自{cn_date(first)}起"
    return f"公示期：{cn_date(first)}至{cn_date(last)}"


def notice_context(notice: NoticeList, office: Mapping[str, str | None]) -> dict[str, Any]:
    """What a notice template may use."""
    return {
        "notice": {
            "round_id": notice.round_id, "round_title": notice.round_title, "procedure": notice.procedure,
            "procedure_title": notice.procedure_title, "source": notice.source, "state": notice.state,
            "state_label": notice.state_label, "rule": notice.rule or "", "objection_rule": notice.objection_rule or "",
            "first_day": notice.first_day, "last_day": notice.last_day, "provisional": notice.provisional,
            "period_text": period_text(notice.first_day, notice.last_day),
            "entries": [{"name": e["party"], "track": e["track_label"], "district": e["district"],
                         "fields": dict(e["listed"]), "ref": e["ref"]} for e in notice.entries],
        },
        "office": {"name": office.get("name") or "", "contact": office.get("contact") or ""},
    }


def _environment(roots: Sequence[Path]) -> Any:
    from .templates import _CappedLoader
    from .templates import _environment as sandbox

    return sandbox(_CappedLoader([str(r) for r in roots if r.is_dir()], encoding="utf-8"), autoescape=False)


def render_notice(roots: Sequence[Path], procedure: str, context: Mapping[str, Any]) -> str:
    """The notice's Markdown, from the first of `roots` holding `<procedure>/_notice.md.j2`.

    Raises:
        DataError: no template, or the template fails (file and line named).
    """
    import jinja2

    from .templates import _RENDER_ERRORS, TemplateError, _problem_from

    env = _environment(roots)
    name = f"{procedure}/{DOCUMENT}"
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        where = "、".join(str(r / procedure) for r in roots)
        raise DataError(f"流程 {procedure} 没有公示文件模板 {DOCUMENT}（在 {where} 中添加）") from None
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(_problem_from(exc, filename=name, root="/")) from None
    try:
        try:
            from .sandbox import budget, generate

            with budget():  # the same time and size limits as a message
                return generate(template.generate(dict(context))).strip() + "\n"
        except Exception:  # noqa: BLE001 - re-raised at once with template lines
            env.handle_exception()
    except _RENDER_ERRORS as exc:
        raise TemplateError(_problem_from(exc, filename=template.filename or name, root="/")) from None
    raise AssertionError("unreachable")  # pragma: no cover


_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_text(markdown: str) -> str:
    """Plain text for a notice board or a mail: headings without `#`, table rows with full-width gaps."""
    out = []
    for line in markdown.splitlines():
        if _TABLE_RULE.match(line.strip()):
            continue
        if line.lstrip().startswith("|"):
            out.append("　".join(_cells(line)))
        else:
            out.append(re.sub(r"^#+\s*", "", line).replace("**", ""))
    return "\n".join(out).strip() + "\n"


def to_docx(markdown: str, path: Path) -> None:
    """A Word document: `#` a centred title, `##` headings, `|` rows one table, the rest paragraphs."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(12)
    rows: list[list[str]] = []

    def flush() -> None:
        if not rows:
            return
        table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        table.style = "Table Grid"
        for i, cells in enumerate(rows):
            for j, text in enumerate(cells):
                table.cell(i, j).text = text
                if i == 0:
                    for run in table.cell(i, j).paragraphs[0].runs:
                        run.bold = True
        rows.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _TABLE_RULE.match(stripped):
                rows.append(_cells(stripped))
            continue
        flush()
        if not stripped:
            continue
        if stripped.startswith("# "):
            heading = doc.add_heading(stripped[2:].strip(), level=1)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif stripped.startswith("## "):
            doc.add_heading(stripped[3:].strip(), level=2)
        else:
            para = doc.add_paragraph(stripped.replace("**", ""))
            if stripped.startswith(("（", "20")) and len(stripped) < 30:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT  # the signature and date lines
    flush()
    from ..userfiles import check_output

    check_output(path, "公示文件")
    try:
        doc.save(str(path))
    except OSError as exc:
        raise InvalidInput(f"无法写入 {path}：{exc.strerror}") from None


def write_notice(markdown: str, path: Path) -> str:
    """Write the notice as .docx, .md or .txt (by the file's suffix); the format written."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        to_docx(markdown, path)
        return "docx"
    if suffix not in (".md", ".txt"):
        raise InvalidInput(f"公示文件只能写成 .docx、.md 或 .txt，收到 {path.name}")
    text = markdown if suffix == ".md" else to_text(markdown)
    from ..userfiles import check_output

    check_output(path, "公示文件")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"无法写入 {path}：{exc.strerror}") from None
    return suffix[1:]


def check_documents(catalog: Any, root: Path) -> list[Problem]:
    """Trial-render each procedure's notice template for each of its notice states (for `definitions check`)."""
    from .templates import TemplateError

    problems: list[Problem] = []
    for spec in catalog.specs():
        if not (root / spec.id / DOCUMENT).is_file():
            continue
        states = [st for st in spec.states if st.notice] or list(spec.states[:1])
        for state in states:
            sample = NoticeList(round_id=f"{spec.id}-2026", round_title=f"2026年{spec.title}", procedure=spec.id,
                                procedure_title=spec.title, source=spec.source or "", state=state.name,
                                state_label=state.label,
                                entries=({"ref": "X-1", "party": "示例单位", "track_label": "示例赛道",
                                          "district": "浦东新区", "listed": {}},),
                                first_day=date(2026, 9, 28), last_day=date(2026, 10, 10), period="5 working days",
                                rule="X-1", objection_rule="X-2", provisional=False)
            try:
                render_notice([root], spec.id, notice_context(sample, {"name": "示例审定办", "contact": "021-0000"}))
            except TemplateError as exc:
                problems.append(exc.problem)
            except DataError as exc:
                problems.append(Problem(file=str(root / spec.id / DOCUMENT), line=None, reason=str(exc)))
    return problems
