"""The `award` group imports a command's module only when that command is used.

Importing every command module (and what each imports) cost every `award` process ~150 ms, `--help`
included, while one command runs. So the group knows each command by name, with the module that
defines it and the first paragraph of its help (what `award --help` lists), and imports the module
the first time the command is looked up (`award show` imports `cases` only). The table is written
out in cli.py; tests/test_cli.py checks it against the commands themselves, so that it cannot drift.

Everything that reads the group's `commands` keeps working: names come from the table without
importing anything, and looking a command up (`commands["show"]`, `commands.items()`) imports its
module first. Each command, when it joins the group (eagerly or lazily), is handed to `prepare`
(cli.py: Chinese usage lines, shell completers), as cli.py once did for all of them at import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping

import click

__all__ = ["LazyCommands", "LazyGroup"]


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each module imported on first lookup.

    Attributes:
        table: command name -> (module, first paragraph of its help); a module lists its commands in
            `COMMANDS`.
        extensions: module -> modules that add subcommands to its groups (imported with it).
        prepare: called once with each command as it joins the group.
    """

    def __init__(self, table: Mapping[str, tuple[str, str]], extensions: Mapping[str, tuple[str, ...]],
                 prepare: Callable[[click.Command], None]) -> None:
        self.table = dict(table)
        self.extensions = dict(extensions)
        self.prepare = prepare
        self._loaded: dict[str, click.Command] = {}

    def loaded(self, name: str) -> click.Command | None:
        """The command if its module has been imported, else None (nothing is imported)."""
        return self._loaded.get(name)

    def _load(self, name: str) -> None:
        module = self.table[name][0]
        for extra in self.extensions.get(module, ()):
            importlib.import_module(extra)  # they attach subcommands to the module's groups
        for command in importlib.import_module(module).COMMANDS:
            if command.name is not None and command.name not in self._loaded:
                self[command.name] = command

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded and name in self.table:
            self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command
        self.prepare(command)

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        self.table.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self.table

    def __iter__(self) -> Iterator[str]:
        # The names as they stand now: looking one up while iterating (`items()`) imports its module,
        # which adds that module's other commands to the loaded ones; they must not drop out of the walk.
        return iter([*self._loaded, *(name for name in self.table if name not in self._loaded)])

    def __len__(self) -> int:
        return len(self._loaded.keys() | self.table.keys())


class LazyGroup(click.Group):
    """A group whose command list (`--help`) is read from its `LazyCommands` table, importing nothing."""

    commands: MutableMapping[str, click.Command]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lazy = self.commands
        if not isinstance(lazy, LazyCommands):
            super().format_commands(ctx, formatter)
            return
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = lazy.loaded(name)
            if command is None:  # not imported: the table's help gives the same short help
                command = click.Command(name, help=lazy.table[name][1])
            if not command.hidden:
                listed.append((name, command))
        if listed:  # as click.Group.format_commands
            limit = formatter.width - 6 - max(len(name) for name, _ in listed)
            rows = [(name, command.get_short_help_str(limit)) for name, command in listed]
            with formatter.section(click.core._("Commands")):  # type: ignore[attr-defined]
                formatter.write_dl(rows)
