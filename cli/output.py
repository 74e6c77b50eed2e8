"""How the API commands print: rich tables for people, the API's JSON for scripts (`--json`),
and one `error:` line on stderr for anything that went wrong (never a traceback)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from cli import errors
from cli.api_client import ApiClient, ApiError
from cli.json_input import read_json_object
from cli.process import CommandConsole
from translator.text_files import read_text

USAGE_STATUS = errors.USAGE_EXIT
"""What the user typed cannot be sent (bad JSON, an unreadable file): as click's usage errors."""
API_ERROR_STATUS = 1
"""The API refused the call, or could not be reached."""


def fail(message: str, status: int = USAGE_STATUS) -> NoReturn:
    """One line on stderr (an API message's own line breaks and runs of spaces folded), then
    the exit status: `cli.errors.fail`."""
    errors.fail(" ".join(message.split()), status)


def call(client: ApiClient, action: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The action's answer, or the FnF error as one line (`error: Code: message`, exit 1)."""
    try:
        return client.call(action, parameters)
    except ApiError as error:
        fail(f"{error.code}: {error.message}", API_ERROR_STATUS)


def call_pages(
    client: ApiClient,
    action: str,
    parameters: dict[str, Any],
    key: str,
    page_limit: int,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every item under `key` of a List action's pages, following NextToken (or the first
    `limit` items); each page asks for at most `page_limit`, the action's own maximum."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while limit is None or len(found) < limit:
        size = page_limit if limit is None else min(page_limit, limit - len(found))
        answer = call(client, action, {**parameters, "Limit": size, "NextToken": token})
        found += answer.get(key, [])
        token = answer.get("NextToken") or None
        if token is None:
            break
    return found


def print_json(data: Any) -> None:
    """The answer as JSON, without the RequestId (scripts compare answers)."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "RequestId"}
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_record(record: dict[str, Any], fields: Sequence[str], *, title: str = "") -> None:
    """A two-column table of `fields` (those present), whole values, wrapped, never cut."""
    table = Table(title=title or None, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for field in fields:
        if field in record:
            table.add_row(field, _cell(record[field]))
    CommandConsole().print(table)


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, empty: str) -> None:
    """One row per item; `empty` when there are none."""
    console = CommandConsole()
    if not rows:
        console.print(empty, style="dim", highlight=False)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(column, "")) for column in columns))
    console.print(table)


def print_text(text: str, *, style: str = "") -> None:
    CommandConsole().print(text, style=style or None, markup=False, highlight=False, soft_wrap=True)


def _cell(value: Any) -> Text:
    """A value as plain text: a Description, Input, Output or Cause is shown as written, never
    read as rich markup (`[bold]` in a flow's description would otherwise vanish)."""
    if isinstance(value, str):
        return Text(value)
    return Text(json.dumps(value, ensure_ascii=False))


def json_object_text(text: str | None, option: str) -> str | None:
    """An option's JSON object (`{...}`, `@file.json` or `@-`) as text, checked by
    `read_json_object` so a typo is a one-line usage error, not a request."""
    if text is None:
        return None
    return read_json_object(text, option).text


def read_text_file(path: Path) -> str:
    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        fail(f"cannot read {path}: {reason}")
