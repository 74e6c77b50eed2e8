"""Every long-running command stops the same way, and leaves nothing running (real processes).

`fnf run`, `fnf worker` and `fnf api` each run here on their own embedded dev server with a
database file, and with a function instance busy in a handler (the flow's task naps for a
minute), so each has the children a user's has: the dev server, a function host and its
instance. The test records that process tree from /proc, stops the command, and checks that it
exits within a bound with the shell's status for the cause (128 + the signal; 141 for a closed
stdout), that every process of the tree is gone, and that the database is free for the next
start. SIGKILL of the command, which it cannot handle, must still take its children down.

Stopping is idempotent: more stop signals while a command stops (a second Ctrl-C, SIGTERM from a
service manager) change neither its status nor its orderly stop, and a signal at any moment from
the command's start on (while its modules load, while the dev server starts, while it serves)
stops it cleanly, so that start and Ctrl-C can follow each other on one port and one database.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from temporalio.client import Client

from translator import compile_text
from worker.database_lock import DatabaseInUse, DatabaseLock
from worker.execution import FlowRun
from worker.executions import start_execution

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)

FUNCTIONS = Path(__file__).parents[1] / "worker" / "fixtures" / "functions" / "functions.yaml"
FLOW = """\
version: v1
type: flow
steps:
  - type: task
    name: nap
    resourceArn: acs:fc:::services/demo/functions/nap
"""
NAP = '{"seconds": 60}'
DB = Path(".fnf") / "temporal.db"
STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
"""Bound on a clean stop: the dev server's own SIGTERM shutdown takes about 1.5 s here."""
ADDRESS = re.compile(r"embedded Temporal dev server at (\S+)")


@dataclass(frozen=True)
class Proc:
    """A process as /proc shows it; the start time tells a reused pid from the original."""

    pid: int
    ppid: int
    start: int
    state: str
    cmdline: str

    @classmethod
    def read(cls, pid: int) -> Proc | None:
        try:
            # Any process's name and arguments may hold bytes that are not UTF-8.
            stat = Path(f"/proc/{pid}/stat").read_bytes().decode(errors="replace")
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            cmdline = raw.replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2 :].split()
        return cls(pid, int(fields[1]), int(fields[19]), fields[0], cmdline)

    def alive(self) -> bool:
        """Still running: same pid and start time, and not a zombie awaiting its reaper."""
        now = Proc.read(self.pid)
        return now is not None and now.start == self.start and now.state != "Z"


def descendants(root: int) -> list[Proc]:
    processes = [p for p in map(Proc.read, _pids()) if p is not None]
    found: list[Proc] = []
    parents = {root}
    while True:
        children = [p for p in processes if p.ppid in parents and p not in found]
        if not children:
            return found
        found += children
        parents = {p.pid for p in children}


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def is_dev_server(process: Proc) -> bool:
    return "server start-dev" in process.cmdline


def is_function_host(process: Proc) -> bool:
    return "worker.functions.host" in process.cmdline


@dataclass
class Fnf:
    """One `fnf` command in a subprocess of the test, in `home` (where `.fnf/` lives)."""

    command: str
    home: Path
    process: subprocess.Popen[bytes]
    log: Path
    queue: str
    port: int | None
    seen: list[Proc] = field(default_factory=list)
    """Its process tree when last looked at (cleaned up after a failed test)."""
    started: float = field(default_factory=time.monotonic)

    @property
    def db(self) -> Path:
        return self.home / DB

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def address(self) -> str:
        found = ADDRESS.search(self.output())
        assert found, self.output()
        return found.group(1)

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready():
            assert self.process.poll() is None, f"{what}: exited\n{self.output()}"
            assert time.monotonic() < deadline, f"{what}: timed out\n{self.output()}"
            time.sleep(0.05)

    def busy_tree(self) -> list[Proc]:
        """Wait until a dev server and a function instance (host and its fork) run under the
        command; its whole process tree then."""
        tree: list[Proc] = []

        def busy() -> bool:
            nonlocal tree
            tree = self.seen = descendants(self.process.pid)
            hosts = [p for p in tree if is_function_host(p)]
            return any(map(is_dev_server, tree)) and len(hosts) >= 2

        self.wait_for(busy, f"fnf {self.command} with a busy function instance")
        return tree

    def exit_status(self) -> int:
        try:
            return self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"fnf {self.command} did not exit within {STOP_SECONDS:g} s")


