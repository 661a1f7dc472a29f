"""One language at the terminal: every command, option and argument explains itself in Chinese.

This test is the mechanism other commands pick up: a new command or option whose help is English (or
missing) fails here, naming it. Write its help in Chinese in the decorator or docstring; an argument
gets a Chinese `metavar=` (or an entry in commands/zh.py ARGUMENTS).
"""

from __future__ import annotations

import re

import click
import pytest
from award.cli import cli
from award.commands.zh import walk

CJK = re.compile(r"[\u4e00-\u9fff]")
# English that help output may keep: option names, ids typed as is, program and file names, formats.
ALLOWED = re.compile(r"`[^`]*`|\baward(?: [a-z][a-z-]*)+|--[a-z][a-z-]*|-[a-z]\b|\baward\b|[A-Za-z_]+[-_./][\w./-]*|\b[A-Z]{2,}\w*\b"
                     r"|\b(?:json|cron|crontab|bash|zsh|fish|SQLite|SQLAlchemy|URL|PostgreSQL|README|Graphviz|dot"
                     r"|Mermaid|svg|SVG|pdf|csv|xlsx|docx|toml|yaml|UUID|less|stateDiagram|v2|id|ids)\b")


def _missing() -> list[str]:
    out = []
    for path, command in walk(cli):
        name = " ".join(("award", *path))
        if not CJK.search(command.help or ""):
            out.append(f"{name}: command help is not Chinese")
        for param in command.params:
            if isinstance(param, click.Option) and not CJK.search(param.help or ""):
                out.append(f"{name} {param.opts[0]}: option help is not Chinese")
            if isinstance(param, click.Argument) and not CJK.search(param.human_readable_name):
                out.append(f"{name} {param.name}: argument has no Chinese metavar")
    return out


def test_every_command_option_and_argument_has_chinese_help():
    assert _missing() == []


COMMAND_NAMES = {name for path, _ in walk(cli) for name in path}


def _english_words(text: str) -> list[str]:
    """English words outside what is typed as is: example command lines, command names, option names, ids."""
    kept = []
    for line in text.splitlines():
        bare = line.strip().removeprefix("示例：").strip()
        if bare.startswith(("award ", "$ ", "*/")) or "：award " in bare or ": award " in bare:
            continue  # an example command line is typed as is
        words = bare.split()
        if words and words[0] in COMMAND_NAMES:
            bare = bare[len(words[0]):]
        kept.append(bare)
    return re.findall(r"[A-Za-z]{3,}", ALLOWED.sub(" ", "\n".join(kept)))


@pytest.mark.parametrize("argv", [["--help"], ["case", "correct", "--help"], ["advance", "--help"],
                                  ["tick", "--help"], ["timers", "--help"]])
def test_help_pages_are_chinese_including_clicks_own_words(award, argv):
    result = award(*argv, who=None)
    assert result.code == 0, result
    assert "用法：" in result.out and "选项" in result.out
    assert _english_words(result.out) == []


def test_clicks_usage_errors_are_chinese(award):
    result = award("show", who=None)
    assert result.code == 2
    assert "用法：award show [选项] 案件" in result.err and "错误：缺少参数" in result.err
    assert _english_words(result.err) == []
    wrong = award("cases", "--nonsense", who=None)
    assert wrong.code == 2 and "没有选项 --nonsense" in wrong.err
    typo = award("shwo", who=None)
    assert typo.code == 2 and "没有命令 shwo" in typo.err and "您是否要输入 'show'" in typo.err
