"""One Temporal dev server per database file.

`temporal server start-dev --db-filename F` does not stop a second server from opening the same
SQLite file while the first still runs, and two servers on one store corrupt each other's state
(shard ownership, task queues). So the embedded dev server takes an exclusive `flock(2)` on a
lock file beside the database (`F.lock`) before it starts, and the server process inherits the
locked descriptor: the lock is held while the `fnf` command *or* its server is alive, and the
kernel drops it when both are gone, however they ended (no stale lock after a crash or SIGKILL).

flock rather than fcntl record locks: record locks belong to a process and are not inherited
(fcntl(2)), while a flock belongs to the open file description every inherited descriptor
shares. The file records who holds it (pids, address, command) so that a refused start can say
which server to stop or connect to; the file itself is left in place, as removing a lock file
races with the next locker.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class DatabaseInUse(RuntimeError):
    """The database file is held by a live dev server: starting another would corrupt it."""

    def __init__(self, db_file: str, holder: dict[str, Any]) -> None:
        self.db_file = db_file
        self.holder = holder
        super().__init__(_describe(db_file, holder))


def _describe(db_file: str, holder: dict[str, Any]) -> str:
    server = f"pid {holder['server_pid']}" if "server_pid" in holder else "pid unknown"
    address = holder.get("address")
    facts = [server]
    if address:
        facts.append(f"at {address}")
    if "owner_pid" in holder:
        owner = f"started by pid {holder['owner_pid']}"
        if holder.get("command"):
            owner += f" ({holder['command']})"
        facts.append(owner)
    advice = "stop that process first"
    if address:
        advice += f", or use that server with --address {address}"
    return (
        f"the Temporal database {db_file} is in use by a running dev server "
        f"({', '.join(facts)}); {advice}"
    )


def lock_path(db_file: str) -> Path:
    return Path(f"{db_file}.lock")


@dataclass
class DatabaseLock:
    """An exclusive hold on a database file, kept for the life of its server."""

    db_file: str
    fd: int

    @classmethod
    def acquire(cls, db_file: str) -> DatabaseLock:
        """Take the lock, or raise DatabaseInUse naming its holder."""
        path = lock_path(db_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise DatabaseInUse(db_file, holder) from None
        except BaseException:
            os.close(fd)
            raise
        return cls(db_file, fd)

    def record(self, server_pid: int, address: str) -> None:
        """Write who holds the lock, for the message a refused start shows."""
        holder = {
            "server_pid": server_pid,
            "address": address,
            "owner_pid": os.getpid(),
            "command": " ".join(_command_line()),
        }
        data = json.dumps(holder).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def release(self) -> None:
        """Close this process's descriptor (the lock ends once the server's copy is closed too).
        Idempotent."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        holder = json.loads(text)
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _command_line() -> list[str]:
    """This process's command as a user would type it: `fnf api`, not the interpreter's path."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("fnf", "__main__.py", "main.py"):
        argv[0] = "fnf"
    return argv[:6]