def start_fnf(
    command: str,
    home: Path,
    *,
    stdout: int | None = None,
    port: int | None = None,
    flow_input: str = NAP,
) -> Fnf:
    queue = f"shutdown-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, "-m", "cli", command]
    if command == "run":
        flow = home / "nap.yaml"
        flow.write_text(FLOW)
        argv += [str(flow), "--input", flow_input]
    if command == "api":
        port = port or _free_port()
        argv += ["--port", str(port)]
    argv += [] if command == "run" else ["--task-queue", queue]
    env = {
        **os.environ,
        "FNF_FUNCTIONS": str(FUNCTIONS),
        "FNF_TASK_QUEUE": queue,
        "FNF_API_TASK_QUEUE": f"{queue}-api",
        "FNF_ALLOW_UNSIGNED": "true",
    }
    env.pop("FNF_TEMPORAL_ADDRESS", None)
    if command != "api":  # `fnf api` keeps .fnf/temporal.db by default; the others are told
        env["FNF_DEV_SERVER_DB"] = str(DB)
    log = home / f"{command}-{queue}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink if stdout is None else stdout,
            stderr=sink,
            start_new_session=True,  # the test's signals go to the command only
            preexec_fn=_interruptible,
        )
    return Fnf(command, home, process, log, queue, port)


def _interruptible() -> None:
    """SIGINT as a terminal's Ctrl-C finds it, even when the tests run as a background job
    (which ignores SIGINT, and `fnf` keeps a signal ignored that it was started with)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def make_busy(fnf: Fnf) -> list[Proc]:
    """Have the command run a function (`fnf run` does so by itself; the serving commands get
    an execution on their task queue), and return its process tree while it naps."""
    if fnf.command != "run":
        fnf.wait_for(lambda: ADDRESS.search(fnf.output()) is not None, "embedded server")
        client = await Client.connect(fnf.address())
        run = FlowRun(
            graph=dict(compile_text(FLOW)),
            input={"seconds": 60},
            flow_name="nap",
            execution_name=f"nap-{uuid.uuid4()}",
        )
        await start_execution(client, fnf.queue, run)
    return fnf.busy_tree()


def assert_all_gone(tree: list[Proc], seconds: float = STOP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while (left := [p for p in tree if p.alive()]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"still running: {[(p.pid, p.cmdline[:80]) for p in left]}"


def assert_database_free(db: Path, seconds: float = 5.0) -> None:
    """The next start may take the database (DatabaseInUse otherwise). A moment may pass
    between a server's main thread showing as ended and its last thread closing its files."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            DatabaseLock.acquire(str(db)).release()
            return
        except DatabaseInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


COMMANDS = ["run", "worker", "api"]
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
NOISE = re.compile(r"Traceback|Aborted|Exception ignored|KeyboardInterrupt|CancelledError")
"""What a clean stop never prints: a traceback, click's "Aborted!", an error at teardown."""
REPEAT_SECONDS = 0.05


def stop_repeatedly(fnf: Fnf, first: int, then: list[int]) -> int:
    """Send `first`, then the signals of `then` over and over until the command exits (a user
    pressing Ctrl-C again, a service manager following up; none when `then` is empty); its
    exit status. Every process the command has while it stops is added to `fnf.seen`."""
    fnf.process.send_signal(first)
    deadline = time.monotonic() + STOP_SECONDS
    sent = 0
    while fnf.process.poll() is None:
        if time.monotonic() > deadline:
            pytest.fail(f"fnf {fnf.command} did not exit within {STOP_SECONDS:g} s")
        fnf.seen += descendants(fnf.process.pid)
        time.sleep(REPEAT_SECONDS)
        if then:
            with contextlib.suppress(ProcessLookupError):
                fnf.process.send_signal(then[sent % len(then)])
            sent += 1
    return fnf.exit_status()


