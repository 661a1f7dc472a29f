"""Chinese notification templates, edited by office staff, rendered in Jinja2's immutable sandbox.

Layout: ``<root>/<procedure>/<name>.j2``, one file per message, with three blocks::

    {% block subject %}关于{{ party.name }}参评资格的通知{% endblock %}
    {% block text %}
    {{ party.name }}：
    ……请于{{ due.at | cn_date }}前提交材料。
    {% endblock %}
    {% block html %}<p>{{ party.name }}：……</p>{% endblock %}

`subject` (one line) and `text` are required, `html` is optional; no other block is allowed, so
a misspelt `{% block htlm %}` is reported instead of silently dropped. A letter that carries a
document adds the pair `attachment_name` (one line: the file name) and `attachment` (the file's
text, sent as a UTF-8 `.txt`-like part): SHA-23's feedback letter carries the material review report. Files and folders whose
names start with `_` are partials for `{% include %}` / `{% import %}`, not messages.

Staff are trusted with wording, not with code: templates run in `ImmutableSandboxedEnvironment`
with `StrictUndefined`, so a typo'd variable is an error rather than a blank in a letter, and
attribute walks (`__class__`), `str.format` escapes and mutation are refused. `sandbox.py` bounds
what a render may cost (time, output size, amplifying operations) and reads templates only from
inside their folder, never through a symbolic link; template files are capped at `MAX_TEMPLATE_BYTES`.

Autoescape is decided when Jinja compiles a template, so every file is compiled twice, by two
environments that share a loader: one without autoescape for the subject and the plain text (a
party called `A&B` stays `A&B`), one with autoescape for the HTML block (`A&amp;B`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from ..errors import DataError, Problem
from ..logs import logger
from ..registers.identity import mask_resident_id
from ..timing.clock import cn_date, cn_datetime
from .sandbox import BoundedSandbox, ConfinedLoader, SymlinkedTemplate, TemplateLimit, budget, generate

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "Rendered",
    "TemplateError",
    "TemplateSet",
    "check",
    "cn_date",
    "cn_datetime",
]

_LOGGER = logger(__name__)

MAX_TEMPLATE_BYTES = 64 * 1024
"""Largest template file accepted (a letter is a few KiB)."""

SUFFIX = ".j2"
REQUIRED_BLOCKS = ("subject", "text")
BLOCKS = ("subject", "text", "html", "attachment_name", "attachment")
ATTACHMENT_BLOCKS = ("attachment_name", "attachment")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")

# What a template can do wrong while rendering. Anything else is a bug in `award` and propagates.
_RENDER_ERRORS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError)


class TemplateError(DataError):
    """One problem in one template file: a syntax error, a missing block, a failed render.

    Attributes:
        problem: the file, the line in the template (when known) and the reason in Chinese.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True, kw_only=True, slots=True)
class Rendered:
    """One message rendered from a template.

    Attributes:
        subject: the subject, one line, stripped.
        text: the plain-text body, stripped.
        html: the HTML body (escaped), or None when the template has no html block.
        attachments: (file name, text) pairs the letter carries; empty for most letters.
    """

    subject: str
    text: str
    html: str | None
    attachments: tuple[tuple[str, str], ...] = ()


# --- filters --------------------------------------------------------------------------------------




def _strict(function: Callable[[Any], str]) -> Callable[[Any], str]:
    """Let an undefined value fail as undefined (`'due' is undefined`), not as a filter's TypeError."""

    def apply(value: Any) -> str:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises UndefinedError naming the variable
        return function(value)

    apply.__name__ = function.__name__
    return apply


_FILTERS: dict[str, Callable[[Any], str]] = {
    "cn_date": _strict(cn_date),
    "cn_datetime": _strict(cn_datetime),
    "mask_id": _strict(mask_resident_id),
}


# --- loading --------------------------------------------------------------------------------------


def _capped(source: str, filename: str) -> None:
    """Refuse large template files (the loader calls this with each file it reads)."""
    size = len(source.encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            Problem(
                file=filename,
                line=None,
                reason=f"模板文件过大：{size} 字节，上限 {MAX_TEMPLATE_BYTES} 字节；请拆分或精简模板",
            )
        )


class _CappedLoader(ConfinedLoader):
    """Templates from inside the given folders only, each file at most MAX_TEMPLATE_BYTES (notices use it too)."""

    def __init__(self, searchpath: str | list[str], encoding: str = "utf-8") -> None:
        super().__init__(searchpath, encoding=encoding, check_source=_capped)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:  # the file and line, not a traceback
            filename = os.path.join(str(self.searchpath[0]), *template.split("/"))
            with open(filename, "rb") as handle:
                raw = handle.read(MAX_TEMPLATE_BYTES + 1)
            line = raw[: exc.start].count(b"\n") + 1
            raise TemplateError(Problem(file=filename, line=line, reason=(
                f"模板文件不是有效的 UTF-8 编码（第 {exc.start + 1} 个字节）：请用 UTF-8 另存"))) from None


