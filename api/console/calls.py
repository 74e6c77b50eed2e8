"""The console's one way to do anything: an FnF action, as the API runs it.

Each call goes through the action's typed request model (`api.requests.parse_request`: the
name grammar, the JSON checks, the limits) and then its handler in `api.actions`, so a page
can neither skip a check nor duplicate the logic behind an action.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from api.actions import ACTIONS, ApiContext, Params
from api.protocol.errors import FnFError, action_not_supported, internal_server_error
from api.protocol.temporary import temporary_failure
from api.requests import parse_request

logger = logging.getLogger(__name__)

ContextProvider = Callable[[], Awaitable[ApiContext]]
"""The services of one request's AccessKey."""
SignerContext = Callable[[str | None], Awaitable[ApiContext]]
"""The API's provider: the services for the AccessKey ID that signed (None: unsigned)."""


async def call(context: ContextProvider, action: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The action's answer; FnFError for a refusal (its code, message and status)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise action_not_supported(action)
    params = parse_request(action, raw)
    try:
        return await handler(await context(), Params(params))
    except FnFError:
        raise
    except Exception as error:
        temporary = temporary_failure(error)
        if temporary is not None:
            logger.warning("console call to %s: %s", action, temporary.message)
            raise temporary from None
        logger.exception("console call to %s failed", action)
        raise internal_server_error() from None


async def every_page(
    context: ContextProvider,
    action: str,
    raw: dict[str, Any],
    key: str,
    limit: int,
    token: str = "",
) -> list[dict[str, Any]]:
    """All items of a paged action (GetExecutionHistory's events), following NextToken from
    `token` (GetExecutionHistory: a bare EventId reads from that event on)."""
    items: list[dict[str, Any]] = []
    while True:
        page = await call(
            context, action, {**raw, "Limit": limit, **({"NextToken": token} if token else {})}
        )
        items.extend(page.get(key, []))
        token = page.get("NextToken", "")
        if not token:
            return items
