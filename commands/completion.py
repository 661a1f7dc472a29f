"""Shell completion: `award completion bash|zsh|fish`, completing case numbers, rounds, triggers, states, tracks.

click generates the shell scripts; the values come from the office's own database and definitions,
read through the same settings as any command (`--db`, `AWARD_HOME`, ...). A completion never fails
noisily: without a database it offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .context import Settings

Completer = Callable[[click.Context, click.Parameter, str], list[Any]]


def _settings(ctx: click.Context) -> Settings:
    root = ctx.find_root()
    p = root.params
    if isinstance(root.obj, Settings):
        return root.obj
    settings = Settings(db=p.get("db"), definitions=p.get("definitions"), now=p.get("now"), as_name=p.get("as_name"),
                        deployment=p.get("deployment"), deliver=False, home_dir=p.get("home_dir"))
    root.obj = settings
    return settings


def _safely(fn: Callable[[click.Context, str], list[tuple[str, str]]]) -> Completer:
    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        try:
            pairs = fn(ctx, incomplete)
        except Exception:  # noqa: BLE001 - a completion offers nothing rather than a traceback in the shell
            return []
        finally:  # the connections it opened (in-process callers, such as tests, outlive the completion)
            if isinstance(ctx.find_root().obj, Settings):
                ctx.find_root().obj.close()
        return [CompletionItem(value, help=label) for value, label in pairs if value.startswith(incomplete)]

    return complete


def _cases(ctx: click.Context, incomplete: str) -> list[tuple[str, str]]:
    from award.workflow.finder import CaseFilter, find_cases

    return [(r["ref"], f"{r['party']} · {r['state_label']}") for r in
            find_cases(_settings(ctx).engine(), CaseFilter(open_only=not incomplete))][:200]


def _rounds(ctx: click.Context, _incomplete: str) -> list[tuple[str, str]]:
    return [(r.id, r.title) for r in _settings(ctx).engine().office.round_list()]


def _case_of(ctx: click.Context) -> str | None:
    for key in ("case_ref", "args"):
        value = ctx.params.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, (tuple, list)) and value:
            return str(value[0])
    return None


def _triggers(ctx: click.Context, _incomplete: str) -> list[tuple[str, str]]:
    ref = _case_of(ctx)
    if ref is None:
        return _cases(ctx, _incomplete)
    view = _settings(ctx).engine().show(ref)
    return [(t.trigger, f"{t.label} → {t.dest_label}") for t in view.triggers if not t.timer_only]


def _args(ctx: click.Context, incomplete: str) -> list[tuple[str, str]]:
    """`advance CASE TRIGGER`: a case first, then the triggers available for it."""
    if ctx.params.get("round_id"):
        return _states_or_triggers(ctx, incomplete)
    return _triggers(ctx, incomplete) if ctx.params.get("args") else _cases(ctx, incomplete)


def _states_or_triggers(ctx: click.Context, _incomplete: str) -> list[tuple[str, str]]:
    engine = _settings(ctx).engine()
    round_id = str(ctx.params.get("round_id") or "")
    spec = engine.catalog.get(engine.office.round_show(round_id).procedure)
    return [(t.trigger, t.label) for t in spec.transitions if t.roles != ["system"]]


def _states(ctx: click.Context, _incomplete: str) -> list[tuple[str, str]]:
    engine = _settings(ctx).engine()
    specs = engine.catalog.specs()
    ref = _case_of(ctx)
    if ref:
        specs = [engine.catalog.get(engine.show(ref).procedure)]
    return [(st.name, st.label) for spec in specs for st in spec.states]


def _tracks(ctx: click.Context, _incomplete: str) -> list[tuple[str, str]]:
    return [(k, t.label) for spec in _settings(ctx).engine().catalog.specs() for k, t in spec.tracks.items()]


COMPLETERS: dict[str, Completer] = {
    "case_ref": _safely(_cases), "args": _safely(_args), "round_id": _safely(_rounds), "state": _safely(_states),
    "to": _safely(_states), "track": _safely(_tracks),
}


def install(root: click.Command) -> None:
    """Give every parameter named like a case, round, state or track its completer (other modules' too)."""
    from .zh import walk

    for _path, command in walk(root):
        for param in command.params:
            if param.name in COMPLETERS and getattr(param, "_custom_shell_complete", None) is None:
                param._custom_shell_complete = COMPLETERS[param.name]


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]), metavar="终端类型")
def completion(shell: str) -> None:
    """输出命令补全脚本（bash、zsh 或 fish），可补全案件编号、轮次、当前可办理的操作、状态和赛道。

    \b
    示例（写入终端的启动文件以启用）：
      bash：echo 'eval "$(award completion bash)"' >> ~/.bashrc
      zsh： echo 'eval "$(award completion zsh)"' >> ~/.zshrc
      fish：award completion fish > ~/.config/fish/completions/award.fish
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(root, {}, "award", "_AWARD_COMPLETE").source())


COMMANDS: list[click.Command] = [completion]
