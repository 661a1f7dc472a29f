"""Limits on what a template may cost: time, output size, and which files it may read.

Jinja2's sandbox refuses unsafe attributes but not expensive work: nested `range(100000)` loops
run for hours, `'%Y' * 10**7` builds a 20 MB string, `'x' * 10**9` exhausts memory, and a
partial that is a symbolic link mails whatever file it points to. Rendering happens inside a
step's transaction, so a runaway template would hold the write lock for everyone.

`BoundedSandbox` keeps Jinja2's `ImmutableSandboxedEnvironment` and adds, within one `budget()`:

* a time budget (`TIME_BUDGET_SECONDS`), enforced by a real-time timer signal in the main thread
  (a trace function in other threads), and checked at every call, operator, loop step over
  `range` and output chunk;
* an output budget (`MAX_OUTPUT_CHARS` per message), checked as the output is generated;
* amplifiers refused before they run: `*`, `+`, `**` and `%` (`call_binop`), `str.format`,
  numeric widths and long strings passed to calls and filters, `join`/`replace`/`indent`
  results estimated first, `range` capped at `MAX_RANGE`; `namespace` (the one way to
  accumulate across loop iterations) is not available.

`ConfinedLoader` reads templates only from inside their folder: no symbolic link anywhere below
the root, and the resolved file must lie within it.

Written by hand over Jinja2's documented extension points (`call_binop`, `call`, the loader), since
no library bounds Jinja2 rendering; a subprocess with rlimits would cost a fork per message.
"""

from __future__ import annotations

import contextvars
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "TIME_BUDGET_SECONDS",
    "BoundedSandbox",
    "ConfinedLoader",
    "TemplateLimit",
    "budget",
]

TIME_BUDGET_SECONDS = 1.0
"""Time one message may take to render: a letter takes milliseconds, and the step (holding the write
lock) waits on it: a step sending three messages stays well inside the 5 s busy timeout of other writers."""

MAX_OUTPUT_CHARS = 256 * 1024
"""Characters one message (all its blocks) may produce, and the largest string any operation may build."""

MAX_RANGE = 1000
"""Items `range()` may give in a template (a letter lists a few rows, never thousands)."""

MAX_NUMBER = 10_000
"""Largest integer passed to a call or filter (a width, a count): larger ones only amplify."""

MAX_POWER_BITS = 4096
"""Largest integer `**` may build."""

_WIDTH = re.compile(r"%[-+ #0]*(\d{5,}|\*)|\{[^{}]*?:[^{}]*?(\d{5,})")


class TemplateLimit(SecurityError):
    """A template went past a limit (time, output size, an amplifying operation); nothing was sent."""


class _Budget:
    """Deadline and output count of one render.

    The deadline is in CPU time of this process, not on the wall clock: a runaway template burns CPU,
    while a busy machine only makes an honest letter wait for its turn, and must not fail it.
    """

    def __init__(self, seconds: float, chars: int) -> None:
        self.seconds = seconds
        self.deadline = time.process_time() + seconds
        self.chars_left = chars

    def check(self) -> None:
        if time.process_time() > self.deadline:
            raise TemplateLimit(f"模板渲染超过 {self.seconds:g} 秒的时间上限（循环过多或计算过重）")

    def spend(self, chunk: str) -> None:
        self.chars_left -= len(chunk)
        if self.chars_left < 0:
            raise TemplateLimit(f"模板生成的内容超过 {MAX_OUTPUT_CHARS} 个字符的上限")
        self.check()


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("award_template_budget", default=None)


def _current() -> _Budget | None:
    current = _CURRENT.get()
    if current is not None:
        current.check()
    return current


@contextmanager
def budget(seconds: float = TIME_BUDGET_SECONDS, chars: int = MAX_OUTPUT_CHARS) -> Iterator[_Budget]:
    """Render inside this block: past `seconds` or `chars` a `TemplateLimit` is raised.

    In the main thread a CPU-time timer (`ITIMER_PROF`, `SIGPROF`) interrupts even a loop that calls nothing;
    the previous handler and timer are restored afterwards. Nested budgets keep the outer one.
    """
    if _CURRENT.get() is not None:
        yield _CURRENT.get()  # type: ignore[misc]
        return
    current = _Budget(seconds, chars)
    token = _CURRENT.set(current)
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous: Any = None
    old_timer = (0.0, 0.0)
    old_trace = sys.gettrace()
    if not use_alarm:  # no signals outside the main thread: a trace function checks the clock instead
        sys.settrace(_deadline_tracer(current))
    if use_alarm:
        def expire(_signum: int, _frame: Any) -> None:
            left = current.deadline - time.process_time()
            if left > 0.001:  # not this render's timer (a stale one another timer user left): wait for the rest
                signal.setitimer(signal.ITIMER_PROF, left)
                return
            raise TemplateLimit(f"模板渲染超过 {seconds:g} 秒的时间上限（循环过多或计算过重）")

        previous = signal.signal(signal.SIGPROF, expire)
        old_timer = signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield current
    finally:
        if not use_alarm:
            sys.settrace(old_trace)
        if use_alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
            if old_timer[0] > 0:  # someone else's timer was running: give it back what is left
                signal.setitimer(signal.ITIMER_PROF, max(old_timer[0] - seconds, 0.001), old_timer[1])
        _CURRENT.reset(token)


