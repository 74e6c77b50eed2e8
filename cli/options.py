"""Options shared by the commands that talk to Temporal; each overrides its FNF_* variable."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cli import devstate
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


CONNECTION_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("temporal_tls", TlsOpt),
    ("temporal_tls_ca", TlsCaOpt),
    ("temporal_tls_cert", TlsCertOpt),
    ("temporal_tls_key", TlsKeyOpt),
    ("temporal_tls_server_name", TlsServerNameOpt),
    ("temporal_api_key", ApiKeyOpt),
)
"""How a configured Temporal is secured (worker/connection.py), as the settings each option
overrides; not for a `fnf dev` server. Every command that connects to Temporal takes them."""
CONNECTION_SETTINGS = tuple(setting for setting, _ in CONNECTION_OPTIONS)

Command = TypeVar("Command", bound=Callable[..., Any])


def with_connection_options(command: Command) -> Command:
    """`command` with the options of CONNECTION_OPTIONS (`--tls/--no-tls`, `--tls-ca`,
    `--tls-cert`, `--tls-key`, `--tls-server-name`, `--api-key`) where its parameter `secured`
    stands. It receives their values as that one keyword: the settings overrides for
    `settings_with`.

    Typer reads a command's options from its signature, so the wrapper shows the command's
    parameters with `secured` replaced by one keyword parameter per option (the parameters
    after it become keyword-only, which is how Typer passes them anyway)."""
    own = inspect.signature(command, eval_str=True)
    names = {setting: setting.removeprefix("temporal_") for setting, _ in CONNECTION_OPTIONS}
    parameters: list[inspect.Parameter] = []
    keyword_only = False
    for parameter in own.parameters.values():
        if parameter.name == "secured":
            keyword_only = True
            parameters += [
                inspect.Parameter(names[setting], inspect.Parameter.KEYWORD_ONLY, default=None,
                                  annotation=option)
                for setting, option in CONNECTION_OPTIONS
            ]  # fmt: skip
        elif keyword_only:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
        else:
            parameters.append(parameter)

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        secured = {setting: kwargs.pop(name) for setting, name in names.items()}
        return command(*args, secured=secured, **kwargs)

    wrapper.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    wrapper.__annotations__["return"] = own.return_annotation
    return wrapper  # type: ignore[return-value]


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