def assert_stopped_cleanly(fnf: Fnf, status: int) -> None:
    """The command exited with `status`, printed no noise, and had stopped its children and
    freed its database and port by the time it exited (not later, by the kernel)."""
    assert fnf.exit_status() == status, fnf.output()
    assert not NOISE.search(fnf.output()), fnf.output()
    assert_all_gone(fnf.seen, seconds=1.0)  # as the single-signal stop always allowed
    DatabaseLock.acquire(str(fnf.db)).release()  # no wait: the command waited for its server
    if fnf.port is not None:
        with socket.socket() as again:  # as uvicorn binds: SO_REUSEADDR, TIME_WAIT is fine
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", fnf.port))


@pytest.mark.parametrize(
    ("command", "first"),
    [("run", signal.SIGHUP), ("worker", signal.SIGTERM), ("api", signal.SIGINT)],
    ids=["run-SIGHUP", "worker-SIGTERM", "api-SIGINT"],
)
async def test_a_signal_stops_the_command_and_everything_it_started(
    command: str, first: int, tmp_path: Path, commands: list[Fnf]
) -> None:
    """The first signal decides the status; the same and the other stop signals, sent again
    and again while the command stops, change nothing. Each command meets every signal, and
    each signal is once the first."""
    fnf = start_fnf(command, tmp_path)
    commands.append(fnf)
    await make_busy(fnf)

    status = stop_repeatedly(fnf, first, [first, *(s for s in SIGNALS if s != first)])

    assert_stopped_cleanly(fnf, 128 + first)
    assert status == 128 + first


READY = {"api": "FnF API on", "worker": "Ctrl-C stops it", "run": "execution "}
"""What each command prints once it serves (`fnf run`: once its execution has started)."""


def handles_stop_signals(fnf: Fnf) -> bool:
    """The process catches SIGTERM: `fnf` has installed its handlers (Python alone catches
    only SIGINT), the earliest moment a stop can be handled."""
    try:
        status = Path(f"/proc/{fnf.process.pid}/status").read_text()
    except OSError:
        return False
    caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)  # type: ignore[union-attr]
    return bool(caught >> (signal.SIGTERM - 1) & 1)


MOMENTS_OF = {"api": None, "worker": ("loading", "dev server up"), "run": ("starting", "serving")}
"""`fnf api` goes through every moment; the others share its stop path (cli/process.py) and
go through two each, to keep the file fast (test_a_signal_stops_... covers them busy)."""


@pytest.mark.parametrize("command", COMMANDS)
def test_start_and_ctrl_c_again_and_again(
    command: str, tmp_path: Path, commands: list[Fnf]
) -> None:
    """Start/Ctrl-C cycles on one database (and, for the API, one port), each interrupted at
    another moment: as soon as signals are handled (its modules still loading), a little later
    (options, settings, the dev server starting), once the dev server is up, once it serves,
    and once it serves with Ctrl-C pressed again and again. Every stop is clean and the next
    start finds everything free."""
    port = _free_port() if command == "api" else None
    moments: list[tuple[str, Callable[[Fnf], bool], list[int]]] = [
        ("handlers installed", handles_stop_signals, []),
        ("loading", _after(0.3), []),
        ("starting", _after(0.8), []),
        ("dev server up", lambda fnf: ADDRESS.search(fnf.output()) is not None, []),
        ("serving", lambda fnf: READY[command] in fnf.output(), []),
        (
            "serving, Ctrl-C again",
            lambda fnf: READY[command] in fnf.output(),
            [signal.SIGINT, signal.SIGINT, signal.SIGTERM],
        ),
    ]
    chosen = MOMENTS_OF[command]
    for moment, ready, then in moments:
        if chosen is not None and moment not in chosen:
            continue
        fnf = start_fnf(command, tmp_path, port=port)
        commands.append(fnf)
        fnf.wait_for(lambda fnf=fnf, ready=ready: ready(fnf), f"{command}: {moment}")  # type: ignore[misc]

        stop_repeatedly(fnf, signal.SIGINT, then)

        assert_stopped_cleanly(fnf, 130)


