"""The MNS facade through the official `aliyun-mns-sdk`, and the guide's MNS queue worker.

One FnF API app with the MNS router included runs in a real uvicorn on an ephemeral port, in a
thread of its own (with its own event loop, its Temporal client and its workers), against the
session's dev server. The tests talk to it only as the SDK does: over HTTP, signed.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import ReportTaskSucceededRequest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, Queue
from mns.topic import TopicMessage
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.worker import Replayer

from api.actions import ApiContext
from api.app import create_app
from api.mns import mns_activities, mns_router, mns_workflows
from api.mns.auth import MnsAuthenticator
from api.mns.queue_entity import queue_workflow_id
from api.mns.queues import QueueService
from api.mns.registry import Registry
from api.mns.sealing import SealingKey
from api.mns.settings import MnsSettings, parse_subscriptions
from api.mns.signing import SigningKeys
from api.mns.wire import MnsApiError
from api.protocol.access_keys import AccessKeys
from api.services.executions import ExecutionService
from api.services.schedules import ScheduleService
from api.store.flows import FlowStore
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, EXAMPLES
from tests.helpers.api_workers import serve_api
from worker.connectors.mns import sign
from worker.settings import Settings

T = TypeVar("T")
VISIBILITY = 2
"""The facade's visibility timeout here, in seconds: short, so redelivery is quick to see."""

TOPIC = "fnf-events"
PUSH_RETRY_SCALE = 0.05
"""MNS's pauses between push retries (10-20 s, 1, 2, 4 ... s) shortened for the tests."""
SEED_WORKER = Path(__file__).parent / "seed_workers" / "mns_queue_worker.py"
SEED_QUEUE = "fnf-demo"  # the name in the guide's flow and worker
SEALING = SealingKey.ephemeral()
"""The facade's sealing key: its push signing key is kept sealed with it (api/mns/sealing.py)."""


@dataclass
class Facade:
    port: int
    loop: asyncio.AbstractEventLoop
    context: ApiContext
    queues: QueueService
    subscribed: tuple[str, str]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the facade's loop: its Temporal client lives there."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def queue(self, name: str, *, secret: str = ACCESS_KEY_SECRET, encoding: bool = True) -> Queue:
        """A fresh SDK Queue (the SDK's client is not thread-safe: one per thread)."""
        queue = Account(self.endpoint, ACCESS_KEY_ID, secret).get_queue(name)
        queue.set_encoding(encoding)
        return queue


async def serve(
    address: str,
    sock: socket.socket,
    tag: str,
    started: concurrent.futures.Future[tuple[Facade, uvicorn.Server]],
) -> None:
    """The FnF API app plus the MNS router, its workers, and the flow worker, until exit."""
    port = sock.getsockname()[1]
    client = await Client.connect(address)
    settings = Settings(
        temporal_address=address,
        task_queue=f"mns-flows-{tag}",
        api_task_queue=f"mns-api-{tag}",
        mns_endpoint=f"http://127.0.0.1:{port}",
        mns_access_key_id=ACCESS_KEY_ID,
        mns_access_key_secret=ACCESS_KEY_SECRET,
    )
    store = FlowStore(client, settings.api_task_queue)
    executions = ExecutionService(client, store, settings.task_queue)
    schedules = ScheduleService(client, store, settings.api_task_queue)
    context = ApiContext(client, store, executions, schedules, settings.region)
    keys = AccessKeys({ACCESS_KEY_ID: ACCESS_KEY_SECRET})
    subscribed = (f"sub-a-{tag}", f"sub-b-{tag}")

    async def provide(access_key_id: str | None) -> ApiContext:
        return context

    async def temporal() -> Client:
        return client

    signing_keys = SigningKeys(Registry(temporal, settings.api_task_queue), SEALING)
    async with AsyncExitStack() as stack:
        await serve_api(
            client, settings, store, stack, executions, mns=mns_activities(signing_keys)
        )
        app = create_app(provide, keys)
        mns_settings = MnsSettings(
            {TOPIC: subscribed}, visibility_timeout=VISIBILITY, push_retry_scale=PUSH_RETRY_SCALE
        )
        app.include_router(
            mns_router(
                temporal,
                keys,
                False,
                settings.api_task_queue,
                settings=mns_settings,
                signing_keys=signing_keys,
            )
        )
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        queues = QueueService(temporal, settings.api_task_queue, operations_per_run=5)
        loop = asyncio.get_running_loop()
        started.set_result((Facade(port, loop, context, queues, subscribed), server))
        await server.serve(sockets=[sock])


