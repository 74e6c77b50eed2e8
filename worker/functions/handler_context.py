"""The `context` argument of an FC-style Python handler.

Handlers written for Function Compute read `context.request_id`, `context.function.name`,
`context.service.qualifier`, `context.region`, `context.account_id`, `context.credentials` and
log through `context.logger` (or the root logger, which FC configures too). Offering the same
attributes lets such handlers run unchanged. Stdlib only: it lives in the child process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

_current = threading.local()


@dataclass(frozen=True, slots=True)
class FunctionMeta:
    name: str
    handler: str
    timeout: float
    memory: int | None = None
    initializer: str | None = None
    """FC sets these two when the function has an initializer, else leaves them empty."""
    initialization_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class ServiceMeta:
    name: str
    qualifier: str | None
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """FC hands functions STS credentials of their role; locally there are none."""

    access_key_id: str = ""
    access_key_secret: str = ""
    security_token: str = ""


@dataclass(frozen=True, slots=True)
class FCContext:
    request_id: str
    function: FunctionMeta
    service: ServiceMeta
    region: str
    account_id: str
    logger: logging.Logger
    credentials: Credentials = Credentials()


def current_request_id() -> str:
    """The request the calling handler thread is serving ("" outside a request)."""
    return str(getattr(_current, "request_id", ""))


def set_current_request_id(request_id: str) -> None:
    _current.request_id = request_id


class RequestIdFilter(logging.Filter):
    """Stamps each log record with the request its thread serves, as FC's log lines show."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging() -> logging.Logger:
    """Root logger at INFO on stderr, FC's line format: time, request id, level, message."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(request_id)s [%(levelname)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return root
