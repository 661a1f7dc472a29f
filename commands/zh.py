"""One language at the terminal: click's own messages, usage lines and metavars in Chinese.

click marks its messages for gettext (`_("Missing option")`), but ships no Chinese catalogue and looks
its catalogue up through the process-wide default domain, which depends on the user's locale. So the
catalogue lives here as a dict and `install()` points the `_`/`ngettext` names of click's modules at
it, independent of the locale; an unknown message passes through unchanged. `install()` also gives
every command (those other modules add included) a context whose help formatter writes Chinese
usage words and metavars. Our own help texts are written in Chinese in the commands themselves;
tests/test_cli_chinese.py checks that every command, option and argument has them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import click

__all__ = ["ARGUMENTS", "CLICK_MESSAGES", "install", "walk"]

CLICK_MESSAGES: dict[str, str] = {
    "Aborted!": "已中止",
    "deprecated": "已弃用",
    "required": "必填",
    "Missing command.": "缺少命令。",
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Value must be an iterable.": "值必须是一组值。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不询问，直接执行。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Show the version and exit.": "显示版本号后退出。",
    "Show this message and exit.": "显示本帮助后退出。",
    "Did you mean {possibility}?": "您是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（您是否要输入以下之一：{possibilities}？）",
    "Missing argument": "缺少参数",
    "unknown error": "未知错误",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Missing option": "缺少选项",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename}：{message}",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用“{command} {option}”查看帮助。",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name}。",
    "No such command {name!r}.": "没有命令 {name}。",
    "Invalid value: {message}": "值无效：{message}",
    "Missing {param_type}": "缺少{param_type}",
    "Usage:": "用法：",
    "Invalid start character for option ({option})": "选项的起始字符无效（{option}）",
    "Option {name!r} does not take a value.": "选项 {name} 不接受值。",
    "Option {name!r} requires an argument.": "选项 {name} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 需要 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not {choice}.": "“{value}”不是可选值 {choice}。",
    "{value!r} is not one of {choices}.": "“{value}”不是可选值之一：{choices}。",
    "{value!r} does not match the format {format}.": "“{value}”不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "“{value}”不符合以下任一格式：{formats}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "“{value}”不是是/否值；可用：{states}",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的数字。",
    "{value!r} is not a valid UUID.": "“{value}”不是有效的 UUID。",
    "{name} {filename!r} is a file.": "{name} {filename} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename} 是目录。",
    "{name} {filename!r} is not readable.": "{name} {filename} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename} 不可执行。",
    "{name} {filename!r} does not exist.": "{name} {filename} 不存在。",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下的版本不支持命令补全。",
    "Couldn't detect Bash version, shell completion is not supported.": "无法检测 Bash 版本，不支持命令补全。",
}

#: Metavars click derives from types, in Chinese.
METAVARS: dict[str, str] = {
    "TEXT": "文本", "INTEGER": "整数", "FLOAT": "数字", "PATH": "路径", "FILE": "文件", "FILENAME": "文件",
    "DIRECTORY": "目录", "BOOLEAN": "是否", "UUID": "UUID", "DIR": "目录",
    "[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]...", "[ARGS]...": "[参数]...",
}

#: Argument names -> the Chinese metavar shown in usage lines (an argument may also set `metavar=`).
ARGUMENTS: dict[str, str] = {
    "case_ref": "案件", "args": "案件 操作", "day": "日期", "start": "起始", "period": "期限",
    "timer_id": "定时编号", "objection_id": "异议编号", "outbox_id": "通知编号", "name": "姓名",
    "procedure": "流程", "year": "年份", "round_id": "轮次", "party_ref": "申报主体", "definition_id": "流程",
    "ref": "编号", "file": "文件", "path": "路径", "folder": "目录", "shell": "终端类型", "spec_id": "流程",
    "code": "代码", "item": "项目", "row_id": "编号",
}

_TOKEN = re.compile(r"\b(TEXT|INTEGER|FLOAT|PATH|FILENAME|FILE|DIRECTORY|BOOLEAN|DIR)\b")


def _gettext(message: str) -> str:
    return CLICK_MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def _words(text: str) -> str:
    for english, chinese in (("COMMAND [ARGS]...", "命令 [参数]..."), ("[OPTIONS]", "[选项]"),
                             ("[ARGS]...", "[参数]...")):
        text = text.replace(english, chinese)
    return _TOKEN.sub(lambda m: METAVARS[m.group(1)], text)


_NO_LINE_START = set("。，、；：）”’」』！？》")


def _join(lines: list[str]) -> str:
    """Lines of one paragraph as one: no space between two Chinese characters."""
    out = ""
    for ln in lines:
        if out and not (cells(out[-1]) == 2 or cells(ln[:1]) == 2):
            out += " "
        out += ln
    return out


def cells(text: str) -> int:
    """Terminal columns of `text`: Chinese characters take two (click counts one)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Wrap by terminal columns: Chinese may break between any two characters, English between words."""
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        line, used = "", 0
        for token in re.findall(r"[\x21-\x7e]+|\s+|.", raw):
            size = cells(token)
            if token.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            if used + size > width and line.strip() and token not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return lines


class ChineseHelpFormatter(click.HelpFormatter):
    """click's formatter, with Chinese usage words, metavars and headings, aligned and wrapped by columns."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, _words(args), "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        out = []
        for para in paragraphs:
            body = [ln.strip() for ln in para.splitlines()]
            if body and body[0] == "\b":
                out.append("\n".join(indent + ln for ln in para.splitlines()[1:]))
            else:
                out.append("\n".join(indent + ln for ln in wrap(_join(body), width)))
        self.write("\n\n".join(out) + "\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_words(a), b) for a, b in rows]
        first_col = min(max((cells(a) for a, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cells(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, max(self.width - first_col - self.current_indent - 2, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], click.Command]]:
    """Every command under `command`, with its path (`("case", "correct")`)."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


def install(root: click.Command, *, subcommands: bool = True) -> None:
    """Chinese for click's messages, usage lines and metavars, for `root` and every command under it
    (only for `root` itself without `subcommands`: the `award` group prepares each command as it joins)."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                   click.types):
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
    for _path, command in walk(root) if subcommands else [((), root)]:
        command.context_class = ChineseContext
        command.options_metavar = "[选项]"
        if isinstance(command, click.Group):
            command.subcommand_metavar = "命令 [参数]..."
        for param in command.params:
            if isinstance(param, click.Argument) and param.metavar is None and param.name in ARGUMENTS:
                param.metavar = ARGUMENTS[param.name] + ("..." if param.nargs == -1 else "")
