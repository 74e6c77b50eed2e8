"""The JSON-lines conversation between the worker and a function instance (`host.py`).

One JSON object per line. The worker writes requests to the instance's stdin; the instance
answers on its *original* stdout, which it keeps for itself before pointing file descriptor 1 at
stderr, so nothing a handler prints can corrupt an answer. Answers carry the request's `id`, as
many requests run at once and finish in any order.

worker -> instance:  {"id": 7, "event": "<the JSON text of the input>", "request_id": ..., ...}
instance -> worker:  {"op": "ready", "pid": 123, "maxrss_kb": 9800}
                     {"op": "load_error", "error": "FC.Unknown", "cause": "..."}
                     {"op": "initialized", "maxrss_kb": 9900}     (after the initializer ran)
                     {"op": "init_error", "error": "Name", "cause": "...", "maxrss_kb": ...}
                     {"op": "result", "id": 7, "ok": true, "output": <JSON>, "maxrss_kb": ...}
                     {"op": "result", "id": 7, "ok": false, "error": "Name", "cause": "...", ...}
                     {"op": "exit", "code": -9, "maxrss_kb": 10240}   (from the supervisor)

Stdlib only: the child imports this before the handler's module.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypedDict

STREAM_LIMIT = 256 * 1024 * 1024
"""Longest line either side reads (asyncio's default of 64 KiB is far too small for outputs)."""


class InitializerSpec(TypedDict):
    """FC's initializer hook of the instance: run once, after `ready`, before any request."""

    handler: str
    module_file: str | None
    module: str | None
    attribute: str
    timeout: float
    request_id: str
    """The request that started the instance: the initializer's `context.request_id`."""


class HostSpec(TypedDict):
    """What an instance serves, given to it as its one command-line argument."""

    key: str
    service: str
    qualifier: str | None
    function: str
    handler: str
    module_file: str | None
    module: str | None
    attribute: str
    base_dir: str
    timeout: float
    concurrency: int
    initializer: InitializerSpec | None


class Request(TypedDict):
    id: int
    event: str
    """The event bytes as text; undecodable bytes travel as lone surrogates (surrogateescape)."""
    request_id: str
    region: str
    account_id: str


class Ready(TypedDict):
    op: Literal["ready"]
    pid: int
    maxrss_kb: int


class LoadError(TypedDict):
    op: Literal["load_error"]
    error: str
    cause: str


class Initialized(TypedDict):
    op: Literal["initialized"]
    maxrss_kb: int


class InitError(TypedDict):
    op: Literal["init_error"]
    error: str
    cause: str
    maxrss_kb: int


class Success(TypedDict):
    op: Literal["result"]
    id: int
    ok: Literal[True]
    output: Any
    maxrss_kb: int


class Failure(TypedDict):
    op: Literal["result"]
    id: int
    ok: Literal[False]
    error: str
    cause: str
    maxrss_kb: int


class Exited(TypedDict):
    op: Literal["exit"]
    code: int
    """As subprocess reports it: the exit status, or minus the signal number."""
    maxrss_kb: int


Message = Ready | LoadError | Initialized | InitError | Success | Failure | Exited


def encode(message: Request | Message | HostSpec) -> bytes:
    """One compact line. NaN and Infinity are refused: they are not JSON."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError(f"protocol line is not an object: {line[:200]!r}")
    return value


def event_to_text(event: bytes) -> str:
    return event.decode("utf-8", "surrogateescape")


def text_to_event(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
