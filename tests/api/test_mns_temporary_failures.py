"""The MNS facade answers a temporary failure of Temporal as MNS answers a server that cannot
serve now: 503 with MNS's `<Error>` XML (Code ServiceUnavailable, Message, RequestId, HostId),
which the SDK raises as `MNSServerException(type="ServiceUnavailable")`, within
FNF_HISTORY_QUERY_SECONDS; never a 500 InternalError nor a request that hangs.

Two ways Temporal fails here, each through a real `fnf api` subprocess:
* no worker answers: the queue's and the registry's workflows run on a task queue nobody
  polls (as when the API process that served them is gone), so every Query and Update waits
  for a worker. Before, Queries answered 500 after the server's own wait and Updates hung;
* the Temporal server itself goes away (a dev server of the test's own, stopped): every call
  fails with UNAVAILABLE once the client's retries are spent; before, MNS answered 500.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta
from temporalio.client import Client

from api.mns.queue_entity import FnFMnsQueue, QueueState, queue_workflow_id
from api.mns.registry_entity import FnFMnsRegistry, RegistryState, registry_id
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, start_api
from worker.connectors.mns import sign
from worker.devserver import DevServer

XMLNS = "{http://mns.aliyuncs.com/doc/v1/}"
ANSWER_SECONDS = 2
"""FNF_HISTORY_QUERY_SECONDS for the API under test."""


@pytest.fixture
def answer_seconds(monkeypatch: pytest.MonkeyPatch) -> int:
    """FNF_HISTORY_QUERY_SECONDS for the `fnf api` the test starts (it inherits the env)."""
    monkeypatch.setenv("FNF_HISTORY_QUERY_SECONDS", str(ANSWER_SECONDS))
    return ANSWER_SECONDS


@contextmanager
def api_process(address: str, tag: str, log: Path) -> Iterator[str]:
    """`fnf api` on `address` with its own worker (tests/api/conftest.py); its endpoint."""
    server = start_api(address, log, tag)
    try:
        yield f"http://{server.endpoint}"
    finally:
        server.process.terminate()
        server.process.wait(timeout=60)


def signed(endpoint: str, method: str, path: str, body: bytes = b"") -> httpx.Response:
    """One MNS request signed as the SDK signs it, with a client that waits long enough to
    tell a hang from an answer."""
    headers = {
        "date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        "x-mns-version": "2015-06-06",
        **({"content-type": "text/xml;charset=UTF-8"} if body else {}),
    }
    content_type = headers.get("content-type", "")
    signature = sign(ACCESS_KEY_SECRET, method, "", content_type, headers["date"], headers, path)
    headers["authorization"] = f"MNS {ACCESS_KEY_ID}:{signature}"
    return httpx.request(method, f"{endpoint}{path}", content=body, headers=headers, timeout=45)


def assert_unavailable(response: httpx.Response, seconds: float, within: float) -> None:
    """MNS's error XML with all four fields, 503 ServiceUnavailable, answered in time."""
    assert response.status_code == 503, (response.status_code, response.text[:500])
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{XMLNS}Error", response.text
    fields = {name: root.findtext(f"{XMLNS}{name}") or "" for name in FIELDS}
    assert fields["Code"] == "ServiceUnavailable", response.text
    assert "retry" in fields["Message"] and "Traceback" not in fields["Message"], fields
    assert fields["RequestId"] == response.headers["x-mns-request-id"] != "", fields
    assert fields["HostId"].startswith("http://127.0.0.1"), fields
    assert seconds < within, f"answered after {seconds:.1f} s"


FIELDS = ("Code", "Message", "RequestId", "HostId")


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def sdk_error(call: Callable[..., Any], *args: Any) -> MNSServerException:
    with pytest.raises(MNSServerException) as raised:
        call(*args)
    return raised.value


