"""Commands whose modules load when the command runs, not when `fnf` starts.

Importing every command's module cost each `fnf` start about a second of CPU: `fnf flow list`
loaded the FastAPI app, the Temporal worker and the diagram code it never uses. A command is
named here by its module and attribute (`LazyCommand`); the group loads that module only when
the command is looked up to run, or to print its own help. `fnf --help` lists each command from
its summary, written beside its name, so listing loads nothing; tests/cli/test_lazy_commands.py
checks that every summary is still the first paragraph of the command's own help (the text
typer shows in the listing, typer's `rich_utils._make_command_help`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand

from cli.errors import OneLineUsageGroup


@dataclass(frozen=True)
class LazyCommand:
    """A command or command group of `fnf`: `module.attribute` is a typer command function or a
    `typer.Typer` of subcommands; `summary` is the first paragraph of its help."""

    module: str
    attribute: str
    summary: str

    def load(self, name: str) -> Any:
        """The (typer-vendored) click command typer builds for the function or sub-app, as
        `app.command(name)` or `app.add_typer(sub, name=name)` would have built it."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        if isinstance(target, typer.Typer):
            group = typer.main.get_group(target)
            group.name = name
            return group
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        return typer.main.get_command(single)


class _Unloaded(TyperCommand):
    """Stands for a command not loaded yet: its name and summary, enough to list it."""


class LazyCommandGroup(OneLineUsageGroup):
    """The `fnf` group over `COMMANDS` (set by `with_commands`): a command's module is imported
    when the command is resolved, never while the group's help lists the commands."""

    lazy: Mapping[str, LazyCommand] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False
        for name, command in self.lazy.items():
            self.commands.setdefault(name, _Unloaded(name, help=command.summary))

    @classmethod
    def with_commands(cls, commands: Mapping[str, LazyCommand]) -> type[LazyCommandGroup]:
        """A group class over `commands` (typer instantiates the class itself)."""
        return type(cls.__name__, (cls,), {"lazy": dict(commands)})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Unloaded) and not self._listing:
            command = self.lazy[cmd_name].load(cmd_name)
            self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The listing reads each command's summary; the commands stay unloaded."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