def _environment(loader: jinja2.BaseLoader, *, autoescape: bool) -> BoundedSandbox:
    env = BoundedSandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.bound_filters(_FILTERS)
    return env


def _is_template_frame(filename: str, root: str) -> bool:
    return filename.endswith(SUFFIX) and os.path.abspath(filename).startswith(root)


def _problem_from(exc: BaseException, *, filename: str, root: str) -> Problem:
    """Turn a failure into a Problem naming the template file and line where it happened.

    Syntax errors carry their own file and line. For runtime errors, Jinja rewrites the traceback
    (`Environment.handle_exception`) so that a template frame has the template's filename as
    `co_filename` and the template line as `tb_lineno`; the innermost such frame is the culprit
    (it may be an included partial).
    """
    if isinstance(exc, TemplateError):
        return exc.problem
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(file=exc.filename or filename, line=exc.lineno, reason=f"模板语法错误：{exc.message}")
    where_file, where_line = filename, None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code_file = tb.tb_frame.f_code.co_filename
        if _is_template_frame(code_file, root):
            where_file, where_line = code_file, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, TemplateLimit):
        reason = f"{exc}；请简化模板"
    elif isinstance(exc, SymlinkedTemplate):
        reason = exc.message or "模板是符号链接"
    elif isinstance(exc, SecurityError):
        reason = f"模板使用了不允许的操作（安全沙箱拒绝）：{exc}"
    elif isinstance(exc, jinja2.UndefinedError):
        reason = f"模板变量未定义：{exc}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        reason = f"模板引用的文件不存在：{exc}"
    else:
        reason = f"模板渲染出错：{type(exc).__name__}: {exc}"
    return Problem(file=where_file, line=where_line, reason=reason)


