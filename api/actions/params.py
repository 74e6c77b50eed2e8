"""An action's parameters as one object; the readers themselves are api/protocol/params.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from api.protocol import params as read
from api.protocol.errors import FnFError, invalid_argument
from translator.names import NameGrammar


def invalid(message: str) -> FnFError:
    return invalid_argument(message)


@dataclass(frozen=True)
class Params:
    """Query and form merged, as the strings the SDKs sent (blank counts as absent)."""

    values: dict[str, str]

    def text(self, name: str, default: str = "", max_len: int | None = None) -> str:
        return read.optional_str(self.values, name, default, max_len)

    def required(self, name: str, max_len: int | None = None) -> str:
        return read.required_str(self.values, name, max_len)

    def name(self, name: str, grammar: NameGrammar, required: bool = True) -> str:
        """A name of the kind `grammar` defines (translator/names.py); InvalidArgument if not."""
        if required:
            return read.required_name(self.values, name, grammar)
        return read.optional_name(self.values, name, grammar) or ""

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        return read.optional_int(self.values, name, minimum, maximum, default)

    def boolean(self, name: str) -> bool | None:
        return read.optional_bool(self.values, name)

    def json_object(self, name: str) -> dict[str, Any]:
        return read.json_object_param(self.values, name) or {}

    def json_value(self, name: str) -> Any:
        raw = self.values.get(name, "")
        if raw == "":
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as error:
            raise invalid(f"{name} is not valid JSON: {error.msg}") from None