@pytest.fixture(scope="module")
def facade(dev_server_address: str) -> Iterator[Facade]:
    # IPPROTO_TCP explicitly: asyncio turns Nagle off only on sockets that say TCP, and with
    # Nagle each answer (headers, then body) waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts
    started: concurrent.futures.Future[tuple[Facade, uvicorn.Server]] = concurrent.futures.Future()

    def main() -> None:
        try:
            asyncio.run(serve(dev_server_address, sock, uuid.uuid4().hex[:6], started))
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
            raise

    thread = threading.Thread(target=main, name="mns-facade", daemon=True)
    thread.start()
    running, server = started.result(timeout=60)
    yield running
    server.should_exit = True
    thread.join(timeout=30)


def new_queue_name() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


def server_error(call: Any, *args: Any) -> MNSServerException:
    with pytest.raises(MNSServerException) as raised:
        call(*args)
    return raised.value


def upper_md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


# -- configuration --------------------------------------------------------------------------


def test_topic_subscriptions_parse() -> None:
    assert parse_subscriptions("t1=qa|qb, t2=qc,,t1=qb|qd") == {
        "t1": ("qa", "qb", "qd"),
        "t2": ("qc",),
    }
    assert parse_subscriptions("") == {}
    for bad in ("t1", "t1=", "=qa", "t1=q a", "t/1=qa", "t_1=qa", "t1=q_a", "-t=qa"):
        with pytest.raises(ValueError):
            parse_subscriptions(bad)
    settings = MnsSettings.from_env(
        {"FNF_MNS_TOPIC_SUBSCRIPTIONS": "t=q", "FNF_MNS_VISIBILITY_TIMEOUT": "5"}
    )
    assert (settings.subscribers("t"), settings.subscribers("none")) == (("q",), ())
    assert settings.visibility_timeout == 5
    with pytest.raises(ValueError):
        MnsSettings.from_env({"FNF_MNS_VISIBILITY_TIMEOUT": "0"})


def test_authenticator_rules() -> None:
    keys = AccessKeys({ACCESS_KEY_ID: ACCESS_KEY_SECRET})
    auth = MnsAuthenticator(keys)
    now = datetime.now(UTC)
    date = format_datetime(now, usegmt=True)
    body = b"<Message/>"
    md5 = base64.b64encode(hashlib.md5(body).hexdigest().encode()).decode()
    headers = {"date": date, "x-mns-version": "2015-06-06", "content-md5": md5}
    resource = "/queues/q/messages?waitseconds=2"

    def signed(extra: dict[str, str], secret: str = ACCESS_KEY_SECRET) -> dict[str, str]:
        all_headers = {**headers, **extra}
        signature = sign(
            secret,
            "POST",
            all_headers["content-md5"],
            "",
            all_headers["date"],
            all_headers,
            resource,
        )
        return {**all_headers, "authorization": f"MNS {ACCESS_KEY_ID}:{signature}"}

    def code(request_headers: dict[str, str], content: bytes = body) -> str:
        with pytest.raises(MnsApiError) as raised:
            auth.verify("POST", request_headers, resource, content, now)
        return f"{raised.value.status} {raised.value.code}"

    assert auth.verify("POST", signed({}), resource, body, now) == ACCESS_KEY_ID
    assert code(signed({}, "wrong")) == "403 SignatureDoesNotMatch"
    assert code(signed({"x-mns-extra": "signed too"}) | {"x-mns-extra": "changed"}) == (
        "403 SignatureDoesNotMatch"
    )
    assert code(headers) == "400 InvalidAuthorizationHeader"
    assert code({**signed({}), "authorization": "MNS nobody:x"}) == "403 InvalidAccessKeyId"
    stale = format_datetime(now - timedelta(minutes=20), usegmt=True)
    assert code(signed({"date": stale})) == "408 TimeExpired"
    assert code(signed({}), b"<Message>other</Message>") == "400 InvalidDegist"
    raw_md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # RFC 1864 form
    assert auth.verify("POST", signed({"content-md5": raw_md5}), resource, body, now)
    assert MnsAuthenticator(keys, allow_unsigned=True).verify("GET", {}, resource, b"") is None


