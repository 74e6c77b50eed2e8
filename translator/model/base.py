"""Shared configuration of every FDL model, and the error type that carries our own messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from translator.errors import ExpressionError


class FDLModel(BaseModel):
    """Strict (YAML already typed the values: `"3"` is not a number) and closed to unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)


def fdl_error(message: str, column: int | None = None) -> PydanticCustomError:
    """A validation error whose text is ours; `column` points inside the offending string."""
    context: dict[str, Any] = {"message": message}
    if column is not None:
        context["column"] = column
    return PydanticCustomError("fdl", "{message}", context)


def expression_error(exc: ExpressionError, prefix: str = "") -> PydanticCustomError:
    return fdl_error(f"{prefix}{exc.message}", exc.column)


def describe(value: Any) -> str:
    """How a YAML author would name the type of `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value}'" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
