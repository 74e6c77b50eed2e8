"""Which Temporal namespace an MNS request is served in: the one of the AccessKey that signed it.

`fnf api` may serve several teams, each AccessKey bound to a namespace (`api.tenancy`). MNS
queues, topics, subscriptions and pushes are workflows (`FnFMnsQueue`, `FnFMnsRegistry`,
`FnFMnsPush`), so putting them in the signer's namespace isolates them the way Temporal
isolates everything else: team A's queue `orders` and team B's queue `orders` are two
workflows in two namespaces, and no name, however crafted, reaches across (a workflow id
names no namespace).

The MNS services (`Registry`, `QueueService`, `FanOut`) ask for their Temporal client on every
operation; `RequestNamespace.client` answers with the client of the namespace of the request
being served, which the router records with `signed_by` once the signature is verified. The
record is a context variable, so it follows the request into the tasks it gathers and never
leaks into another request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from temporalio.client import Client

ClientProvider = Callable[[], Awaitable[Client]]
TenantClient = Callable[[str | None], Awaitable[Client]]
"""The Temporal client of the namespace an AccessKey ID (None: unsigned) is bound to."""

_SIGNER: ContextVar[str | None] = ContextVar("fnf_mns_signer", default=None)


class RequestNamespace:
    def __init__(self, default: ClientProvider, tenant: TenantClient | None = None) -> None:
        self._default = default
        self._tenant = tenant

    @contextmanager
    def signed_by(self, access_key_id: str | None) -> Iterator[None]:
        """Serve what runs inside in `access_key_id`'s namespace."""
        token = _SIGNER.set(access_key_id)
        try:
            yield
        finally:
            _SIGNER.reset(token)

    async def client(self) -> Client:
        """The client of the current request's namespace (the default one outside a request,
        or when the API serves one namespace)."""
        if self._tenant is None:
            return await self._default()
        return await self._tenant(_SIGNER.get())