def _deadline_tracer(current: _Budget) -> Any:
    """A trace function that checks the deadline every 1024 lines of the frames it sees."""
    counter = [0]

    def local(_frame: Any, event: str, _arg: Any) -> Any:
        if event == "line":
            counter[0] += 1
            if counter[0] & 1023 == 0 and time.process_time() > current.deadline:
                raise TemplateLimit(f"模板渲染超过 {current.seconds:g} 秒的时间上限（循环过多或计算过重）")
        return local

    def start(_frame: Any, _event: str, _arg: Any) -> Any:
        return local

    return start


def generate(template_block: Iterable[str]) -> str:
    """Join a block's output chunk by chunk, spending the current budget as it grows."""
    current = _CURRENT.get()
    parts = []
    for chunk in template_block:
        if current is not None:
            current.spend(chunk)
        parts.append(chunk)
    return "".join(parts)


# --- what operations may build ----------------------------------------------------------------------


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


def _refuse_big(what: str, size: int) -> None:
    if size > MAX_OUTPUT_CHARS:
        raise TemplateLimit(f"模板中的{what}会生成 {size} 个字符（或元素），超过 {MAX_OUTPUT_CHARS} 的上限")


_WIDTH_FILTERS = frozenset({"center", "indent", "truncate", "wordwrap", "batch", "slice", "format"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_FORMATTERS = frozenset({"format", "format_map", "strftime"})


def _check_arguments(args: Iterable[Any], *, numbers: bool = False) -> None:
    """Refuse strings or lists over the output limit; with `numbers`, widths and counts over MAX_NUMBER."""
    for arg in args:
        if isinstance(arg, bool):
            continue
        if numbers and isinstance(arg, int) and abs(arg) > MAX_NUMBER:
            raise TemplateLimit(f"模板向函数或过滤器传入的数 {arg if abs(arg) < 10**30 else '（极大）'} "
                                f"超过 {MAX_NUMBER} 的上限")
        _refuse_big("参数", _size(arg))


def _check_format(text: str, values: Iterable[Any] = ()) -> None:
    match = _WIDTH.search(text)
    if match and "*" not in match.group(0):
        raise TemplateLimit("模板的格式串中的宽度或精度过大（五位数以上）")
    _check_arguments(values, numbers="*" in text)


class _BoundedRange:
    """`range()` for templates: at most MAX_RANGE items, each step spending the time budget."""

    def __init__(self, *args: int) -> None:
        _check_arguments(args, numbers=True)
        self._range = range(*args)
        if len(self._range) > MAX_RANGE:
            raise TemplateLimit(f"模板中的 range() 有 {len(self._range)} 项，超过 {MAX_RANGE} 项的上限")

    def __len__(self) -> int:
        return len(self._range)

    def __iter__(self) -> Iterator[int]:
        for item in self._range:
            _current()
            yield item

    def __getitem__(self, index: int) -> int:
        return self._range[index]


def _estimated(name: str, value: Any, args: tuple[Any, ...]) -> int:
    """What a filter known to multiply its input would produce, computed before running it."""
    if name == "join" and isinstance(value, list | tuple | str):
        sep = str(args[0]) if args and isinstance(args[0], str) else ""
        return sum(len(str(x)) for x in value) + len(sep) * max(len(value) - 1, 0)
    if name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        return len(value) + (value.count(old) if old else len(value) + 1) * max(len(new) - len(old), 0)
    if name == "indent" and isinstance(value, str):
        width = args[0] if args else 4
        pad = len(width) if isinstance(width, str) else int(width)
        return len(value) + (value.count("\n") + 1) * pad
    if name == "format" and isinstance(value, str):
        _check_format(value, args)
    return 0


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(function, "jinja_pass_arg", None) is not None

    def bounded(*args: Any, **kwargs: Any) -> Any:
        current = _current()
        first = 1 if passes else 0  # the context, eval context or environment Jinja passes first
        if len(args) > first:
            value = args[first]
            if name == "join" and not isinstance(value, list | tuple | str):
                value = list(value)  # materialised once (a generator from map), measured, then joined
                _refuse_big("join 的元素", len(value))
                args = (*args[:first], value, *args[first + 1:])
            rest = args[first + 1:]
            _check_arguments(rest, numbers=name in _WIDTH_FILTERS)
            _check_arguments(kwargs.values(), numbers=name in _WIDTH_FILTERS)
            _refuse_big(f"过滤器 {name} 的结果", _estimated(name, value, tuple(rest)))
        result = function(*args, **kwargs)
        _refuse_big(f"过滤器 {name} 的结果", _size(result))
        if current is not None:
            current.check()
        return result

    for attr in ("jinja_pass_arg",):
        if hasattr(function, attr):
            setattr(bounded, attr, getattr(function, attr))
    bounded.__name__ = getattr(function, "__name__", name)
    return bounded


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with limits on time, output size and amplifying operations."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = _BoundedRange
        self.globals.pop("namespace", None)  # the only way to accumulate across loop iterations
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, fn) for name, fn in self.filters.items()}

    def bound_filters(self, extra: dict[str, Callable[..., Any]]) -> None:
        """Add filters of our own, under the same limits."""
        self.filters.update({name: _bounded_filter(name, fn) for name, fn in extra.items()})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _current()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                    _refuse_big("乘法", len(seq) * max(times, 0))
        elif operator == "+":
            _refuse_big("拼接", _size(left) + _size(right))
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            if right * max(abs(left).bit_length(), 1) > MAX_POWER_BITS:
                raise TemplateLimit(f"模板中的乘方结果过大（超过 {MAX_POWER_BITS} 位）")
        elif operator == "%" and isinstance(left, str):
            _check_format(left, right if isinstance(right, tuple) else (right,))
        result = self.binop_table[operator](left, right)
        _refuse_big("运算结果", _size(result))
        return result

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        current = _current()
        target = getattr(obj, "__wrapped__", obj)
        name = getattr(target, "__name__", "")
        _check_arguments(args, numbers=name in _WIDTH_METHODS)
        _check_arguments(kwargs.values(), numbers=name in _WIDTH_METHODS)
        if name in _FORMATTERS:
            owner = getattr(target, "__self__", None)
            for text in (owner, *args):
                if isinstance(text, str):
                    _check_format(text)
        result = super().call(context, obj, *args, **kwargs)
        _refuse_big("函数结果", _size(result))
        if current is not None:
            current.check()
        return result


