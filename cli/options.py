"""Options shared by the commands that talk to Temporal; each overrides its FNF_* variable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from worker.settings import Settings

AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address", help="Temporal host:port [FNF_TEMPORAL_ADDRESS]; unset: embedded dev server"
    ),
]
NamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", help="Temporal namespace [FNF_NAMESPACE]")
]
TaskQueueOpt = Annotated[
    str | None, typer.Option("--task-queue", help="Task queue [FNF_TASK_QUEUE]")
]
FunctionsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--functions",
        help="Function registry (functions.yaml) or a folder of them; repeat for several "
        "[FNF_FUNCTIONS]",
    ),
]
FullOpt = Annotated[
    bool, typer.Option("--full", help="Print every event's detail whole, never cut short.")
]


def settings_with(**overrides: Any) -> Settings:
    """FNF_* settings, with the command line's explicit values on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
