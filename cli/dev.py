"""`fnf dev`: the whole system in one command, for one machine.

It starts the embedded Temporal dev server on fixed ports with its database and Web UI
(worker/devserver.py), then the same app `fnf api` serves (the FnF API, MNS, the API's worker
and an execution worker), optionally creates the examples' flows through the API's own
CreateFlow, writes where everything is to `<data>/dev.json` (cli/devstate.py, read by the other
`fnf` commands) and prints every address. Everything lives in the data folder (`.fnf/`): the
Temporal database (`temporal.db`, so flows and executions are there again at the next start),
the AccessKey pair the API accepts (`access-keys.yaml`, created once), the key the MNS push
signing key is sealed with in Temporal (`mns-sealing.key`, created once, api/mns/sealing.py)
and the state file.

Every port is checked before anything starts, so a taken port is one line, not a half-started
system. It stops like every long-running command (cli/process.py): the first SIGINT, SIGTERM or
SIGHUP stops the HTTP server, the workers and then the dev server; further signals change
nothing. The state file goes first, so no command is sent to a system that is stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from api.actions import ACTIONS, ApiContext, Params
from api.protocol.errors import FnFError
from api.services.executions import ExecutionService
from api.services.schedules import ScheduleService
from api.store.flows import FlowStore
from cli import devstate
from cli.api import mns_settings, sealing_key, serve
from cli.connection import DATABASE_IN_USE_STATUS
from cli.errors import UserError, say_error
from cli.options import CONNECTION_SETTINGS, FunctionsOpt, NamespaceOpt, TaskQueueOpt
from cli.ports import ensure_free
from cli.process import CommandConsole, run_until_stopped
from worker.connection import connect_temporal
from worker.devserver import DatabaseInUse, DevServer, DevServerOptions, host_port
from worker.functions import FunctionRegistry
from worker.naming import executions_only_url
from worker.settings import Settings

API_PORT = 8080
TEMPORAL_PORT = 7233
UI_PORT = 8233
"""The ports `temporal server start-dev` uses by default, so its documentation applies."""
DEV_ACCESS_KEY_ID = "fnf-dev"
KEYS_FILE = "access-keys.yaml"
DB_FILE = "temporal.db"
READY_SECONDS = 60.0
UI_SECONDS = 10.0
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class DevPlan:
    """What `fnf dev` runs, decided before anything starts."""

    host: str
    api_port: int
    temporal_port: int
    ui_port: int | None
    data: Path
    examples: Path | None
    settings: Settings

    @property
    def api_url(self) -> str:
        return f"http://{host_port(_local(self.host), self.api_port)}"


def dev(
    port: Annotated[int, typer.Option("--port", help="Port of the FnF API and MNS")] = API_PORT,
    temporal_port: Annotated[
        int, typer.Option("--temporal-port", help="Port of Temporal's gRPC frontend")
    ] = TEMPORAL_PORT,
    ui_port: Annotated[
        int, typer.Option("--ui-port", help="Port of the Temporal Web UI")
    ] = UI_PORT,
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Serve the Temporal Web UI")] = True,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    data: Annotated[
        Path, typer.Option("--data", help="Folder of the database, keys and state file")
    ] = devstate.DEFAULT_DATA,
    examples: Annotated[
        bool,
        typer.Option("--examples", help="Create the examples' flows and serve their functions"),
    ] = False,
    functions: FunctionsOpt = None,
    namespace: NamespaceOpt = None,
    task_queue: TaskQueueOpt = None,
) -> None:
    """Run Temporal (with its Web UI), a worker, the FnF API and MNS until Ctrl-C; data in
    .fnf/ is kept for the next start. Other `fnf` commands started in the same folder (task,
    run, call, flow, exec, schedule) use this system without --address or --endpoint."""
    if (running := devstate.running(data)) is not None:
        raise UserError(
            f"fnf dev already runs with data in {data} (pid {running.pid}, API {running.api}); "
            "stop it first"
        )
    ensure_free(host, port, "--port")
    ensure_free(host, temporal_port, "--temporal-port")
    if ui:
        ensure_free(host, ui_port, "--ui-port")
    mns_settings()  # an unusable FNF_MNS_* value: one line, before anything starts
    plan = DevPlan(
        host=host,
        api_port=port,
        temporal_port=temporal_port,
        ui_port=ui_port if ui else None,
        data=data,
        examples=_examples_folder() if examples else None,
        settings=_settings(data, examples, functions, namespace, task_queue),
    )
    FunctionRegistry.load_all(plan.settings.functions)  # a bad registry: one line, first
    sealing_key(plan.settings)  # the data folder's sealing key, made once (api/mns/sealing.py)
    run_until_stopped(run_dev(plan, CommandConsole(), CommandConsole(stderr=True)))


def _settings(
    data: Path,
    examples: bool,
    functions: list[Path] | None,
    namespace: str | None,
    task_queue: str | None,
) -> Settings:
    """FNF_* settings with the options on top; `--examples` adds examples/functions.yaml to
    the registries."""
    given: dict[str, Any] = {"namespace": namespace, "task_queue": task_queue}
    given["functions"] = functions
    settings = Settings(**{key: value for key, value in given.items() if value is not None})
    if examples:
        registries = [*settings.functions, _examples_folder() / "functions.yaml"]
        settings = settings.model_copy(update={"functions": registries})
    data.mkdir(parents=True, exist_ok=True)
    plain = dict.fromkeys(CONNECTION_SETTINGS)  # its own dev server speaks plaintext
    return settings.model_copy(
        update={
            "access_keys_file": dev_keys(data).resolve(),
            "dev_server_db": data / DB_FILE,
            **plain,
        }
    )


def dev_keys(data: Path) -> Path:
    """The data folder's AccessKey file, created once with a random secret (readable by its
    owner only). The API accepts it besides FNF_ACCESS_KEYS / FNF_ACCESS_KEYS_FILE."""
    path = data / KEYS_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"{DEV_ACCESS_KEY_ID}: {secrets.token_hex(16)}\n")
    return path


def _examples_folder() -> Path:
    """examples/ of the repository this package runs from, else of the current folder."""
    for folder in (Path(__file__).resolve().parents[1] / "examples", Path("examples")):
        if (folder / "functions.yaml").is_file():
            return folder
    raise typer.BadParameter(
        "no examples/ folder beside the package or here", param_hint="--examples"
    )


async def run_dev(plan: DevPlan, console: Console, errors: Console) -> int:
    """Serve until stopped; 0 after a stop, or the status of a part that could not start."""
    options = DevServerOptions(
        port=plan.temporal_port,
        ui_port=plan.ui_port,
        db_file=str(plan.settings.dev_server_db),
        namespace=plan.settings.namespace,
        ip=plan.host,
    )
    try:
        with errors.status("starting the Temporal dev server"):
            server = await DevServer.start(options)
    except DatabaseInUse as held:
        say_error(str(held))
        return DATABASE_IN_USE_STATUS
    async with server:  # stopped last, after the API and the workers
        address = host_port(_local(plan.host), plan.temporal_port)
        ui_at = (
            None if plan.ui_port is None else f"http://{host_port(_local(plan.host), plan.ui_port)}"
        )
        settings = plan.settings.model_copy(
            update={
                "temporal_address": address,
                "dev_server_db": None,
                "temporal_ui_url": plan.settings.temporal_ui_url or ui_at,
            }
        )
        serving = asyncio.ensure_future(serve(settings, plan.host, plan.api_port, True, errors))
        try:
            if not await _until_answers(serving, plan.api_url + "/openapi.json"):
                return await serving  # the API could not start (its message is printed)
            loaded = await load_examples(address, settings, plan.examples)
            ui_url = await _ui_served(ui_at)
            state = devstate.DevState(
                pid=os.getpid(),
                api=plan.api_url,
                temporal_address=address,
                namespace=settings.namespace,
                ui=ui_url,
                access_keys_file=str(plan.settings.access_keys_file),
            )
            state.write(plan.data)
            _print_ready(console, plan, state, loaded, ui_at)
            return await serving
        finally:
            devstate.remove(plan.data, os.getpid())
            if not serving.done():
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving


async def _until_answers(serving: asyncio.Future[int], url: str) -> bool:
    """Whether the API answers `url` before it ends or READY_SECONDS pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_SECONDS
    async with httpx.AsyncClient(timeout=1.0) as http:
        while not serving.done() and loop.time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return True
            await asyncio.sleep(_POLL_SECONDS)
    return False


