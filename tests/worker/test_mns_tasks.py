"""Queue and topic tasks through the worker, against a real local HTTP server speaking MNS
(the one of test_mns_client.py, which verifies every request's signature)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.helpers.workers import serving
from tests.worker.conftest import EXAMPLES
from tests.worker.test_mns_client import (
    CREDENTIALS,
    QUEUE_NOT_EXIST,
    XMLNS,
    FakeMns,
    QuietServer,
    Reply,
    make_handler,
)
from translator import compile_file, compile_text
from worker.callbacks.client import report_task_succeeded
from worker.connectors.mns import MnsClient
from worker.execution import FlowRun
from worker.executions import start_execution
from worker.history import read_history

QUEUE = f"mns-tasks-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def mns_server() -> Iterator[tuple[str, FakeMns]]:
    fake = FakeMns()
    httpd = QuietServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    httpd.shutdown()
    httpd.server_close()


@pytest_asyncio.fixture(scope="module")
async def env(
    temporal_env: WorkflowEnvironment, mns_server: tuple[str, FakeMns]
) -> AsyncIterator[WorkflowEnvironment]:
    mns = MnsClient(mns_server[0], CREDENTIALS)
    async with serving(temporal_env.client, QUEUE, None, mns):
        yield temporal_env


def sent_messages(fake: FakeMns, path: str) -> list[ElementTree.Element]:
    with fake.lock:
        bodies = [r.body for r in fake.requests if r.path == path and r.problem is None]
    return [ElementTree.fromstring(body) for body in bodies]


async def wait_for_message(fake: FakeMns, path: str) -> ElementTree.Element:
    for _ in range(200):
        messages = sent_messages(fake, path)
        if messages:
            return messages[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing was sent to {path}")


async def test_queue_callback_example(
    env: WorkflowEnvironment, mns_server: tuple[str, FakeMns]
) -> None:
    fake = mns_server[1]
    fake.reset()
    graph = dict(compile_file(EXAMPLES / "mns-queue-callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph, input={}, flow_name="mns-queue", execution_name=f"exec-{uuid.uuid4()}"
    )
    handle = await start_execution(env.client, QUEUE, run, search_attributes=False)
    message = await wait_for_message(fake, "/queues/fnf-demo/messages")
    body = json.loads(message.findtext(f"{{{XMLNS}}}MessageBody") or "")
    assert message.findtext(f"{{{XMLNS}}}Priority") == "1"
    assert body["key"] == "value"  # raw JSON text of the mapped input, not base64
    await report_task_succeeded(env.client, body["task_token"], {"worker": "done"})
    assert await handle.result() == {"worker": "done"}
    events = await read_history(env.client, handle.id)
    submitted = next(e for e in events if e["Type"] == "TaskSubmitted")
    local = json.loads(submitted["EventDetail"])["output"]
    assert set(local) == {"MessageId", "MessageBodyMD5", "RequestId"}


async def test_topic_callback_example(
    env: WorkflowEnvironment, mns_server: tuple[str, FakeMns]
) -> None:
    fake = mns_server[1]
    fake.reset()
    graph = dict(compile_file(EXAMPLES / "mns-topic-callback" / "flow.yaml"))
    run = FlowRun(
        graph=graph,
        input={"messageBody": "hello world"},
        flow_name="mns-topic",
        execution_name=f"exec-{uuid.uuid4()}",
    )
    handle = await start_execution(env.client, QUEUE, run, search_attributes=False)
    message = await wait_for_message(fake, "/topics/fnf-demo-topic/messages")
    body = json.loads(message.findtext(f"{{{XMLNS}}}MessageBody") or "")
    assert body["messageBody"] == "hello world"
    await report_task_succeeded(env.client, body["taskToken"], '{"status": "ok"}')
    assert await handle.result() == {"status": "ok"}


SEND = """\
version: v1
type: flow
steps:
  - type: task
    name: send
    resourceArn: acs:mns:::/queues/{queue}/messages
    serviceParams:
      MessageBody: $.text
    catch: [{{errors: [MNS.QueueNotExist], goto: missing}}]
    errorMappings: [{{target: error, source: $local.error}}]
  - type: succeed
    name: sent
  - type: pass
    name: missing
"""


@pytest.mark.parametrize("known", [True, False])
async def test_request_response_send(
    env: WorkflowEnvironment, mns_server: tuple[str, FakeMns], known: bool
) -> None:
    fake = mns_server[1]
    fake.reset()
    queue = "orders" if known else "gone"
    if not known:
        fake.replies[f"/queues/{queue}/messages"] = Reply(404, QUEUE_NOT_EXIST.encode(), {})
    graph = dict(compile_text(SEND.format(queue=queue)))
    run = FlowRun(
        graph=graph,
        input={"text": "plain text"},
        flow_name="send",
        execution_name=f"exec-{uuid.uuid4()}",
    )
    handle = await start_execution(env.client, QUEUE, run, search_attributes=False)
    output: dict[str, Any] = await handle.result()
    if known:
        assert output["MessageId"].startswith("MSG-") and output["RequestId"].startswith("REQ-")
        sent = sent_messages(fake, "/queues/orders/messages")[0]
        assert sent.findtext(f"{{{XMLNS}}}MessageBody") == "plain text"
    else:
        assert output == {"error": "MNS.QueueNotExist"}
