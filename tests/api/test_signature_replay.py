"""A captured signed request is refused for its whole window, whichever API process it reaches
and however often the API restarted: used SignatureNonces are kept in Temporal
(api/store/nonces.py), not only in one process's memory.

The requests here are captured the way an eavesdropper would: the exact signed query (RPC) or
the exact headers and body (JSON form), sent again byte for byte. StartExecution without an
ExecutionName is the dangerous case: each accepted copy creates another execution.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from api.protocol.header_signature import signed_headers
from api.protocol.nonces import UsedNonce
from api.protocol.signature import TIMESTAMP_FORMAT, sign, string_to_sign
from api.store.nonces import TemporalNonceLedger, nonce_workflow_id
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer, start_api
from tests.api.test_every_action_both_sdks import legacy_sdk, wait_for
from worker.devserver import DevServer, DevServerOptions

PASS_FLOW = "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: p\n"


@dataclass(frozen=True)
class Captured:
    """One signed request as it went over the wire, ready to be sent again unchanged."""

    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def send(self, server: ApiServer) -> httpx.Response:
        url = f"http://{server.endpoint}{self.path}"
        if self.query:
            return httpx.get(url, params=self.query, timeout=30)
        return httpx.post(url, content=self.body, headers=self.headers, timeout=30)


def captured_rpc(action: str, **params: str) -> Captured:
    """An RPC v1 call signed like the SDKs sign it, with a fresh SignatureNonce."""
    signed = {
        "Action": action,
        "Version": "2019-03-15",
        "Format": "JSON",
        "AccessKeyId": ACCESS_KEY_ID,
        "Timestamp": datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        **params,
    }
    signature = sign(string_to_sign("GET", signed), ACCESS_KEY_SECRET)
    return Captured("/", query={**signed, "Signature": signature})


def captured_form(action: str, params: dict[str, Any]) -> Captured:
    """A JSON-form call signed with the FNF-HMAC-SHA256 headers, with a fresh nonce."""
    path, body = f"/actions/{action}", json.dumps(params).encode()
    headers = signed_headers(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "POST", path, body)
    return Captured(path, headers={**headers, "content-type": "application/json"}, body=body)


def code_of(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, str(answer.json().get("Code", ""))


def start_both(address: str, folder: Path, tag: str, *ports: int) -> tuple[ApiServer, ApiServer]:
    """Two `fnf api` processes on the same queues (logs a.log and b.log), started at once."""
    first, second = ports or (None, None)
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(start_api, address, folder / "a.log", tag, first)
        b = pool.submit(start_api, address, folder / "b.log", tag, second)
        return a.result(), b.result()


def kill(server: ApiServer) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)


def stop(server: ApiServer) -> None:
    server.process.terminate()
    server.process.wait(timeout=30)


NONCE_USED = (400, "SignatureNonceUsed")


def test_captured_calls_are_refused_after_a_restart_and_by_another_process(
    dev_server_address: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    first, second = start_both(dev_server_address, tmp_path, tag)
    try:
        flow = f"replay_{tag}"
        legacy_sdk(first)("CreateFlow", Name=flow, Definition=PASS_FLOW, Description="", Type="FDL")
        rpc = captured_rpc("StartExecution", FlowName=flow)
        form = captured_form("StartExecution", {"FlowName": flow})
        assert rpc.send(first).status_code == 200
        assert form.send(second).status_code == 200
        for replay in (rpc, form):
            assert code_of(replay.send(first)) == NONCE_USED
            assert code_of(replay.send(second)) == NONCE_USED

        # Both forget everything they held: the one that saw both nonces is killed, the
        # other stopped; neither holds a nonce in memory once both are back.
        kill(first)
        stop(second)
        first, second = start_both(dev_server_address, tmp_path, tag, first.port, second.port)
        for replay in (rpc, form):
            assert code_of(replay.send(first)) == NONCE_USED
            assert code_of(replay.send(second)) == NONCE_USED

        # Fresh nonces still work, in either process and either form.
        assert captured_rpc("StartExecution", FlowName=flow).send(second).status_code == 200
        assert captured_form("StartExecution", {"FlowName": flow}).send(first).status_code == 200
        listed = wait_for(
            lambda: legacy_sdk(second)("ListExecutions", FlowName=flow),
            lambda body: len(body["Executions"]) >= 4,
        )
        time.sleep(0.5)  # a replay that slipped through would show up by now
        listed = legacy_sdk(first)("ListExecutions", FlowName=flow)
        assert len(listed["Executions"]) == 4
    finally:
        for server in (first, second):
            if server.process.poll() is None:
                stop(server)


async def test_the_ledger_refuses_a_nonce_from_any_client_and_runs_nothing(
    dev_server_address: str,
) -> None:
    one, other = await Client.connect(dev_server_address), await Client.connect(dev_server_address)
    first, second = TemporalNonceLedger(one), TemporalNonceLedger(other)
    now = datetime.now(UTC)
    used = UsedNonce(ACCESS_KEY_ID, f"n-{uuid.uuid4().hex}", now + timedelta(minutes=15))
    assert await first.record(used, now)
    assert not await first.record(used, now)
    assert not await second.record(used, now)
    assert await second.record(UsedNonce("otherAK", used.nonce, used.expires), now)

    # A nonce whose window is nearly over: Temporal closes its workflow by itself, no task is
    # ever scheduled (nobody polls), and the closed id still refuses the nonce.
    short = UsedNonce(ACCESS_KEY_ID, f"s-{uuid.uuid4().hex}", now + timedelta(seconds=1))
    assert await first.record(short, now)
    handle = one.get_workflow_handle(nonce_workflow_id(short.access_key_id, short.nonce))
    deadline = time.monotonic() + 20
    while (await handle.describe()).status != WorkflowExecutionStatus.TIMED_OUT:
        assert time.monotonic() < deadline, "the nonce's workflow never closed"
        await asyncio.sleep(0.2)
    events = [event.event_type async for event in handle.fetch_history_events()]
    assert events == [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    ]
    assert not await second.record(short, now)


def test_nonce_ids_carry_no_client_text() -> None:
    hostile = ["a/b c", "fnf-flow:x", "\u00e9\n", "x" * 128]
    ids = {nonce_workflow_id(key, nonce) for key in hostile for nonce in hostile}
    assert len(ids) == len(hostile) ** 2
    assert all(re.fullmatch(r"fnf-nonce:[0-9a-f]{64}", value) for value in ids)
    # The pair is encoded unambiguously: moving text across the boundary changes the id.
    assert nonce_workflow_id("ab", "c") != nonce_workflow_id("a", "bc")


async def test_a_temporal_outage_answers_service_unavailable(tmp_path: Path) -> None:
    options = DevServerOptions(db_file=str(tmp_path / "temporal.db"))
    temporal = await DevServer.start(options)
    port = int(temporal.address.rsplit(":", 1)[1])
    api = start_api(temporal.address, tmp_path / "api.log", uuid.uuid4().hex[:6])
    try:
        call = captured_form("ListFlows", {})
        await temporal.stop()
        started = time.monotonic()
        answer = await asyncio.to_thread(call.send, api)
        assert code_of(answer) == (503, "ServiceUnavailable")
        assert "nonce" in answer.json()["Message"]
        assert time.monotonic() - started < 15

        # The nonce was not recorded, so the same request is served once Temporal is back.
        temporal = await DevServer.start(DevServerOptions(port=port, db_file=options.db_file))
        answer = await asyncio.to_thread(call.send, api)
        assert answer.status_code == 200, answer.text
        assert code_of(await asyncio.to_thread(call.send, api)) == NONCE_USED
    finally:
        stop(api)
        await temporal.stop()
