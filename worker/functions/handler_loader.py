"""Import a handler inside the instance, turning every way that can fail into an FC-style cause.

Handler modules are user code: a syntax error, a failing import or a typo in the callable's name
must reach the flow as `FC.Unknown` with a cause that says what happened, like FC's
"Unable to import module" and "Handler ... is missing" bodies, not as a dead worker.
Stdlib only: it runs in the child process.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import exception_cause, fc_body

Handler = Callable[[bytes, Any], Any]


class HandlerLoadError(Exception):
    """The handler could not be loaded; `cause` is FC-style JSON."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def load_handler(
    module_file: str | None,
    module: str | None,
    attribute: str,
    base_dir: str,
    *,
    role: str = "Handler",
) -> Callable[..., Any]:
    """The callable of `file.py:attribute` or `package.module:attribute`.

    `role` names it in errors: "Handler", or "Initializer" for FC's initializer hook. A file
    is imported once per instance, so a handler and an initializer in the same file (or in a
    file the handler imports) share one module and its globals.
    """
    if module_file is not None:
        name = Path(module_file).stem
        loaded = _guard(name, lambda: _import_file(Path(module_file), base_dir))
    else:
        assert module is not None
        name = module
        loaded = _guard(name, lambda: _import_module(module, base_dir))
    value: Any = loaded
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise HandlerLoadError(
                fc_body(
                    errorMessage=f"{role} '{attribute}' is missing on module '{name}'",
                    errorType=f"{role}NotFound",
                    stackTrace=[],
                )
            )
        value = getattr(value, part)
    if not callable(value):
        raise HandlerLoadError(
            fc_body(
                errorMessage=f"{role} '{attribute}' on module '{name}' is not callable "
                f"(it is a {type(value).__name__})",
                errorType=f"{role}NotFound",
                stackTrace=[],
            )
        )
    loaded_callable: Callable[..., Any] = value
    return loaded_callable


def _guard(name: str, load: Callable[[], ModuleType]) -> ModuleType:
    try:
        return load()
    except BaseException as exc:  # SystemExit at import time too: the module is unusable
        raise HandlerLoadError(
            exception_cause(
                exc, message=f"Unable to import module '{name}': {type(exc).__name__}: {exc}"
            )
        ) from exc


def _import_file(path: Path, base_dir: str) -> ModuleType:
    """Import a handler file as FC does: its folder on sys.path, its stem as module name."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    _append_path(base_dir)
    name = path.stem
    for known in (name, f"_fnf_handler_{name}"):
        if _is_module_of(sys.modules.get(known), path):
            return sys.modules[known]  # imported already (by the handler, or the initializer)
    if name in sys.modules:  # do not shadow an already imported module of the same name
        name = f"_fnf_handler_{name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded  # dataclasses, pickle and friends look modules up by name
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return loaded


def _is_module_of(module: ModuleType | None, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path.resolve()


def _import_module(module: str, base_dir: str) -> ModuleType:
    _append_path(base_dir)
    return importlib.import_module(module)


def _append_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.append(folder)
