"""Building a diagnostic for a document path."""

from __future__ import annotations

from translator.errors import Diagnostic, Severity
from translator.source import Path, Position, SourceMap, format_path


def diagnostic_at(
    source_map: SourceMap,
    path: Path,
    message: str,
    severity: Severity = Severity.ERROR,
    position: Position | None = None,
) -> Diagnostic:
    """A diagnostic for `path`, placed at its value unless another position is given."""
    where = position or source_map.value(path)
    return Diagnostic(
        severity, message, format_path(path), where.line, where.column, source_map.file
    )
