"""How a task step's function is found and invoked (DESIGN decision 11).

Public API: `FunctionRegistry` (the `functions.yaml` file), `FunctionRuntime` (calls functions),
`Invocation` (facts of one call) and `FunctionError` (name + cause of any failure).

Imports are lazy: every Python function instance starts with `python -m worker.functions.host`,
which imports this package first, and it must not pay for pydantic, YAML and httpx there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import FunctionError, RegistryError
    from .invocation import Invocation
    from .registry import (
        FunctionRegistry,
        FunctionTarget,
        HttpAction,
        HttpFunction,
        PythonFunction,
        PythonInitializer,
    )
    from .runtime import FunctionRuntime

__all__ = [
    "FunctionError",
    "FunctionRegistry",
    "FunctionRuntime",
    "FunctionTarget",
    "HttpAction",
    "HttpFunction",
    "Invocation",
    "PythonFunction",
    "PythonInitializer",
    "RegistryError",
]

_HOMES = {
    "FunctionError": ".errors",
    "Invocation": ".invocation",
    "FunctionRegistry": ".registry",
    "FunctionTarget": ".registry",
    "HttpAction": ".registry",
    "HttpFunction": ".registry",
    "PythonFunction": ".registry",
    "PythonInitializer": ".registry",
    "RegistryError": ".errors",
    "FunctionRuntime": ".runtime",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home, __name__), name)
