"""A port the command must listen on is checked before anything starts (the embedded dev
server, workers), so a port in use is one line naming it rather than a failure half-way up."""

from __future__ import annotations

import errno
import socket

from cli.errors import UserError


def ensure_free(host: str, port: int, option: str) -> None:
    """UserError when `host:port` cannot be listened on. The probe binds as uvicorn does
    (SO_REUSEADDR, so a port in TIME_WAIT counts as free) and closes at once."""
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