@pytest.mark.asyncio
async def test_no_worker_answers_is_service_unavailable(
    dev_server_address: str, tmp_path: Path, answer_seconds: int
) -> None:
    tag = uuid.uuid4().hex[:6]
    queue, nobody = f"stuck-{tag}", f"nobody-{tag}"
    client = await Client.connect(dev_server_address)
    # The queue's and the registry's workflows, on a task queue no worker polls.
    await client.start_workflow(
        FnFMnsQueue.run, QueueState(queue), id=queue_workflow_id(queue), task_queue=nobody
    )
    await client.start_workflow(
        FnFMnsRegistry.run, RegistryState(), id=registry_id(f"sdk-api-{tag}"), task_queue=nobody
    )
    log = tmp_path / "api.log"
    try:
        with api_process(dev_server_address, tag, log) as endpoint:
            within = answer_seconds + 6
            message = b'<?xml version="1.0"?><Message><MessageBody>x</MessageBody></Message>'
            calls = {
                "GetQueueAttributes": lambda: signed(endpoint, "GET", f"/queues/{queue}"),
                "PeekMessage": lambda: signed(
                    endpoint, "GET", f"/queues/{queue}/messages?peekonly=true"
                ),
                "ReceiveMessage": lambda: signed(
                    endpoint, "GET", f"/queues/{queue}/messages?waitseconds=1"
                ),
                "SendMessage": lambda: signed(
                    endpoint, "POST", f"/queues/{queue}/messages", message
                ),
                "ListQueue": lambda: signed(endpoint, "GET", "/queues"),
                "GetTopicAttributes": lambda: signed(endpoint, "GET", f"/topics/t-{tag}"),
                "CreateQueue": lambda: signed(endpoint, "PUT", f"/queues/new-{tag}"),
            }
            # All at once: each waits for its own answer, so the test waits for one.
            answers = await asyncio.gather(
                *(asyncio.to_thread(timed, call) for call in calls.values())
            )
            for name, (response, seconds) in zip(calls, answers, strict=True):
                try:
                    assert_unavailable(response, seconds, within)
                except AssertionError as error:
                    raise AssertionError(f"{name}: {error}") from None

            # The SDK reads it as a server error of that type (a caller may retry it).
            sdk = Account(endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_queue(queue)
            other = Account(endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_queue(f"o-{tag}")
            sent, made = await asyncio.gather(
                asyncio.to_thread(sdk_error, sdk.send_message, Message("hello")),
                asyncio.to_thread(sdk_error, other.create, QueueMeta()),
            )
            assert (sent.type, sent.req_id != "") == ("ServiceUnavailable", True)
            assert made.type == "ServiceUnavailable"
    finally:
        for workflow_id in (queue_workflow_id(queue), registry_id(f"sdk-api-{tag}")):
            await client.get_workflow_handle(workflow_id).terminate(reason="test over")
    text = log.read_text()
    assert "Traceback" not in text and "InternalError" not in text, text[-3000:]


@pytest.mark.asyncio
async def test_temporal_gone_is_service_unavailable(tmp_path: Path, answer_seconds: int) -> None:
    tag = uuid.uuid4().hex[:6]
    server = await DevServer.start()
    log = tmp_path / "api.log"
    stopped = False
    try:
        with api_process(server.address, tag, log) as endpoint:
            queue = f"gone-{tag}"
            made = await asyncio.to_thread(signed, endpoint, "PUT", f"/queues/{queue}")
            assert made.status_code == 201, made.text
            await server.stop()
            stopped = True
            # The client spends its retries (about 10 s) before the call fails UNAVAILABLE.
            within = 40
            paths = (f"/queues/{queue}", f"/queues/{queue}/messages?peekonly=true")
            answers = await asyncio.gather(
                *(
                    asyncio.to_thread(timed, lambda path=path: signed(endpoint, "GET", path))
                    for path in paths
                )
            )
            for response, seconds in answers:
                assert_unavailable(response, seconds, within)
    finally:
        if not stopped:
            await server.stop()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
