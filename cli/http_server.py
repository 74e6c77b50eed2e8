"""uvicorn for `fnf api` and `fnf dev`, in a module of its own so that loading the `fnf api`
command's module (for its settings helpers, cli/api.py) does not load uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


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
