"""Typed readers for an action's parameters, which always arrive as strings.

Both SDKs send every parameter as Python `str()` of the value: integers as decimal text and
booleans as `True`/`False` (capitalised), JSON documents as JSON text. The readers turn those
strings into typed values and answer a bad one with the FnF error a client can act on:
`MissingRequiredParams` naming an absent parameter, `InvalidArgument` naming a malformed one
and saying what is wrong with it.

A blank value counts as absent. The SDKs omit parameters that were not set, so a blank value
only comes from a caller that set a parameter to "", which FnF treats as not given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, overload

from api.protocol.errors import invalid_argument, missing_required_params
from translator.json_values import json_kind
from translator.names import NameGrammar


def required_str(params: Mapping[str, str], name: str, max_len: int | None = None) -> str:
    value = params.get(name, "")
    if value == "":
        raise missing_required_params(name)
    _check_length(name, value, max_len)
    return value


@overload
def optional_str(
    params: Mapping[str, str], name: str, default: str, max_len: int | None = ...
) -> str: ...
@overload
def optional_str(
    params: Mapping[str, str], name: str, default: None = ..., max_len: int | None = ...
) -> str | None: ...
def optional_str(
    params: Mapping[str, str],
    name: str,
    default: str | None = None,
    max_len: int | None = None,
) -> str | None:
    value = params.get(name, "")
    if value == "":
        return default
    _check_length(name, value, max_len)
    return value


@overload
def optional_int(
    params: Mapping[str, str], name: str, minimum: int, maximum: int, default: int
) -> int: ...
@overload
def optional_int(
    params: Mapping[str, str], name: str, minimum: int, maximum: int, default: None = ...
) -> int | None: ...
def optional_int(
    params: Mapping[str, str],
    name: str,
    minimum: int,
    maximum: int,
    default: int | None = None,
) -> int | None:
    """An integer in [minimum, maximum]; decimal digits with an optional sign only."""
    raw = params.get(name, "")
    if raw == "":
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw):
        raise invalid_argument(f"{name} must be an integer, got '{raw}'.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise invalid_argument(f"{name} must be between {minimum} and {maximum}, got {value}.")
    return value


@overload
def optional_bool(params: Mapping[str, str], name: str, default: bool) -> bool: ...
@overload
def optional_bool(params: Mapping[str, str], name: str, default: None = ...) -> bool | None: ...
def optional_bool(params: Mapping[str, str], name: str, default: bool | None = None) -> bool | None:
    """`true`/`false` in any case: both SDKs send Python's `True` and `False`."""
    raw = params.get(name, "")
    if raw == "":
        return default
    lowered = raw.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise invalid_argument(f"{name} must be true or false, got '{raw}'.")


def json_object_param(params: Mapping[str, str], name: str) -> dict[str, Any] | None:
    """A parameter holding a JSON object as text (Input, Output, Payload), or None if absent."""
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise invalid_argument(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise invalid_argument(f"{name} is nested too deeply.") from None
    if not isinstance(value, dict):
        raise invalid_argument(f"{name} must be a JSON object, got a JSON {json_kind(value)}.")
    return value


def validate_name(name: str, value: str, grammar: NameGrammar) -> str:
    """Check the name held by parameter `name` against its kind's grammar (translator/names.py);
    returns it unchanged, or raises InvalidArgument stating the rule."""
    if not grammar.is_valid(value):
        raise invalid_argument(grammar.explain(value, name))
    return value


def required_name(params: Mapping[str, str], name: str, grammar: NameGrammar) -> str:
    return validate_name(name, required_str(params, name), grammar)


def optional_name(params: Mapping[str, str], name: str, grammar: NameGrammar) -> str | None:
    value = optional_str(params, name)
    return None if value is None else validate_name(name, value, grammar)


def _check_length(name: str, value: str, max_len: int | None) -> None:
    if max_len is not None and len(value) > max_len:
        raise invalid_argument(
            f"{name} is longer than {max_len} characters ({len(value)} characters)."
        )
