"""Option groups (cli/option_groups.py): the options stand where the command's parameter
stood, keep their defaults, and reach the command as the one value the group builds."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from cli.api_client import API_OPTIONS, DEFAULT_API, DEFAULT_ENDPOINT, ApiClient, with_api_client
from cli.option_groups import GroupOption, with_options
from cli.options import CONNECTION_SETTINGS, with_connection_options

PAIR = (
    GroupOption("left", Annotated[int, typer.Option("--left")], 1),
    GroupOption("right", Annotated[str | None, typer.Option("--right")]),
)
with_pair = with_options("pair", PAIR, lambda values: (values["left"], values["right"]))


def app_of(command: Any) -> typer.Typer:
    app = typer.Typer()
    app.command()(command)
    app.command("other")(lambda: None)  # two commands: the name is a sub-command
    return app


@with_pair
def shown(
    first: Annotated[str, typer.Argument()],
    pair: tuple[int, str | None] = (0, None),
    last: Annotated[bool, typer.Option("--last")] = False,
) -> None:
    typer.echo(json.dumps([first, list(pair), last]))


@pytest.mark.parametrize(
    ("argv", "seen"),
    [
        (["x"], ["x", [1, None], False]),
        (["x", "--right", "r", "--left", "5", "--last"], ["x", [5, "r"], True]),
        (["--last", "x", "--left", "-3"], ["x", [-3, None], True]),
    ],
)
def test_the_group_reaches_the_command_as_one_value(argv: list[str], seen: list[Any]) -> None:
    done = CliRunner().invoke(app_of(shown), ["shown", *argv])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == seen


def test_the_options_stand_where_the_parameter_stood() -> None:
    help_text = CliRunner().invoke(app_of(shown), ["shown", "--help"], env={"COLUMNS": "200"})
    order = [help_text.output.index(option) for option in ("--left", "--right", "--last")]
    assert order == sorted(order)


def test_a_command_without_the_parameter_is_refused() -> None:
    def lacking(first: str) -> None: ...

    with pytest.raises(TypeError, match="'pair'"):
        with_pair(lacking)


def test_connection_options_become_settings_overrides() -> None:
    @with_connection_options
    def command(secured: dict[str, Any] | None = None) -> None:
        typer.echo(json.dumps(secured))

    done = CliRunner().invoke(
        app_of(command), ["command", "--no-tls", "--tls-server-name", "t", "--api-key", "k"]
    )
    assert done.exit_code == 0, done.output
    given = json.loads(done.output)
    assert list(given) == list(CONNECTION_SETTINGS)
    assert given["temporal_tls"] is False and given["temporal_tls_server_name"] == "t"
    assert given["temporal_api_key"] == "k" and given["temporal_tls_ca"] is None


def test_api_options_become_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FNF_API_ENDPOINT", raising=False)
    seen: list[ApiClient] = []

    @with_api_client
    def command(api: ApiClient = DEFAULT_API) -> None:
        seen.append(api)

    app = app_of(command)
    assert CliRunner().invoke(app, ["command"]).exit_code == 0
    assert CliRunner().invoke(app, ["command", "--access-key-id", "ak"]).exit_code == 0
    env = {"FNF_API_ENDPOINT": "http://api:1"}
    assert CliRunner().invoke(app, ["command"], env=env).exit_code == 0
    assert seen == [
        ApiClient(DEFAULT_ENDPOINT, None),
        ApiClient(DEFAULT_ENDPOINT, "ak"),
        ApiClient("http://api:1", None),
    ]
    assert [option.name for option in API_OPTIONS] == ["endpoint", "access_key_id"]