async def _ui_served(url: str | None) -> str | None:
    """`url` once the Web UI answers there; None if it does not within UI_SECONDS (a
    `temporal` build without the UI, or a UI that failed to start)."""
    if url is None:
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UI_SECONDS
    async with httpx.AsyncClient(timeout=1.0) as http:
        while loop.time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code < 500:
                    return url
            await asyncio.sleep(_POLL_SECONDS)
    return None


@dataclass(frozen=True)
class Loaded:
    created: list[str]
    present: list[str]
    refused: list[str]


async def load_examples(address: str, settings: Settings, folder: Path | None) -> Loaded | None:
    """CreateFlow, through the API's own action, for every `examples/<name>/flow.yaml` (the
    flow is named after its folder). A flow that exists is left as it is: the user may have
    changed it, and a restart keeps what was there."""
    if folder is None:
        return None
    client = await connect_temporal(address, settings.namespace)  # its own server: plaintext
    store = FlowStore(client, settings.api_task_queue)
    context = ApiContext(
        client,
        store,
        ExecutionService(
            client,
            store,
            settings.task_queue,
            True,
            settings.run_options(),
            settings.redrive_limits(),
        ),
        ScheduleService(client, store, settings.api_task_queue),
        settings.region,
    )
    flows = sorted(folder.glob("*/flow.yaml"))
    outcomes = await asyncio.gather(*(_create(context, flow) for flow in flows))
    return Loaded(
        created=[name for name, code in outcomes if code is None],
        present=[name for name, code in outcomes if code == "FlowAlreadyExists"],
        refused=[
            f"{name} ({code})" for name, code in outcomes if code not in (None, "FlowAlreadyExists")
        ],
    )


