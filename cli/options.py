"""Options shared by the commands that talk to Temporal; each overrides its FNF_* variable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli import devstate
from cli.option_groups import GroupOption, with_options
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
TlsOpt = Annotated[
    bool | None,
    typer.Option(
        "--tls/--no-tls",
        help="TLS to Temporal [FNF_TEMPORAL_TLS]; on by default when a CA, certificate, server "
        "name or API key is given",
        show_default=False,
    ),
]
TlsCaOpt = Annotated[
    Path | None,
    typer.Option("--tls-ca", help="PEM CA of Temporal's certificate [FNF_TEMPORAL_TLS_CA]"),
]
TlsCertOpt = Annotated[
    Path | None,
    typer.Option("--tls-cert", help="PEM client certificate, for mTLS [FNF_TEMPORAL_TLS_CERT]"),
]
TlsKeyOpt = Annotated[
    Path | None,
    typer.Option("--tls-key", help="PEM key of --tls-cert [FNF_TEMPORAL_TLS_KEY]"),
]
TlsServerNameOpt = Annotated[
    str | None,
    typer.Option(
        "--tls-server-name",
        help="Name to check Temporal's certificate against [FNF_TEMPORAL_TLS_SERVER_NAME]",
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="Temporal Cloud API key, implies TLS [FNF_TEMPORAL_API_KEY] (the variable keeps "
        "it out of the process list)",
        show_default=False,
    ),
]
FullOpt = Annotated[
    bool, typer.Option("--full", help="Print every event's detail whole, never cut short.")
]


CONNECTION_OPTIONS = (
    GroupOption("tls", TlsOpt),
    GroupOption("tls_ca", TlsCaOpt),
    GroupOption("tls_cert", TlsCertOpt),
    GroupOption("tls_key", TlsKeyOpt),
    GroupOption("tls_server_name", TlsServerNameOpt),
    GroupOption("api_key", ApiKeyOpt),
)
"""How a configured Temporal is secured (worker/connection.py); not for a `fnf dev` server.
Each option overrides the setting `temporal_<name>`."""
CONNECTION_SETTINGS = tuple(f"temporal_{option.name}" for option in CONNECTION_OPTIONS)


def _connection_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """The connection options' values as settings overrides (for `settings_with`)."""
    return {f"temporal_{name}": value for name, value in values.items()}


with_connection_options = with_options("secured", CONNECTION_OPTIONS, _connection_overrides)
"""Gives a command the connection options in place of its parameter `secured`, which receives
their settings overrides."""


def settings_with(**overrides: Any) -> Settings:
    """FNF_* settings, with the command line's explicit values on top. With no Temporal
    address and no dev server database configured, a `fnf dev` running in this folder
    (cli/devstate.py) is the Temporal to use."""
    given = {key: value for key, value in overrides.items() if value is not None}
    settings = Settings(**given)
    if settings.temporal_address or settings.dev_server_db is not None:
        return settings
    dev = devstate.running()
    if dev is None:
        return settings
    plain = dict.fromkeys(CONNECTION_SETTINGS)  # `fnf dev`'s server speaks plaintext
    return settings.model_copy(update={"temporal_address": dev.temporal_address, **plain})
