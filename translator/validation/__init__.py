"""Validate an FDL document: syntax, schema, scopes and lints, all reported in one pass."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from translator.errors import Diagnostic, Severity
from translator.model import FlowDocument
from translator.model.base import describe
from translator.source import Position, load_document
from translator.validation.lints import lint_diagnostics
from translator.validation.report import diagnostic_at
from translator.validation.schema_errors import schema_diagnostics
from translator.validation.scopes import scope_diagnostics

__all__ = ["ValidationResult", "validate_text"]


@dataclass(slots=True)
class ValidationResult:
    """The parsed document (None when it has errors) and every diagnostic, in file order."""

    file: str
    document: FlowDocument | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]


def validate_text(text: str, file: str = "<flow>", *, strict: bool = False) -> ValidationResult:
    loaded = load_document(text, file)
    diagnostics = list(loaded.diagnostics)
    data = loaded.data
    if diagnostics and data is None:
        return _result(file, None, diagnostics)
    if not isinstance(data, dict):
        message = f"a flow is a mapping with version, type and steps, not {describe(data)}"
        where = Position(1, 1)
        diagnostics.append(diagnostic_at(loaded.source_map, (), message, position=where))
        return _result(file, None, diagnostics)

    document: FlowDocument | None = None
    try:
        document = FlowDocument.model_validate(data)
    except ValidationError as exc:
        diagnostics += schema_diagnostics(exc, loaded.source_map)
    diagnostics += scope_diagnostics(data, loaded.source_map)
    diagnostics += lint_diagnostics(data, loaded.source_map, strict)
    return _result(file, document, diagnostics)


def _result(file: str, document: FlowDocument | None, found: list[Diagnostic]) -> ValidationResult:
    ordered = sorted(found, key=lambda d: (d.line, d.column, d.severity != Severity.ERROR))
    has_errors = any(d.severity is Severity.ERROR for d in ordered)
    return ValidationResult(file, None if has_errors else document, ordered)
