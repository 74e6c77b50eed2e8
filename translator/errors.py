"""Diagnostics: what went wrong in a flow document, and exactly where.

Every problem the translator finds becomes a `Diagnostic` naming the file, the line and column
(1-based, as editors count) and the path inside the document (`steps[2].catch[0].goto`).
Validation collects all of them before failing, so a user fixes a document in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a flow document."""

    severity: Severity
    message: str
    path: str
    line: int
    column: int
    file: str = "<flow>"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "" if self.severity is Severity.ERROR else "warning: "
        subject = f"{self.path}: " if self.path else ""
        return f"{where} {prefix}{subject}{self.message}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


class ExpressionError(ValueError):
    """A mapping source, JSONPath or condition that does not parse.

    `column` is the 0-based offset inside the expression text where the problem starts, so the
    caller can point at the exact character in the file.
    """

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class FlowValidationError(ValueError):
    """Raised when a document has at least one error; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        lines = "\n".join(str(d) for d in errors)
        super().__init__(f"{len(errors)} error(s) in flow definition:\n{lines}")

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]
