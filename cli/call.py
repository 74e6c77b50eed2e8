"""`fnf call`: one FnF action through a running `fnf api`, signed for the user.

    fnf call DescribeFlow '{"Name": "saga"}'
    fnf call StartExecution '{"FlowName": "saga", "Input": "{}"}' --endpoint http://host:8080

It posts the JSON form (`/actions/<Action>`) with the FNF-HMAC-SHA256 headers the API's auth
policy asks for, signed with an AccessKey from FNF_ACCESS_KEYS or the file named by
FNF_ACCESS_KEYS_FILE (the first ID unless --access-key-id picks one). With no key configured
the call goes unsigned, which only an API run with FNF_ALLOW_UNSIGNED=true accepts.
"""

from __future__ import annotations

import json
from typing import Annotated, Final

import httpx
import typer

from api.protocol.access_keys import AccessKeys
from api.protocol.header_signature import signed_headers
from cli import devstate

DEFAULT_ENDPOINT: Final = "http://127.0.0.1:8080"


def call(
    action: Annotated[str, typer.Argument(help="The FnF action, e.g. DescribeFlow")],
    parameters: Annotated[
        str, typer.Argument(help="The action's parameters as a JSON object")
    ] = "{}",
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            envvar="FNF_API_ENDPOINT",
            help=f"The API's base URL (default: the `fnf dev` running here, or {DEFAULT_ENDPOINT})",
        ),
    ] = None,
    access_key_id: Annotated[
        str | None, typer.Option("--access-key-id", help="Sign with this AccessKey ID")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait")] = 90.0,
) -> None:
    """Call an FnF action on `fnf api`, signed; print the JSON answer (exit 1 on an error)."""
    try:
        if not isinstance(json.loads(parameters), dict):
            raise ValueError("not an object")
    except ValueError:
        raise typer.BadParameter("PARAMETERS must be a JSON object") from None
    dev = devstate.running()
    if endpoint is None:
        endpoint = DEFAULT_ENDPOINT if dev is None else dev.api
    body = parameters.encode("utf-8")
    path = f"/actions/{action}"
    keys = AccessKeys.from_env()
    if not len(keys) and dev is not None:  # the keys of the `fnf dev` running here
        keys = AccessKeys.from_file(dev.access_keys_file)
    headers = {"Content-Type": "application/json", **_signature(keys, path, body, access_key_id)}
    try:
        answer = httpx.post(
            endpoint.rstrip("/") + path, content=body, headers=headers, timeout=timeout
        )
    except httpx.HTTPError as error:
        typer.echo(f"fnf call: {endpoint}: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(answer.text)
    raise typer.Exit(0 if answer.is_success else 1)


def _signature(
    keys: AccessKeys, path: str, body: bytes, access_key_id: str | None
) -> dict[str, str]:
    if access_key_id is None:
        pair = keys.first_pair()
        return {} if pair is None else signed_headers(*pair, "POST", path, body)
    secret = keys.secret_for(access_key_id)
    if secret is None:
        raise typer.BadParameter(
            f"no secret for {access_key_id} in FNF_ACCESS_KEYS or FNF_ACCESS_KEYS_FILE"
        )
    return signed_headers(access_key_id, secret, "POST", path, body)
