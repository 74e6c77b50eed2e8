"""The parameter types of FnF's actions, each a pydantic type that reads both wire forms.

The RPC form (`/?Action=`) sends every parameter as text: the SDKs send `str()` of the value,
so integers arrive as decimal text, booleans as `True`/`False` and JSON documents as JSON text.
The JSON form (`/actions/<Action>`) may send the same text, or a JSON number, boolean, object
or array where that is the natural type. Each type below accepts both and refuses anything else
with a message that names the parameter and the rule (the message becomes FnF's
`InvalidArgument` in api/requests/errors.py).

Rules and their sources:

* names: translator/names.py, the one definition of every kind of name;
* Limit ranges, WaitTimeSeconds 0-60, Error 1-128 and Cause 1-4,096 characters: the parameter
  docs of each action (Alibaba's fnf 2019-03-15 API reference);
* JSON texts (Input, Output, Payload, Environment, RoutingConfigurations) must parse, must be
  the documented kind (an object for Input) and pass translator/json_values.py, the one
  check of every value that enters an execution (valid Unicode, finite numbers, integers of
  bounded length, bounded depth).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BeforeValidator, ValidationInfo, WithJsonSchema

from translator.json_values import (
    MAX_JSON_DEPTH,
    check_json_value,
    check_text,
    json_kind,
    parse_json_value,
)
from translator.model.steps import parse_rfc3339
from translator.names import NameGrammar

__all__ = ["MAX_JSON_DEPTH", "check_json_value", "check_text", "json_kind"]

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def _as_text(value: Any, info: ValidationInfo) -> str:
    param = str(info.field_name)
    if isinstance(value, str):
        return check_text(value, param)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{param} must be a string, got a JSON {json_kind(value)}.")
    return str(value)


AsText = BeforeValidator(_as_text)
"""A string parameter (a JSON number is taken as its text)."""


def _name_validator(grammar: NameGrammar) -> Any:
    def check(value: Any, info: ValidationInfo) -> str:
        param = str(info.field_name)
        if not isinstance(value, str):
            raise ValueError(f"{param} must be a string, got a JSON {json_kind(value)}.")
        if not grammar.is_valid(value):
            raise ValueError(grammar.explain(check_text(value, param), param))
        return value

    return check


def name_check(grammar: NameGrammar) -> BeforeValidator:
    """Validator for a name of the kind `grammar` defines."""
    return BeforeValidator(_name_validator(grammar))


def name_schema(grammar: NameGrammar) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": f"^{grammar.regex}$", "maxLength": grammar.longest}
    )


def _integer(value: Any, info: ValidationInfo) -> int:
    param = str(info.field_name)
    if isinstance(value, bool):
        raise ValueError(f"{param} must be an integer, got a JSON boolean.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    shown = value if isinstance(value, str | int | float) else json_kind(value)
    raise ValueError(f"{param} must be an integer, got '{_short(str(shown))}'.")


AsInteger = BeforeValidator(_integer)
"""An integer, as a JSON number or as decimal text (the range comes with Field(ge, le))."""


def _boolean(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    shown = value if isinstance(value, str) else json_kind(value)
    raise ValueError(f"{info.field_name} must be true or false, got '{_short(str(shown))}'.")


AsBoolean = BeforeValidator(_boolean)
"""`true`/`false` in any case (both SDKs send Python's `True` and `False`), or a JSON boolean."""


def _time(value: Any, info: ValidationInfo) -> str:
    param = str(info.field_name)
    if not isinstance(value, str) or parse_rfc3339(value) is None:
        shown = value if isinstance(value, str) else json_kind(value)
        raise ValueError(
            f"{param} must be an RFC 3339 time such as 2020-10-27T22:17:52Z, "
            f"got '{_short(str(shown))}'."
        )
    return value


AsTime = BeforeValidator(_time)
TIME_SCHEMA = WithJsonSchema({"type": "string", "format": "date-time"})
"""A UTC RFC 3339 time (StartedTimeBegin, StartedTimeEnd)."""


def _json_document(kind: str) -> Any:
    """A validator for a JSON document of `kind` ("object", "array" or "any"), given as JSON
    text or (JSON form) as the value itself; it keeps the text as the caller sent it."""

    def check(value: Any, info: ValidationInfo) -> str:
        param = str(info.field_name)
        if isinstance(value, str):
            parsed = parse_json_value(value, param)
            raw = value
        else:
            parsed, raw = value, None
        if kind != "any" and json_kind(parsed) != kind:
            raise ValueError(f"{param} must be a JSON {kind}, got a JSON {json_kind(parsed)}.")
        check_json_value(parsed, param)
        return raw if raw is not None else json.dumps(parsed, ensure_ascii=False)

    return check


def json_document(kind: str) -> BeforeValidator:
    """Validator for a JSON document of `kind` ("object", "array" or "any")."""
    return BeforeValidator(_json_document(kind))


def json_schema(kind: str) -> WithJsonSchema:
    as_text = {"type": "string", "contentMediaType": "application/json"}
    if kind == "any":
        return WithJsonSchema(as_text)
    return WithJsonSchema({"anyOf": [{"type": kind}, as_text]})


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + "..."
