"""The MNS facade: queues and topics over MNS's REST/XML protocol, kept in Temporal.

    mns_workflows()   the workflow classes to register on the API's own worker task queue
    mns_activities()  the activities to register beside them (HTTP pushes)
    mns_router(...)   the FastAPI router serving /queues and /topics (see `api.mns.routes`)

`mns_router` is imported on first use (PEP 562): the workflow sandbox imports this package
whenever it loads `api.mns.queue_entity`, and must not pull FastAPI in with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.mns.push_entity import FnFMnsPush
from api.mns.queue_entity import FnFMnsQueue
from api.mns.registry_entity import FnFMnsRegistry

if TYPE_CHECKING:
    from api.mns.routes import mns_router
    from api.mns.signing import SigningKeys


def mns_workflows() -> list[type]:
    """Register these on the worker of the `task_queue` given to `mns_router`."""
    return [FnFMnsQueue, FnFMnsRegistry, FnFMnsPush]


def mns_activities(keys: SigningKeys) -> list[Any]:
    """Register these beside `mns_workflows()`, signing HTTP pushes with `keys`; imported on
    call, as they pull in httpx and cryptography."""
    from api.mns.push import mns_activities as activities

    return activities(keys)


def __getattr__(name: str) -> Any:
    if name == "mns_router":
        from api.mns.routes import mns_router

        return mns_router
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FnFMnsPush",
    "FnFMnsQueue",
    "FnFMnsRegistry",
    "mns_activities",
    "mns_router",
    "mns_workflows",
]
