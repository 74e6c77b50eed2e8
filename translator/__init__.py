"""FDL translator: parse and validate Serverless Workflow flow definitions, compile FlowGraphs.

Importable without Temporal. The usual entry points:

    result = validate_text(text, "order.yaml")      # every diagnostic, never raises on bad input
    graph = compile_text(text, "order.yaml")        # a FlowGraph, or FlowValidationError
"""

from __future__ import annotations

from pathlib import Path

from translator.compiler import compile_document
from translator.errors import Diagnostic, ExpressionError, FlowValidationError, Severity
from translator.graph import FORMAT_VERSION, FlowGraph, StepNode
from translator.text_files import read_text
from translator.validation import ValidationResult, validate_text

__all__ = [
    "FORMAT_VERSION",
    "Diagnostic",
    "ExpressionError",
    "FlowGraph",
    "FlowValidationError",
    "Severity",
    "StepNode",
    "ValidationResult",
    "compile_document",
    "compile_file",
    "compile_text",
    "validate_file",
    "validate_text",
]


def compile_text(text: str, file: str = "<flow>", *, strict: bool = False) -> FlowGraph:
    """Validate and compile; raises FlowValidationError carrying every diagnostic."""
    result = validate_text(text, file, strict=strict)
    if result.document is None:
        raise FlowValidationError(result.diagnostics)
    return compile_document(result.document)


def validate_file(path: str | Path, *, strict: bool = False) -> ValidationResult:
    return validate_text(_read(path), str(path), strict=strict)


def compile_file(path: str | Path, *, strict: bool = False) -> FlowGraph:
    return compile_text(_read(path), str(path), strict=strict)


def _read(path: str | Path) -> str:
    return read_text(path)