# -- the SDK against the facade -------------------------------------------------------------


def test_send_receive_delete_in_both_encodings(facade: Facade) -> None:
    name = new_queue_name()
    encoded = facade.queue(name)  # the SDK's default: base64 on the wire
    text = 'héllo <&> "x"\r\nline two'
    sent = encoded.send_message(Message(text))
    assert re.fullmatch(r"[0-9A-F]{32}", sent.message_id)
    wire_body = base64.b64encode(text.encode()).decode()
    assert sent.message_body_md5 == upper_md5(wire_body)  # of the body as stored: verbatim
    before = int(time.time() * 1000)
    got = encoded.receive_message(1)
    assert got.message_body == text.encode()  # the SDK decoded the base64 it sent
    assert (got.message_id, got.message_body_md5) == (sent.message_id, sent.message_body_md5)
    assert (got.dequeue_count, got.priority) == (1, 8)
    assert got.enqueue_time <= got.first_dequeue_time <= before + 1000
    assert abs(got.next_visible_time - (got.first_dequeue_time + VISIBILITY * 1000)) < 1000
    assert re.fullmatch(r"[0-9A-F]{48}", got.receipt_handle)
    encoded.delete_message(got.receipt_handle)

    raw = facade.queue(name, encoding=False)  # what FnF's queue tasks and the guide use
    body = json.dumps({"task_token": "tok-1", "note": "<&>\"'"}) + "\n\tünï 😀 ]]>"
    round_trips = []
    for _ in range(5):
        started = time.perf_counter()
        raw.send_message(Message(body))
        got = raw.receive_message(1)
        round_trips.append(time.perf_counter() - started)
        assert (got.message_body, got.message_body_md5) == (body, upper_md5(body))
        raw.delete_message(got.receipt_handle)
    print(f"\nsend+receive round trip: best {min(round_trips) * 1000:.1f} ms")
    missing = server_error(raw.receive_message, 0)
    assert missing.type == "MessageNotExist"
    assert missing.req_id and missing.host_id.startswith("http://127.0.0.1")


def test_priority_and_delay(facade: Facade) -> None:
    queue = facade.queue(new_queue_name(), encoding=False)
    queue.send_message(Message("later", priority=8))
    queue.send_message(Message("first", priority=1))
    queue.send_message(Message("delayed", delay_seconds=1, priority=1))
    assert queue.receive_message(0).message_body == "first"
    assert queue.receive_message(0).message_body == "later"
    started = time.perf_counter()
    assert queue.receive_message(5).message_body == "delayed"
    assert 0.5 < time.perf_counter() - started < 2.5


