"""`fnf call`: one FnF action through a running `fnf api`, signed for the user.

    fnf call DescribeFlow '{"Name": "saga"}'
    fnf call StartExecution '{"FlowName": "saga", "Input": "{}"}' --endpoint http://host:8080

It posts the JSON form (`/actions/<Action>`) with the FNF-HMAC-SHA256 headers the API's auth
policy asks for, signed with an AccessKey from FNF_ACCESS_KEYS or the file named by
FNF_ACCESS_KEYS_FILE (the first ID unless --access-key-id picks one). With no key configured
the call goes unsigned, which only an API run with FNF_ALLOW_UNSIGNED=true accepts.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.api_client import DEFAULT_ENDPOINT, ApiClient, ApiError
from cli.json_input import read_json_object
from cli.output import API_ERROR_STATUS, fail


def call(
    action: Annotated[str, typer.Argument(help="The FnF action, e.g. DescribeFlow")],
    parameters: Annotated[
        str,
        typer.Argument(help="The action's parameters: a JSON object, @file.json, or @- (stdin)"),
    ] = "{}",
    endpoint: Annotated[
        str, typer.Option("--endpoint", envvar="FNF_API_ENDPOINT", help="The API's base URL")
    ] = DEFAULT_ENDPOINT,
    access_key_id: Annotated[
        str | None, typer.Option("--access-key-id", help="Sign with this AccessKey ID")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait")] = 90.0,
) -> None:
    """Call an FnF action on `fnf api`, signed; print the JSON answer (exit 1 on an error)."""
    text = read_json_object(parameters, "PARAMETERS").text
    client = ApiClient(endpoint, access_key_id, timeout)
    try:
        client.signature(f"/actions/{action}", b"")  # an AccessKey mistake is a usage one
    except ApiError as error:
        raise typer.BadParameter(error.message) from None
    try:
        answer = client.post(action, text.encode("utf-8"))
    except ApiError as error:  # no answer: one line, as every API client command says it
        fail(f"{error.code}: {error.message}", API_ERROR_STATUS)
    typer.echo(answer.text)
    raise typer.Exit(0 if answer.is_success else 1)
