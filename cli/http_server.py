"""uvicorn for `fnf api` and `fnf dev`, in a module of its own so that loading the `fnf api`
command's module (for its settings helpers, cli/api.py) does not load uvicorn."""

from __future__ import annotations

import asyncio
import http
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.protocol.request_head import MAX_REQUEST_HEAD_BYTES, head_too_large

LINGER_SECONDS: Final = 10.0
"""How long a refused request's connection keeps reading (and dropping) what the client still
sends, so that it reads the answer instead of a reset."""


def http_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration with `RequestHeadProtocol` and its head bound."""
    return uvicorn.Config(
        app,
        http=RequestHeadProtocol,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        **options,
    )


class RequestHeadProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a hard bound on a request's head and a readable answer
    past it.

    h11's own bound (`h11_max_incomplete_event_size`) only applies to a head that is still
    incomplete, so a longer head that arrives in one read (up to 256 KiB) passed, and one that
    did not got uvicorn's text/plain "Invalid HTTP request received." with the socket closed
    while the client was still sending its request line: the kernel answered the unread bytes
    with a TCP reset, so the client saw "connection reset" and never the 400. Here the head is
    counted as it arrives; once it is past MAX_REQUEST_HEAD_BYTES without its blank line, the
    request gets FnF's (or MNS's) error (api.protocol.request_head), the write side is shut
    (the answer is complete) and the rest of the request is read and dropped until the client
    closes, or for LINGER_SECONDS at most: the lingering close of RFC 9112 section 9.6. Other
    malformed requests keep uvicorn's answer, with the same lingering close.
    """

    _lingering: asyncio.TimerHandle | None = None
    _head_bytes = 0
    """Bytes received since the peer last finished a request head (a lower bound of the head
    that h11 is buffering: bytes that came with the end of the previous request are not
    counted); the exact buffer is looked at only once this passes the bound."""

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None:
            return  # the rest of a refused request, dropped
        if self.conn.their_state is not h11.IDLE:
            self._head_bytes = 0
            super().data_received(data)
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._limit():
            pending = self.conn.trailing_data[0] + data
            if _head_end(pending) > self._limit():
                self._refuse_head(pending)
                return
            self._head_bytes = 0
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, then a lingering close."""
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        self._answer_and_linger(400, headers, msg.encode())

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lingering is not None:
            self._lingering.cancel()
        super().connection_lost(exc)

    def _limit(self) -> int:
        return self.config.h11_max_incomplete_event_size or MAX_REQUEST_HEAD_BYTES

    def _refuse_head(self, pending: bytes) -> None:
        self._unset_keepalive_if_required()
        answer = head_too_large(pending, self._limit())
        self.logger.warning("A request head over %d bytes was refused.", self._limit())
        self._answer_and_linger(answer.status, answer.headers, answer.body)

    def _answer_and_linger(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        """Written as raw bytes: h11's state machine has no request to answer yet."""
        lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}".encode()]
        lines += [name + b": " + value for name, value in headers]
        lines += [b"content-length: " + str(len(body)).encode(), b"connection: close"]
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._lingering = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def _head_end(pending: bytes) -> int:
    """Where the head in `pending` ends (after its blank line), or past the end when it has not
    ended yet. h11 accepts bare LF line ends as well as CRLF."""
    found = _BLANK_LINE.search(pending)
    return found.end() if found else len(pending) + 1


_BLANK_LINE: Final = re.compile(rb"\r?\n\r?\n")


class HttpServer(uvicorn.Server):
    """uvicorn, stopped like every `fnf` command (cli/process.py) rather than by its own
    signal handlers: those re-raise the signal after uvicorn's shutdown, and SIGTERM's default
    action then ended the process before the workers and the embedded dev server were stopped.
    """

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve_until_cancelled(self) -> int:
        """Serve; when cancelled, stop accepting, let requests finish (HTTP_GRACE_SECONDS),
        then let the cancellation go on. uvicorn's status if it could not start (3: the port
        is taken)."""
        serving = asyncio.ensure_future(self._serve_to_status())
        try:
            return await asyncio.shield(serving)
        except asyncio.CancelledError:
            self.should_exit = True
            await serving
            raise

    async def _serve_to_status(self) -> int:
        """uvicorn ends a failed start with SystemExit, which asyncio would let out of the
        event loop past the workers' and the dev server's stop: here it is a status."""
        try:
            await self.serve()
        except SystemExit as failed:
            return failed.code if isinstance(failed.code, int) else 1
        return 0
