"""A port the command must listen on is checked before anything starts (the embedded dev
server, workers), so a port in use is one line naming it rather than a failure half-way up."""

from __future__ import annotations

import errno
import socket

from cli.errors import UserError

MAX_PORT = 65535


def ensure_free(host: str, port: int, option: str) -> None:
    """UserError when `host:port` cannot be listened on. The probe binds as uvicorn does
    (SO_REUSEADDR, so a port in TIME_WAIT counts as free) and closes at once. A port outside
    1-65535 is refused first: past 65535 the probe's bind raises OverflowError (a traceback),
    and 0 would listen on a port the kernel picks, which the printed address, dev.json and the
    worker's own MNS endpoint could not name."""
    if not 1 <= port <= MAX_PORT:
        raise UserError(f"{option} {port} is not a port: use a number from 1 to {MAX_PORT}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is in use (another `fnf api` or Temporal?); "
                    f"stop it or choose another with {option}"
                ) from None
            raise UserError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