def test_long_poll_returns_when_a_message_arrives(facade: Facade) -> None:
    name = new_queue_name()
    started = time.perf_counter()
    assert server_error(facade.queue(name).receive_message, 1).type == "MessageNotExist"
    empty_wait = time.perf_counter() - started
    assert 0.9 < empty_wait < 3

    def receive() -> tuple[str, float]:
        got = facade.queue(name, encoding=False).receive_message(10)
        return got.message_body, time.perf_counter()

    latencies = []
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        for n in range(3):
            waiting = pool.submit(receive)
            time.sleep(0.5)  # the receiver is parked in its long poll
            assert not waiting.done()
            facade.queue(name, encoding=False).send_message(Message(f"m{n}"))
            sent_at = time.perf_counter()
            body, received_at = waiting.result(timeout=10)
            assert body == f"m{n}"
            latencies.append(received_at - sent_at)
    print(f"\nempty long poll (waitseconds=1): {empty_wait:.2f} s")
    print("long-poll wake-up after send: " + ", ".join(f"{s * 1000:.1f} ms" for s in latencies))
    assert max(latencies) < 1.0


def test_visibility_timeout_redelivers_with_a_new_handle(facade: Facade) -> None:
    queue = facade.queue(new_queue_name(), encoding=False)
    queue.send_message(Message("work"))
    first = queue.receive_message(0)
    assert server_error(queue.receive_message, 0).type == "MessageNotExist"  # hidden
    started = time.perf_counter()
    again = queue.receive_message(VISIBILITY + 3)
    reappeared = time.perf_counter() - started
    assert VISIBILITY - 0.5 < reappeared < VISIBILITY + 1
    assert (again.message_id, again.dequeue_count) == (first.message_id, 2)
    assert again.receipt_handle != first.receipt_handle
    assert again.first_dequeue_time == first.first_dequeue_time
    stale = server_error(queue.delete_message, first.receipt_handle)
    assert stale.type == "ReceiptHandleError"

    changed = queue.change_message_visibility(again.receipt_handle, 60)
    assert changed.receipt_handle not in (again.receipt_handle, first.receipt_handle)
    assert abs(int(changed.next_visible_time) - (time.time() * 1000 + 60_000)) < 2000
    superseded = server_error(queue.delete_message, again.receipt_handle)
    assert superseded.type == "ReceiptHandleError"
    assert server_error(queue.receive_message, 0).type == "MessageNotExist"
    queue.delete_message(changed.receipt_handle)
    gone = server_error(queue.delete_message, changed.receipt_handle)
    assert gone.type == "MessageNotExist"
    assert server_error(queue.delete_message, "not-a-handle").type == "ReceiptHandleError"


def test_batch_receive_and_peek(facade: Facade) -> None:
    queue = facade.queue(new_queue_name(), encoding=False)
    for n in range(3):
        queue.send_message(Message(f"m{n}"))
    assert queue.peek_message().message_body == "m0"
    batch = queue.batch_receive_message(5, 1)
    assert [m.message_body for m in batch] == ["m0", "m1", "m2"]
    assert len({m.receipt_handle for m in batch}) == 3
    assert server_error(queue.peek_message).type == "MessageNotExist"  # all hidden
    for message in batch:
        queue.delete_message(message.receipt_handle)


def test_signatures_are_verified(facade: Facade) -> None:
    name = new_queue_name()
    wrong = server_error(facade.queue(name, secret="wrong").send_message, Message("x"))
    assert wrong.type == "SignatureDoesNotMatch" and wrong.req_id
    unknown = Account(facade.endpoint, "nobody", "x").get_queue(name)
    assert server_error(unknown.receive_message, 0).type == "InvalidAccessKeyId"
    bad_name = server_error(facade.queue("bad.name").receive_message, 0)
    assert bad_name.type == "InvalidQueueName"
    never_used = server_error(facade.queue(name).get_attributes)
    assert never_used.type == "QueueNotExist"  # nothing was stored: both calls were refused
    unsigned = httpx.get(f"{facade.endpoint}/queues/{name}/messages")
    assert unsigned.status_code == 400 and unsigned.headers["x-mns-request-id"]
    assert "<Code>InvalidAuthorizationHeader</Code>" in unsigned.text


