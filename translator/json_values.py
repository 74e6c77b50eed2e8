"""The one check of a JSON value that enters an execution, at every door: StartExecution's
Input, a schedule's Payload, every task's result (functions, actions, MNS answers), a callback's
Output (ReportTaskSucceeded; its Error and Cause with ReportTaskFailed, as text), a sub-flow's
input, an MNS message body (as text), `fnf run --input` and `fnf task succeed --output`.

A value passes when it is what any JSON reader takes back unchanged (RFC 8259):

* every string and key is valid Unicode: a lone UTF-16 surrogate, which JSON's `\\ud800`
  escape can carry, is not a character (RFC 8259 section 8.2) and cannot be written as UTF-8;
* every number is finite: NaN and Infinity are not JSON (RFC 8259 section 6);
* an integer has at most MAX_INTEGER_DIGITS digits: RFC 8259 section 6 lets implementations
  limit the range of numbers, and Python refuses to read integers of more than 4,300 digits;
* objects and arrays nest at most MAX_JSON_DEPTH deep: JSON has no depth limit (RFC 8259
  section 9 lets implementations set one), and deeper documents exhaust Python's recursion in
  the interpreter's mappings and the payload codecs.

A JSON text read at a door (`parse_json_value`) is also at most MAX_JSON_BYTES of UTF-8, FnF's
request limit ("Maximum request size, 1024 KiB", its limits page), which the API applies to
whole requests: a command-line input over it used to reach Temporal and fail there with a
traceback ("Blob data size exceeds limit"). Values that are not read from text (a function's
result, a sub-flow's input) are held to the per-event quota where they enter instead.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

MAX_JSON_DEPTH: Final = 64
"""How deep a JSON value may nest (objects and arrays)."""

MAX_INTEGER_DIGITS: Final = 1000
"""How many digits an integer may have."""

MAX_JSON_BYTES: Final = 1024 * 1024
"""How large a JSON text read at a door may be (UTF-8 bytes): FnF's request limit."""

_INTEGER_BOUND: Final[int] = 10**MAX_INTEGER_DIGITS


class JsonValueError(ValueError):
    """The value cannot enter an execution; the message names `what` and the rule."""


def check_text(value: str, what: str) -> str:
    """Text that is valid Unicode (UTF-8 encodable): a lone surrogate is not a character."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonValueError(
            f"{what} is not valid Unicode text (it holds a lone surrogate)."
        ) from None
    return value


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def repaired_text(value: str) -> str:
    """`value` with each lone surrogate replaced by U+FFFD, for text that must be recorded
    rather than refused (a failed task's error name and cause: the task has failed whatever its
    error says). Go's encoding/json reads a lone surrogate escape the same way."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", value)
    return value


def check_json_value(value: Any, what: str) -> None:
    """Depth at most MAX_JSON_DEPTH, every string and key valid Unicode, numbers finite and
    integers at most MAX_INTEGER_DIGITS long.

    Iterative, so the check itself cannot exhaust the stack on a deep document.
    """
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise JsonValueError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels.")
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(str(key), what)
                    pending.append((child, depth + 1))
            else:
                pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            check_text(item, what)
        elif isinstance(item, float) and not math.isfinite(item):
            raise JsonValueError(f"{what} holds a number JSON cannot express ({item}).")
        elif isinstance(item, int) and not isinstance(item, bool) and _too_long(item):
            raise JsonValueError(
                f"{what} holds an integer of more than {MAX_INTEGER_DIGITS} digits."
            )


def parse_json_value(text: str, what: str) -> Any:
    """`text` of at most MAX_JSON_BYTES read as JSON and checked (check_json_value);
    JsonValueError says why not."""
    check_text(text, what)
    if len(text) * 4 > MAX_JSON_BYTES and (size := len(text.encode())) > MAX_JSON_BYTES:
        raise JsonValueError(
            f"{what} is {size} bytes, over the {MAX_JSON_BYTES}-byte (1024 KiB) limit of a request."
        )
    try:
        value = json.loads(text, parse_constant=_not_json, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise JsonValueError(
            f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise JsonValueError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels.") from None
    except _Refused as refused:
        raise JsonValueError(f"{what} {refused}.") from None
    check_json_value(value, what)
    return value


class _Refused(Exception):
    pass


def _not_json(literal: str) -> Any:
    raise _Refused(f"holds a number JSON cannot express ({literal})")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"holds an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _too_long(number: int) -> bool:
    """Whether `number` has more than MAX_INTEGER_DIGITS digits (without converting it to
    text, which Python refuses beyond 4,300 digits)."""
    return bool(abs(number) >= _INTEGER_BOUND)


def json_kind(value: object) -> str:
    """The JSON type name of a parsed value, for messages ("a JSON array")."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


SHOWN_JSON_CHARS: Final = 120
"""Longest JSON text a message quotes: enough to recognise a value, short enough for a cause."""


def json_text(value: object, limit: int = SHOWN_JSON_CHARS) -> str:
    """`value` as a user wrote or read it, in JSON (`true`, `null`, `"text"`, `{"a": 1}`), for
    every message built from a value of an execution. Python's own spelling (`True`, `None`,
    `'text'`) is not what FnF users write (RFC 8259 section 3 names the literals). Long texts
    end in "..." after `limit` characters; a value JSON cannot spell (NaN, an integer beyond
    MAX_INTEGER_DIGITS digits) is named by its kind instead of raising."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return f"a {json_kind(value)} that JSON cannot represent"
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."