class TemplateSet:
    """The message templates under one folder, rendered in the sandbox.

    Attributes:
        root: the folder holding one subfolder per procedure.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._abs_root = os.path.abspath(self.root) + os.sep
        loader = ConfinedLoader(str(self.root), encoding="utf-8", check_source=_capped)
        self._text_env = _environment(loader, autoescape=False)
        self._html_env = _environment(loader, autoescape=True)

    def names(self, procedure: str) -> list[str]:
        """The message names of a procedure (file stems, partials left out), sorted; [] when none."""
        folder = self.root / procedure
        if not _NAME.match(procedure) or not folder.is_dir():
            return []
        return sorted(
            path.stem
            for path in folder.iterdir()
            if path.suffix == SUFFIX and path.is_file() and not path.name.startswith("_")
        )

    def render(self, procedure: str, name: str, context: Mapping[str, Any]) -> Rendered:
        """Render one message.

        Args:
            procedure: the procedure's folder (its definition id).
            name: the message's file stem.
            context: the values the template may use (read-only inside the sandbox).

        Returns:
            The subject, the text and the optional HTML.

        Raises:
            TemplateError: a missing or oversize file, a syntax error, a missing or unknown block,
                an undefined variable, a refused operation, or any other failure while rendering,
                with the template file and line.
        """
        template_name = self._template_name(procedure, name)
        text_template = self._load(self._text_env, template_name)
        self._check_blocks(text_template)
        try:
            with budget():  # one time and size budget for the whole message
                subject = self._render_block(text_template, "subject", context)
                text = self._render_block(text_template, "text", context).strip()
                html = None
                if "html" in text_template.blocks:
                    html_template = self._load(self._html_env, template_name)
                    html = self._render_block(html_template, "html", context).strip()
                attachments: tuple[tuple[str, str], ...] = ()
                if "attachment" in text_template.blocks:
                    name = self._render_block(text_template, "attachment_name", context)
                    body = self._render_block(text_template, "attachment", context).strip()
                    if body:  # an empty document is not sent as an empty file
                        attachments = ((name, body + "\n"),)
        except TemplateLimit as exc:  # the timer fired outside a block's own handling
            raise self._fail(exc, template_name) from None
        return Rendered(subject=subject, text=text, html=html, attachments=attachments)

    # --- internals -----------------------------------------------------------------------------

    def _template_name(self, procedure: str, name: str) -> str:
        if not (_NAME.match(procedure) and _NAME.match(name)):
            reason = f"模板名不合法：{procedure}/{name}（只允许字母、数字、_ . -）"
            raise TemplateError(Problem(file=str(self.root), line=None, reason=reason))
        return f"{procedure}/{name}{SUFFIX}"

    def _filename(self, template_name: str) -> str:
        return os.path.join(str(self.root), *template_name.split("/"))

    def _fail(self, exc: BaseException, template_name: str) -> TemplateError:
        problem = _problem_from(exc, filename=self._filename(template_name), root=self._abs_root)
        _LOGGER.debug("template %s failed: %s", template_name, problem)
        return TemplateError(problem)

    def _load(self, env: jinja2.Environment, template_name: str) -> jinja2.Template:
        try:
            return env.get_template(template_name)
        except TemplateError:
            raise
        except SymlinkedTemplate as exc:
            raise TemplateError(Problem(file=exc.path, line=None, reason=exc.message or "")) from None
        except jinja2.TemplateNotFound:
            raise TemplateError(
                Problem(file=self._filename(template_name), line=None, reason="模板文件不存在")
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise self._fail(exc, template_name) from exc

    def _check_blocks(self, template: jinja2.Template) -> None:
        filename = template.filename or self._filename(template.name or "")
        missing = [b for b in REQUIRED_BLOCKS if b not in template.blocks]
        unknown = sorted(set(template.blocks) - set(BLOCKS))
        if missing:
            reason = f"缺少必需的块：{'、'.join(missing)}（subject 和 text 两个块都必须有）"
            raise TemplateError(Problem(file=filename, line=None, reason=reason))
        if unknown:
            reason = f"未知的块：{'、'.join(unknown)}（只允许 subject、text、html、attachment_name、attachment）"
            raise TemplateError(Problem(file=filename, line=None, reason=reason))
        present = [b for b in ATTACHMENT_BLOCKS if b in template.blocks]
        if present and len(present) != len(ATTACHMENT_BLOCKS):
            reason = "附件须同时有 attachment_name（文件名）和 attachment（内容）两个块"
            raise TemplateError(Problem(file=filename, line=None, reason=reason))

    def _render_block(self, template: jinja2.Template, block: str, context: Mapping[str, Any]) -> str:
        """Render one block alone; Jinja's own traceback rewriting gives template lines on failure."""
        env = template.environment
        try:
            try:
                output = generate(template.blocks[block](template.new_context(dict(context))))
            except Exception:  # noqa: BLE001 - re-raised at once, traceback rewritten to template lines
                env.handle_exception()
        except TemplateError:
            raise
        except _RENDER_ERRORS as exc:
            raise self._fail(exc, template.name or "") from exc
        if block in ("subject", "attachment_name"):
            output = output.strip()
            if not output or "\n" in output:
                what = "为空" if not output else "多于一行"
                reason = f"{'主题（subject 块）' if block == 'subject' else '附件名（attachment_name 块）'}{what}；须为一行文字"
                raise TemplateError(Problem(file=template.filename or "", line=None, reason=reason))
        return str(output)

    def _check_one(self, template_name: str, sample: Mapping[str, Any] | None) -> list[Problem]:
        try:
            template = self._load(self._text_env, template_name)
            if template_name.rsplit("/", 1)[-1].startswith("_"):
                return []  # a partial: compiled for syntax, rendered only where it is included
            self._check_blocks(template)
        except TemplateError as exc:
            return [exc.problem]
        if sample is None:
            return []
        problems = []
        for block in BLOCKS:
            if block not in template.blocks:
                continue
            try:
                target = self._load(self._html_env, template_name) if block == "html" else template
                try:
                    with budget():
                        self._render_block(target, block, sample)
                except TemplateLimit as exc:
                    raise self._fail(exc, template_name) from None
            except TemplateError as exc:
                problems.append(exc.problem)
        return problems

    def _template_names(self, procedure: str) -> Iterator[str]:
        folder = self.root / procedure
        for path in sorted(folder.iterdir()):
            if path.suffix == SUFFIX and path.is_file():
                yield f"{procedure}/{path.name[: -len(SUFFIX)]}{SUFFIX}"


def check(root: Path, samples: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Compile and trial-render every template under `root`; return every problem found.

    Each message template is rendered against `samples[procedure]` (a sample context the engine
    builds from the definition), or `samples["*"]` when the procedure has none. A procedure folder
    with neither is reported once, since its templates could not be tried. Partials (`_*.j2`) are
    compiled only. Nothing stops at the first problem.

    Args:
        root: the templates folder.
        samples: sample contexts by procedure id, `"*"` for any procedure.

    Returns:
        The problems, each with the template file, the line when known, and a Chinese reason
        followed by Jinja's English text; empty when every template is fine.
    """
    templates = TemplateSet(root)
    problems: list[Problem] = []
    if not templates.root.is_dir():
        return [Problem(file=str(root), line=None, reason="模板目录不存在")]
    for folder in sorted(p for p in templates.root.iterdir() if p.is_dir()):
        procedure = folder.name
        if procedure.startswith(("_", ".")):
            continue
        sample = samples.get(procedure, samples.get("*"))
        if sample is None:
            reason = f"没有流程 {procedure} 的示例数据，模板未试渲染；请核对目录名是否为流程定义的 id"
            problems.append(Problem(file=str(folder), line=None, reason=reason))
        for template_name in templates._template_names(procedure):
            problems.extend(templates._check_one(template_name, sample))
    return problems
