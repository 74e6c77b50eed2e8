"""FDL translator: parse and validate Serverless Workflow flow definitions, compile FlowGraphs.

Importable without Temporal. The usual entry points:

    result = validate_text(text, "order.yaml")      # every diagnostic, never raises on bad input
    graph = compile_text(text, "order.yaml")        # a FlowGraph, or FlowValidationError

The names below load their modules on first use (PEP 562): importing one small submodule
(`translator.text_files`, as every `fnf` command does to read a file) does not import the
parser and the compiler with it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from translator.compiler import compile_document
    from translator.errors import Diagnostic, ExpressionError, FlowValidationError, Severity
    from translator.graph import FORMAT_VERSION, FlowGraph, StepNode
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

_HOMES = {
    "compile_document": "translator.compiler",
    "Diagnostic": "translator.errors",
    "ExpressionError": "translator.errors",
    "FlowValidationError": "translator.errors",
    "Severity": "translator.errors",
    "FORMAT_VERSION": "translator.graph",
    "FlowGraph": "translator.graph",
    "StepNode": "translator.graph",
    "ValidationResult": "translator.validation",
    "validate_text": "translator.validation",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'translator' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def compile_text(text: str, file: str = "<flow>", *, strict: bool = False) -> FlowGraph:
    """Validate and compile; raises FlowValidationError carrying every diagnostic."""
    from translator.compiler import compile_document
    from translator.errors import FlowValidationError
    from translator.validation import validate_text

    result = validate_text(text, file, strict=strict)
    if result.document is None:
        raise FlowValidationError(result.diagnostics)
    return compile_document(result.document)


def validate_file(path: str | Path, *, strict: bool = False) -> ValidationResult:
    from translator.validation import validate_text

    return validate_text(_read(path), str(path), strict=strict)


def compile_file(path: str | Path, *, strict: bool = False) -> FlowGraph:
    return compile_text(_read(path), str(path), strict=strict)


def _read(path: str | Path) -> str:
    from translator.text_files import read_text

    return read_text(path)
