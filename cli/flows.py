"""`fnf validate` and `fnf graph`: check flow documents and draw their step graph
(cli/graph.py draws it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.api_client import DEFAULT_ENDPOINT, AccessKeyOpt, EndpointOpt
from cli.graph import (
    ExecutionOpt,
    FlowNameOpt,
    Format,
    FormatOpt,
    IterationOpt,
    OutputOpt,
    check_iteration,
    draw,
    execution_view,
    write,
)
from cli.options import FunctionsOpt
from cli.registry_check import missing_functions
from translator import ValidationResult, compile_document, validate_text
from translator.errors import Diagnostic, Severity
from translator.text_files import read_text
from worker.functions import FunctionRegistry

FilesArg = Annotated[list[Path], typer.Argument(help="FDL flow files (YAML or JSON).")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Report fnf-temporal extensions as errors.")
]


def validate(
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    strict: StrictOpt = False,
    functions: FunctionsOpt = None,
) -> None:
    """Check flow definitions; exit 1 when any has an error. With --functions, also that
    the registry serves every function and action the flows call."""
    registry = FunctionRegistry.load_all(functions) if functions else None
    results = [_validate_path(path, strict, registry) for path in files]
    if as_json:
        typer.echo(json.dumps([_result_json(r) for r in results], indent=2))
    else:
        for result in results:
            _print_result(result)
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


def graph(
    file: Annotated[Path, typer.Argument(help="An FDL flow file.")],
    fmt: FormatOpt = Format.mermaid,
    execution: ExecutionOpt = None,
    flow: FlowNameOpt = None,
    iteration: IterationOpt = None,
    output: OutputOpt = None,
    endpoint: EndpointOpt = DEFAULT_ENDPOINT,
    access_key_id: AccessKeyOpt = None,
) -> None:
    """Print the flow's step graph: a Mermaid flowchart, or an SVG drawing or a standalone
    HTML page; with --execution, the path that execution took (read from fnf api)."""
    result = _validate_path(file, strict=False)
    if result.document is None:
        _print_result(result)
        raise typer.Exit(1)
    compiled = compile_document(result.document)
    path = None
    if iteration is not None and execution is None:
        raise typer.BadParameter(
            "it draws an execution's iteration: give --execution too.", param_hint="'--iteration'"
        )
    if execution is not None:
        compiled, path = execution_view(file, compiled, execution, flow, endpoint, access_key_id)
        check_iteration(path, iteration)
    title = f"{file.name} · {execution}" if execution else file.name
    write(draw(compiled, fmt, path, iteration, title), output)


def _validate_path(
    path: Path, strict: bool, registry: FunctionRegistry | None = None
) -> ValidationResult:
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problem = Diagnostic(Severity.ERROR, f"cannot read file: {reason}", "", 1, 1, str(path))
        return ValidationResult(str(path), None, [problem])
    result = validate_text(text, str(path), strict=strict)
    if registry is None or result.document is None:
        return result
    missing = missing_functions(text, str(path), registry)
    if not missing:
        return result
    found = sorted([*result.diagnostics, *missing], key=lambda d: (d.line, d.column))
    return ValidationResult(result.file, None, found)


def _print_result(result: ValidationResult) -> None:
    for diagnostic in result.diagnostics:
        color = typer.colors.RED if diagnostic.severity is Severity.ERROR else typer.colors.YELLOW
        typer.secho(str(diagnostic), fg=color, err=True)
    errors, warnings = len(result.errors), len(result.warnings)
    if result.ok:
        note = f" ({_count(warnings, 'warning')})" if warnings else ""
        typer.secho(f"{result.file}: ok{note}", fg=typer.colors.GREEN)
    else:
        summary = _count(errors, "error")
        if warnings:
            summary += f", {_count(warnings, 'warning')}"
        typer.secho(f"{result.file}: {summary}", fg=typer.colors.RED, err=True)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _result_json(result: ValidationResult) -> dict[str, object]:
    return {
        "file": result.file,
        "ok": result.ok,
        "diagnostics": [d.to_json() for d in result.diagnostics],
    }
