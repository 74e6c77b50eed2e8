"""Options that several commands take, declared once and handed to each command as one value.

Typer reads a command's options from its signature, one parameter per option, so a group of
options shared by many commands (the Temporal connection's security, the FnF API's endpoint and
AccessKey) would otherwise be written out again in every command. `with_options` gives a
command the group's parameters in place of one parameter of its own, and calls it with the
value the group's `build` makes of them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Command = TypeVar("Command", bound=Callable[..., Any])


@dataclass(frozen=True)
class GroupOption:
    """One option of a group: the parameter's name, its Typer annotation and its default."""

    name: str
    annotation: Any
    default: Any = None


def with_options(
    parameter: str, options: tuple[GroupOption, ...], build: Callable[[dict[str, Any]], Any]
) -> Callable[[Command], Command]:
    """A decorator: the command's parameter `parameter` becomes `options` (in their order, at
    its place) on the command line, and the command gets `build({name: value})` for it. The
    parameters after it become keyword-only, which is how Typer passes them anyway."""

    def decorate(command: Command) -> Command:
        own = inspect.signature(command, eval_str=True)
        if parameter not in own.parameters:
            raise TypeError(f"{command.__name__} has no parameter {parameter!r}")
        shown: list[inspect.Parameter] = []
        after = False
        for given in own.parameters.values():
            if given.name == parameter:
                after = True
                shown += [
                    inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY,
                                      default=option.default, annotation=option.annotation)
                    for option in options
                ]  # fmt: skip
            else:
                shown.append(given.replace(kind=inspect.Parameter.KEYWORD_ONLY) if after else given)

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {option.name: kwargs.pop(option.name) for option in options}
            return command(*args, **{parameter: build(values)}, **kwargs)

        wrapper.__signature__ = own.replace(parameters=shown)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {given.name: given.annotation for given in shown}
        wrapper.__annotations__["return"] = own.return_annotation
        return wrapper  # type: ignore[return-value]

    return decorate