def test_topic_publish_reaches_every_subscribed_queue(facade: Facade) -> None:
    body = json.dumps({"taskToken": "tok-topic", "messageBody": "hello <world>"})
    topic = Account(facade.endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_topic(TOPIC)
    published = topic.publish_message(TopicMessage(body, "tagA"))
    assert published.message_body_md5 == upper_md5(body)
    for name in facade.subscribed:
        queue = facade.queue(name, encoding=False)
        got = queue.receive_message(1)
        assert got.message_body == body
        queue.delete_message(got.receipt_handle)
    nobody = Account(facade.endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_topic("no-subscriber")
    assert re.fullmatch(r"[0-9A-F]{32}", nobody.publish_message(TopicMessage("dropped")).message_id)


def test_messages_survive_continue_as_new(facade: Facade) -> None:
    """A queue that continues as new every 5 Updates (and 2 s) keeps every message across two
    hand-overs, under concurrent senders and receivers: nothing is lost or sent twice.

    A request that races a hand-over is retried by the Temporal client after ~1 s, so with this
    test's 2 s visibility a message may come back before its receiver deletes it; that is MNS's
    at-least-once delivery, and shows as a second receipt with DequeueCount 2, never as a copy.
    """
    name = new_queue_name()
    facade.run(facade.queues.send(name, "m-start", priority=8, delay_seconds=0))
    handle = facade.context.client.get_workflow_handle(queue_workflow_id(name))
    runs = [facade.run(handle.describe()).run_id]
    sending = threading.Event()
    sending.set()

    def send(sender: int) -> list[str]:
        queue, sent = facade.queue(name, encoding=False), []
        while sending.is_set():
            sent.append(f"{sender}-{len(sent)}")
            queue.send_message(Message(sent[-1]))
            time.sleep(0.05)
        return sent

    def drain() -> list[tuple[str, str, int]]:
        queue, seen = facade.queue(name, encoding=False), []
        while True:
            try:
                got = queue.receive_message(1)
            except MNSServerException as error:
                assert error.type == "MessageNotExist"
                if not sending.is_set():
                    return seen
                continue
            seen.append((got.message_body, got.message_id, got.dequeue_count))
            try:
                queue.delete_message(got.receipt_handle)
            except MNSServerException as error:  # it came back meanwhile (see above)
                assert error.type in ("ReceiptHandleError", "MessageNotExist")

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        senders = [pool.submit(send, n) for n in range(3)]
        drainers = [pool.submit(drain) for _ in range(3)]
        deadline = time.monotonic() + 10
        while len(runs) < 3 and time.monotonic() < deadline:
            run = facade.run(handle.describe()).run_id
            if run != runs[-1]:
                runs.append(run)
            time.sleep(0.1)
        sending.clear()
        sent = ["m-start", *(body for future in senders for body in future.result())]
        receipts = [receipt for future in drainers for receipt in future.result()]
    assert len(runs) == 3, "the queue did not continue as new twice"
    assert len(sent) > 20 and {body for body, _, _ in receipts} == set(sent)
    ids: dict[str, set[str]] = {}
    counts: dict[str, list[int]] = {}
    for body, message_id, count in receipts:
        ids.setdefault(body, set()).add(message_id)
        counts.setdefault(message_id, []).append(count)
    assert all(len(found) == 1 for found in ids.values())  # no body was stored twice
    assert all(sorted(seen) == list(range(1, len(seen) + 1)) for seen in counts.values())
    redelivered = sum(len(seen) - 1 for seen in counts.values())
    print(f"\ncontinue-as-new x2: {len(sent)} messages, {redelivered} redelivered")
    assert facade.run(handle.describe()).status == WorkflowExecutionStatus.RUNNING
    depth = facade.run(facade.queues.depth(name))
    assert (depth.visible, depth.hidden) == (0, 0)

    async def replay(run_id: str) -> None:  # determinism: the finished runs replay cleanly
        run = facade.context.client.get_workflow_handle(queue_workflow_id(name), run_id=run_id)
        await Replayer(workflows=mns_workflows()).replay_workflow(await run.fetch_history())

    for run_id in runs[:2]:
        facade.run(replay(run_id))


# -- the guide's MNS queue worker, end to end -----------------------------------------------


def start_seed_worker(facade: Facade, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "REGION": "cn-hangzhou",
        "ACCOUNT_ID": "1",
        "AK_ID": ACCESS_KEY_ID,
        "AK_SECRET": ACCESS_KEY_SECRET,
        "FNF_ENDPOINT": f"127.0.0.1:{facade.port}",
        "MNS_ENDPOINT": facade.endpoint,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, str(SEED_WORKER)], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def wait_for_line(log: Path, pattern: str, timeout: float = 15) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} in the worker's output:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def test_the_guides_mns_queue_worker(facade: Facade, tmp_path: Path) -> None:
    """The flow sends the task's message to the facade; the guide's worker, a separate process
    changed only in its endpoints, receives it, reports success and deletes it. Then the
    redelivery path: a worker that reported but died before deleting leaves the message to
    reappear, and the guide's worker deletes it on TaskAlreadyCompleted."""

    async def fresh_seed_queue() -> None:  # a queue left by an earlier run on this server
        with suppress(RPCError):
            handle = facade.context.client.get_workflow_handle(queue_workflow_id(SEED_QUEUE))
            await handle.terminate()

    facade.run(fresh_seed_queue())
    flow = f"mns_{uuid.uuid4().hex[:6]}"
    definition = (EXAMPLES / "mns-queue-callback" / "flow.yaml").read_text()
    fields = {"Name": flow, "Definition": definition, "Description": "", "Type": "FDL"}
    facade.run(facade.context.flows.create(fields))
    log = tmp_path / "worker.log"
    worker = start_seed_worker(facade, log)
    try:
        wait_for_line(log, "Receiving messages")
        started = time.perf_counter()
        facade.run(facade.context.executions.start(flow, "e1", {}, None))
        done = facade.run(facade.context.executions.describe(flow, "e1", wait_seconds=15))
        elapsed = time.perf_counter() - started
        assert (done["Status"], json.loads(done["Output"])) == ("Succeeded", {"key": "value"})
        message_id = wait_for_line(log, r"Deleted message ([0-9A-F]{32})").group(1)
        assert '"task_token"' in log.read_text() and '"key":"value"' in log.read_text()
        print(f"\nexecution start -> Succeeded through the guide's worker: {elapsed:.2f} s")
    finally:
        stop(worker)
    depth = facade.run(facade.queues.depth(SEED_QUEUE))
    assert (depth.visible, depth.hidden) == (0, 0)
    assert message_id

    # Redelivery: this test plays a worker that reports and crashes before delete_message.
    facade.run(facade.context.executions.start(flow, "e2", {}, None))
    crashed = facade.queue(SEED_QUEUE, encoding=False)
    message = crashed.receive_message(10)
    token = json.loads(message.message_body)["task_token"]
    fnf = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou")
    fnf.add_endpoint("cn-hangzhou", "fnf", f"127.0.0.1:{facade.port}")
    report = ReportTaskSucceededRequest.ReportTaskSucceededRequest()
    report.set_Output('{"key": "from the crashed worker"}')
    report.set_TaskToken(token)
    fnf.do_action_with_exception(report)
    done = facade.run(facade.context.executions.describe(flow, "e2", wait_seconds=15))
    assert json.loads(done["Output"]) == {"key": "from the crashed worker"}

    log2 = tmp_path / "worker2.log"
    worker = start_seed_worker(facade, log2)
    try:
        wait_for_line(log2, f"Task already completed, deleted message {message.message_id}")
    finally:
        stop(worker)
    assert "TaskAlreadyCompleted" in log2.read_text()  # its print(e) of the ServerException
    depth = facade.run(facade.queues.depth(SEED_QUEUE))
    assert (depth.visible, depth.hidden) == (0, 0)
