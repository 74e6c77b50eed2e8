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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORPHAN_STOP_SECONDS = 30.0
"""Longest a start waits for a server whose owner was killed to stop by itself: the server's
clean shutdown after SIGTERM takes a few seconds, longer on a loaded machine."""
ORPHAN_POLL_SECONDS = 0.1


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
    def acquire(cls, db_file: str, orphan_wait: float = ORPHAN_STOP_SECONDS) -> DatabaseLock:
        """Take the lock, or raise DatabaseInUse naming its holder. A holder whose owner is
        gone (an `fnf` command killed with SIGKILL) is a server stopping on its own: the kernel
        sent it SIGTERM (worker/lifetime.py) and it closes its store cleanly before the lock
        drops. A start right after the kill, the natural restart, waits up to `orphan_wait`
        seconds for that instead of being refused."""
        path = lock_path(db_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + orphan_wait
        try:
            while not _try_lock(fd):
                holder = _read_holder(fd)
                if not _owner_gone(holder) or time.monotonic() >= deadline:
                    raise DatabaseInUse(db_file, holder)
                time.sleep(ORPHAN_POLL_SECONDS)
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


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner_gone(holder: dict[str, Any]) -> bool:
    """Whether the `fnf` process that started the holding server no longer exists."""
    owner = holder.get("owner_pid")
    if not isinstance(owner, int) or owner <= 0 or owner == os.getpid():
        return False
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by another user
    return False


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