class ConfinedLoader(jinja2.FileSystemLoader):
    """Templates from inside one folder only: no symbolic link below it, no path leading out of it.

    `FileSystemLoader` already refuses `..`; it follows symbolic links, so a partial linked to
    `/etc/passwd` would be mailed. This loader resolves the file and refuses any link on the way.
    """

    def __init__(self, root: str | Sequence[str], *, encoding: str = "utf-8",
                 check_source: Callable[[str, str], None] | None = None) -> None:
        super().__init__(root, encoding=encoding, followlinks=False)
        self.roots = [os.path.abspath(r) for r in ([root] if isinstance(root, str) else root)]
        self.check_source = check_source

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        for root in self.roots:  # the same order FileSystemLoader searches in
            path = root
            for piece in pieces:
                path = os.path.join(path, piece)
                if os.path.islink(path):
                    raise SymlinkedTemplate(path)
            if not os.path.lexists(path):
                continue
            if not os.path.realpath(path).startswith(os.path.realpath(root) + os.sep):
                raise SymlinkedTemplate(path)
            if not os.path.isfile(path):
                raise jinja2.TemplateNotFound(template)
            break
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:  # the file and line, never a traceback
            from ..errors import Problem
            from .templates import TemplateError

            with open(path, "rb") as handle:
                raw = handle.read(exc.start + 1)
            raise TemplateError(Problem(file=path, line=raw[: exc.start].count(b"\n") + 1, reason=(
                f"模板文件不是有效的 UTF-8 编码（第 {exc.start + 1} 个字节）：请用 UTF-8 另存"))) from None
        if self.check_source is not None:
            self.check_source(source, filename)
        return source, filename, uptodate


class SymlinkedTemplate(jinja2.TemplateNotFound):
    """A template path that is (or passes through) a symbolic link, or leads out of the folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(path, message=f"模板 {path} 是符号链接或位于模板目录之外；模板只能是模板目录中的普通文件")
