"""The MNS facade: queues and topics over MNS's REST/XML protocol, kept in Temporal.

    mns_workflows()   the workflow classes to register on the API's own worker task queue
    mns_router(...)   the FastAPI router serving /queues and /topics (see `api.mns.routes`)

`mns_router` is imported on first use (PEP 562): the workflow sandbox imports this package
whenever it loads `api.mns.queue_entity`, and must not pull FastAPI in with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.mns.queue_entity import FnFMnsQueue
from api.mns.registry_entity import FnFMnsRegistry

if TYPE_CHECKING:
    from api.mns.routes import mns_router


def mns_workflows() -> list[type]:
    """Register these on the worker of the `task_queue` given to `mns_router`."""
    return [FnFMnsQueue, FnFMnsRegistry]


def __getattr__(name: str) -> Any:
    if name == "mns_router":
        from api.mns.routes import mns_router

        return mns_router
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FnFMnsQueue", "FnFMnsRegistry", "mns_router", "mns_workflows"]