def _after(seconds: float) -> Callable[[Fnf], bool]:
    def elapsed(fnf: Fnf) -> bool:
        return time.monotonic() - fnf.started >= seconds

    return elapsed


async def test_run_stops_when_its_output_is_closed(tmp_path: Path, commands: list[Fnf]) -> None:
    """`fnf run ... | head -1`: the reader leaves while the flow naps and nothing is printed."""
    fnf = start_fnf("run", tmp_path, stdout=subprocess.PIPE)
    commands.append(fnf)
    assert fnf.process.stdout is not None
    first_line = fnf.process.stdout.readline()
    assert first_line, fnf.output()
    tree = fnf.busy_tree()

    fnf.process.stdout.close()

    assert fnf.exit_status() == 141, fnf.output()
    assert_all_gone(tree, seconds=1.0)
    assert_database_free(fnf.db)
    assert "Traceback" not in fnf.output()


async def test_run_stops_when_its_output_socket_is_closed(
    tmp_path: Path, commands: list[Fnf]
) -> None:
    """Output to a socket (a service manager's log stream) cannot be watched like a pipe: the
    next write finds it closed, and the command stops the same way, with the same status."""
    ours, theirs = socket.socketpair()
    fnf = start_fnf("run", tmp_path, stdout=theirs.fileno(), flow_input='{"seconds": 2}')
    theirs.close()
    commands.append(fnf)
    with ours, ours.makefile("rb") as lines:
        assert lines.readline(), fnf.output()
    fnf.seen = descendants(fnf.process.pid)

    assert fnf.exit_status() == 141, fnf.output()
    assert_all_gone(fnf.seen, seconds=1.0)
    assert_database_free(fnf.db)
    assert "Traceback" not in fnf.output()


@pytest.mark.parametrize("command", COMMANDS)
async def test_children_do_not_outlive_a_killed_command(
    command: str, tmp_path: Path, commands: list[Fnf]
) -> None:
    fnf = start_fnf(command, tmp_path)
    commands.append(fnf)
    tree = await make_busy(fnf)

    fnf.process.kill()  # SIGKILL: the command cannot stop anything itself

    assert fnf.process.wait(STOP_SECONDS) == -signal.SIGKILL
    assert_all_gone(tree)
    assert_database_free(fnf.db)


def test_a_held_database_is_refused_then_free_after_a_stop(
    tmp_path: Path, commands: list[Fnf]
) -> None:
    """Every command on the database of a running `fnf api` says who holds it and exits without
    starting a second server; once the first stops, the next `fnf api` starts on it."""
    first = start_fnf("api", tmp_path)
    commands.append(first)
    first.wait_for(lambda: "FnF API on" in first.output(), "first fnf api")
    server = next(p for p in descendants(first.process.pid) if is_dev_server(p))

    refused = [start_fnf(command, tmp_path) for command in COMMANDS]
    commands.extend(refused)
    for second in refused:
        assert second.process.wait(STARTUP_SECONDS) == 1, second.output()
        message = second.output()
        assert "is in use by a running dev server" in message, message
        assert f"pid {server.pid}" in message, message
        assert f"started by pid {first.process.pid}" in message, message
        assert f"--address {first.address()}" in message, message
        assert not ADDRESS.search(message)  # no second server was started
    servers = [p.pid for p in descendants(first.process.pid) if is_dev_server(p)]
    assert servers == [server.pid]

    first.process.send_signal(signal.SIGTERM)
    assert first.exit_status() == 143
    again = start_fnf("api", tmp_path, port=first.port)
    commands.append(again)
    again.wait_for(lambda: "FnF API on" in again.output(), "fnf api again")
    again.process.send_signal(signal.SIGTERM)
    assert again.exit_status() == 143, again.output()
