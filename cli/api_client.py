"""The FnF API as the `fnf flow|exec|schedule` commands call it: one signed JSON-form request
per action (`POST /actions/<Action>`, FNF-HMAC-SHA256 headers, api/protocol/header_signature.py),
the same request `fnf call` sends.

An FnF error answer becomes `ApiError(code, message)`, which the command prints as one line
(`error: FlowNotExists: ...`, exit 1); an API that cannot be reached or that answers something
other than FnF's JSON is an `ApiError` too, with a code of our own (`ConnectionFailed`,
`BadAnswer`), so no traceback reaches the user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Final

import httpx
import typer

from api.protocol.access_keys import AccessKeys
from api.protocol.header_signature import signed_headers
from cli import devstate
from cli.option_groups import GroupOption, with_options

DEFAULT_ENDPOINT: Final = "http://127.0.0.1:8080"
CONNECTION_FAILED: Final = "ConnectionFailed"
BAD_ANSWER: Final = "BadAnswer"
CONFIGURATION: Final = "InvalidConfiguration"

EndpointOpt = Annotated[
    str,
    typer.Option(
        "--endpoint", envvar="FNF_API_ENDPOINT", help="The FnF API's base URL [FNF_API_ENDPOINT]"
    ),
]
AccessKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--access-key-id",
        help="Sign with this AccessKey ID (from FNF_ACCESS_KEYS / FNF_ACCESS_KEYS_FILE)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
FlowArg = Annotated[str, typer.Argument(help="The flow's name")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="The description")]


class ApiError(Exception):
    """An FnF error answer (or a failure to get one), printed as `code: message`."""

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ApiClient:
    """Where the API is and which AccessKey signs for the user."""

    endpoint: str = DEFAULT_ENDPOINT
    access_key_id: str | None = None
    timeout: float = 90.0

    def call(self, action: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """The action's answer; ApiError for an error answer or an unreachable API."""
        body = json.dumps(
            {k: v for k, v in parameters.items() if v is not None}, ensure_ascii=False
        ).encode("utf-8")
        return _answer(self.post(action, body), self.base_url)

    def post(self, action: str, body: bytes) -> httpx.Response:
        """The signed JSON-form request of `action` with `body`, as the API answered it
        (`fnf call` prints it whole); ApiError when no answer comes (ConnectionFailed)."""
        path = f"/actions/{action}"
        headers = {"Content-Type": "application/json", **self.signature(path, body)}
        url = self.base_url.rstrip("/") + path
        try:
            return httpx.post(url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise ApiError(
                CONNECTION_FAILED,
                f"cannot reach the FnF API at {self.base_url} ({reason}); start it with "
                "`fnf api` or point --endpoint / FNF_API_ENDPOINT at it",
            ) from None

    @property
    def base_url(self) -> str:
        """The endpoint; the default one means the `fnf dev` running in this folder, if any
        (cli/devstate.py), which need not listen on the default port."""
        if self.endpoint == DEFAULT_ENDPOINT and (dev := devstate.running()) is not None:
            return dev.api
        return self.endpoint

    def signature(self, path: str, body: bytes) -> dict[str, str]:
        """The FNF-HMAC-SHA256 headers, or none when no AccessKey is configured (only an API
        run with FNF_ALLOW_UNSIGNED=true then accepts the call). With none configured, the
        AccessKey of the `fnf dev` running in this folder signs."""
        try:
            keys = AccessKeys.from_env()
            if not len(keys) and (dev := devstate.running()) is not None:
                keys = AccessKeys.from_file(dev.access_keys_file)
        except (OSError, ValueError) as error:
            raise ApiError(CONFIGURATION, str(error)) from None
        if self.access_key_id is None:
            pair = keys.first_pair()
            return {} if pair is None else signed_headers(*pair, "POST", path, body)
        secret = keys.secret_for(self.access_key_id)
        if secret is None:
            raise ApiError(
                CONFIGURATION,
                f"no secret for AccessKey {self.access_key_id} in FNF_ACCESS_KEYS or "
                "FNF_ACCESS_KEYS_FILE",
            )
        return signed_headers(self.access_key_id, secret, "POST", path, body)


def _answer(answer: httpx.Response, endpoint: str) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(
            BAD_ANSWER,
            f"{endpoint} answered HTTP {answer.status_code} without FnF's JSON body; "
            "is it an `fnf api`?",
            answer.status_code,
        )
    if answer.is_success:
        return data
    code = str(data.get("Code") or f"HTTP{answer.status_code}")
    raise ApiError(code, str(data.get("Message") or answer.reason_phrase), answer.status_code)


DEFAULT_API: Final = ApiClient()
"""The client of the options' defaults (a command's `api` default; the command line gives it
the client its options name)."""
API_OPTIONS = (
    GroupOption("endpoint", EndpointOpt, DEFAULT_ENDPOINT),
    GroupOption("access_key_id", AccessKeyOpt),
)
with_api_client = with_options("api", API_OPTIONS, lambda values: ApiClient(**values))
"""Gives a command `--endpoint` and `--access-key-id` in place of its parameter `api`, which
receives the ApiClient they name."""
