"""`inputMappings`, `outputMappings` and `errorMappings` entries: `{target, source}`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from translator.errors import ExpressionError
from translator.expressions import compile_source
from translator.model.base import FDLModel, expression_error


class MappingEntry(FDLModel):
    """One key of a step's input or output: `target` is a plain key, `source` a ref or constant."""

    target: str = Field(min_length=1)
    source: Any

    @field_validator("source")
    @classmethod
    def _source_parses(cls, value: Any) -> Any:
        try:
            compile_source(value)
        except ExpressionError as exc:
            raise expression_error(exc) from None
        return value


Mappings = list[MappingEntry]
