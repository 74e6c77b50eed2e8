"""One error reporting for every `fnf` command: every problem is one `error: ...` line on
stderr (`say_error`, `fail`), never a traceback. What the user typed or configured and can fix
(a bad option value, an unreadable file, a function registry that cannot be used, an FNF_*
setting with a bad value) exits with 2, as click's usage errors do; a refusal by the API or by
Temporal exits with 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from cli.process import end_on_closed_stdout, exit_now, stdout_reader_gone
from worker.functions.errors import RegistryError

USAGE_EXIT = 2
SETTINGS_PREFIX = "FNF_"


def say_error(message: str) -> None:
    """`error: <message>` on stderr, on one line: the shape of every `fnf` problem."""
    typer.echo(f"error: {_one_line(message)}", err=True)


def fail(message: str, status: int = USAGE_EXIT) -> NoReturn:
    """One problem, then the command ends with `status` (2: the user's mistake)."""
    say_error(message)
    raise typer.Exit(status)


class UserError(Exception):
    """A mistake the user can fix (Temporal unreachable, a port in use): one `error:` line."""


class OneLineUsageGroup(TyperGroup):
    """The `fnf` group: a usage mistake (an unknown option, a missing argument, a value of the
    wrong type) is one `error:` line naming the command's --help, exit 2, instead of click's
    usage block and rich's panel. Overriding `main` covers the console script and typer's
    CliRunner alike."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        stdout_copy = _stdout_pipe_copy()
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except typer.TyperException as error:  # click's exceptions, as typer ships them
            if not standalone_mode:
                raise
            _report_usage(error)
        except (SystemExit, BrokenPipeError) as ended:
            _end_if_stdout_closed(ended, stdout_copy)
            raise
        finally:
            if stdout_copy is not None:
                os.close(stdout_copy)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        """Every command runs here; output still buffered is written before the command counts
        as done, so a write to a closed stdout (`fnf exec list | head -1`) fails inside click,
        which answers it with exit status 1, and `main` turns that into 141, as `fnf run` ends
        (cli/process.py)."""
        result = super().invoke(ctx)
        sys.stdout.flush()
        return result


def _stdout_pipe_copy() -> int | None:
    """A copy of stdout's descriptor when it is a pipe: rich answers a closed pipe by pointing
    stdout at /dev/null, after which only the copy still tells whether the reader left."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = sys.stdout.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            return os.dup(fd)
    return None


def _end_if_stdout_closed(ended: BaseException, stdout_copy: int | None) -> None:
    """Help and usage text written before a command runs (`fnf --help | head -1`) meet a closed
    stdout outside `invoke`: click answers a broken pipe with exit status 1 (its EPIPE handling)
    and rich with SystemExit(1) (Console.on_broken_pipe), both the status of a refusal. When the
    reader is gone, the end is the closed pipe's, 141, as for every other command; a genuine
    status (0 after help, 2 for a usage error) is kept."""
    failed = isinstance(ended, BrokenPipeError) or (
        isinstance(ended, SystemExit) and ended.code == 1
    )
    if failed and stdout_copy is not None and stdout_reader_gone(stdout_copy):
        end_on_closed_stdout()


def _report_usage(error: typer.TyperException) -> NoReturn:
    """A command group called without a command prints its help (click's own behaviour);
    any other usage error is one line."""
    status = int(getattr(error, "exit_code", USAGE_EXIT))
    if type(error).__name__ == "NoArgsIsHelpError":
        show = getattr(error, "show", None)
        if callable(show):
            show()
        sys.exit(status)
    format_message = getattr(error, "format_message", None)
    message = _one_line(str(format_message() if callable(format_message) else error))
    context = getattr(error, "ctx", None)
    path = getattr(context, "command_path", None)
    if isinstance(path, str) and path:
        message += f" (see `{path} --help`)"
    sys.stderr.write(f"error: {message}\n")
    sys.exit(status)


class FnfApp(typer.Typer):
    """typer.Typer whose commands end with `user_error`'s line for configuration errors."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            message = user_error(error)
            if message is None:
                raise
            say_error(message)
            exit_now(USAGE_EXIT)  # a Temporal client may still hold threads (cli/process.py)


def user_error(error: BaseException) -> str | None:
    """The one-line message for a configuration error anywhere in `error` (inside exception
    groups from task groups, or as the cause of another exception), else None."""
    for found in _within(error):
        if isinstance(found, RegistryError | UserError):
            return _one_line(str(found))
        if isinstance(found, ValidationError) and found.title.endswith("Settings"):
            return _settings_message(found)
    return None


def _within(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack += list(current.exceptions)
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]


def _settings_message(error: ValidationError) -> str:
    """`invalid setting FNF_X='abc': <pydantic's reason>` for each bad value."""
    parts = []
    for detail in error.errors(include_url=False):
        field = str(detail["loc"][0]) if detail["loc"] else "?"
        name = field if field.startswith(SETTINGS_PREFIX) else SETTINGS_PREFIX + field.upper()
        value = detail.get("input")
        shown = f"={value!r}" if isinstance(value, str | int | float) else ""
        parts.append(f"invalid setting {name}{shown}: {detail['msg']}")
    return _one_line("; ".join(parts))


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else text
    return f"{lines[0]} {'; '.join(lines[1:])}"