async def _create(context: ApiContext, flow: Path) -> tuple[str, str | None]:
    name = flow.parent.name
    params = Params(
        {
            "Name": name,
            "Definition": flow.read_text(encoding="utf-8"),
            "Description": f"examples/{name} of fnf-temporal",
            "Type": "FDL",
        }
    )
    try:
        await ACTIONS["CreateFlow"](context, params)
    except FnFError as error:
        return name, error.code
    return name, None


def _print_ready(
    console: Console, plan: DevPlan, state: devstate.DevState, loaded: Loaded | None, ui: str | None
) -> None:
    rows = [
        ("FnF API and MNS", f"{state.api}  (docs: {state.api}/docs)"),
        (
            "Temporal gRPC",
            f"{state.temporal_address}  (namespace {state.namespace}, "
            f"task queue {plan.settings.task_queue})",
        ),
    ]
    if state.ui is not None:
        rows.append(("Temporal Web UI", state.ui))
        rows.append(("  executions", executions_only_url(state.ui, state.namespace)))
    elif ui is not None:
        rows.append(("Temporal Web UI", f"not served at {ui} (this `temporal` has no UI)"))
    else:
        rows.append(("Temporal Web UI", "off (--no-ui)"))
    rows.append(("AccessKey", f"{DEV_ACCESS_KEY_ID}, secret in {state.access_keys_file}"))
    rows.append(("data", f"{plan.data} (kept for the next start)"))
    state_file = plan.data / devstate.STATE_FILE
    rows.append(("state", f"{state_file}: other `fnf` commands in this folder use this system"))
    if loaded is not None:
        summary = f"{len(loaded.created)} created, {len(loaded.present)} already there"
        if loaded.refused:
            summary += f", refused: {', '.join(loaded.refused)}"
        rows.append(("example flows", summary))
    console.print("fnf dev is ready:", highlight=False)
    for label, value in rows:
        console.print(f"  {label:<16} {value}", highlight=False, markup=False, soft_wrap=True)
    console.print("Ctrl-C stops everything.", highlight=False)


def _local(host: str) -> str:
    """The address a client on this machine uses for a server listening on `host`."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
