"""JSON object options, read one way by every `fnf` command: `fnf run --input`, `fnf exec
start --input`, `fnf schedule create --payload`, `fnf test-step --input/--local/--result`,
`fnf task succeed --output` and `fnf call`'s PARAMETERS.

A value is JSON text, `@FILE` (the file's text) or `@-` (standard input, as curl's `-d @-`
reads it), each at most 16 Mi characters, then checked by the one JSON value check
(translator/json_values.py) and required to be an object. A problem is one `error:` line and
exit 2 (`cli.errors.fail`) before anything is sent or started.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass
from typing import Any

from cli.errors import fail
from translator.json_values import JsonValueError, parse_json_value
from translator.text_files import MAX_CHARACTERS, read_text

STDIN = "@-"
TOO_LARGE = "larger than 16 Mi characters"

_stdin_read_by: list[str] = []
"""The option that read standard input in this process: a second one would get nothing."""


@dataclass(frozen=True)
class JsonObject:
    value: dict[str, Any]
    text: str
    """As given (what FnF receives as an `Input` or `Payload` string)."""


def read_json_object(given: str, option: str) -> JsonObject:
    """`given` (JSON, `@FILE` or `@-`) as a checked JSON object; `option` names it in problems."""
    text, source = _text_of(given, option)
    try:
        value = parse_json_value(text, source)
    except JsonValueError as error:
        fail(str(error))
    if not isinstance(value, dict):
        fail(f"{source} must be a JSON object")
    return JsonObject(value, text)


def _text_of(given: str, option: str) -> tuple[str, str]:
    """The JSON text and how problems name where it came from."""
    if given == STDIN:
        return _read_stdin(option), f"{option} (stdin)"
    if not given.startswith("@"):
        return given, option
    path = given[1:]
    try:
        return read_text(path), path
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        fail(f"cannot read {path}: {reason}")


def _read_stdin(option: str) -> str:
    if _stdin_read_by:
        fail(f"{option} {STDIN}: standard input was already read for {_stdin_read_by[0]}")
    _stdin_read_by.append(option)
    if sys.stdin is None:
        fail(f"{option} {STDIN}: there is no standard input")
    try:
        text = _stdin_text()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        fail(f"cannot read standard input for {option}: {reason}")
    return text


def _stdin_text() -> str:
    """Standard input as UTF-8, as files are read, whatever the locale; a bounded read, so
    an endless producer (`yes |`) ends in a problem line, not in memory exhaustion."""
    stream = sys.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # replaced by a text stream (a test runner): read it as it is
        text = str(stream.read(MAX_CHARACTERS + 1))
    else:
        data: bytes = buffer.read(4 * MAX_CHARACTERS + 1)  # 16 Mi characters of any width
        if len(data) > 4 * MAX_CHARACTERS:
            raise OSError(errno.EFBIG, TOO_LARGE)
        text = data.decode("utf-8")
    if len(text) > MAX_CHARACTERS:
        raise OSError(errno.EFBIG, TOO_LARGE)
    return text
