"""The push signing key never shows in Temporal: not in the registry's history (what the Web UI
and `temporal workflow show` print), not in what continued runs carry, not in Query results. A
registry an older version filled with a key in clear moves to a new, sealed key on first use,
continues as new without the old one, and stops serving the old certificate.

The search is over the raw bytes of every run's history events (protobuf, where payloads are
their JSON bytes as sent) and over the history's JSON form, for any line of the private key's
PEM body and a slice of its DER bytes; the certificate, public and stored in clear, is searched
the same way to show the search finds what is there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, FastAPI
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.worker import Replayer, Worker

from api.mns import mns_workflows
from api.mns.certificate_route import add_certificate_route
from api.mns.registry import Registry
from api.mns.registry_entity import SigningKeyRecord, SigningKeyReplacement
from api.mns.sealing import SealingError, SealingKey
from api.mns.signing import SigningKey, SigningKeys, new_signing_key, signed_push_headers
from tests.api.test_mns_push_signature import Arrived, verified

SEALING = SealingKey.ephemeral()
API = "http://mns.example.test"


@pytest_asyncio.fixture
async def client(dev_server_address: str) -> AsyncIterator[Client]:
    yield await Client.connect(dev_server_address)


def fresh_registry(client: Client) -> tuple[Registry, str]:
    task_queue = f"mns-key-{uuid.uuid4().hex[:8]}"

    async def provide() -> Client:
        return client

    return Registry(provide, task_queue), task_queue


def private_forms(key: SigningKey) -> list[bytes]:
    """What would betray the private key: each line of its PEM body, a slice of its DER."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    return [*lines, der[len(der) // 2 : len(der) // 2 + 48]]


def certificate_forms(key: SigningKey) -> list[bytes]:
    lines = key.certificate_pem.encode().splitlines()
    return [line for line in lines if line and not line.startswith(b"-----")]


async def histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Each run of the workflow, newest first (following each run's continued-from link)."""
    found: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        handle: WorkflowHandle[object, object] = client.get_workflow_handle(
            workflow_id, run_id=run_id
        )
        found.append(await handle.fetch_history())
        started = found[-1].events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return found
        run_id = started.continued_execution_run_id


async def every_run(client: Client, workflow_id: str) -> list[bytes]:
    """The raw bytes of each run's history events and its JSON form, newest first."""
    return [
        b"".join(event.SerializeToString() for event in history.events) + history.to_json().encode()
        for history in await histories(client, workflow_id)
    ]


async def replays(client: Client, workflow_id: str) -> None:
    """Every run replays on this code: the rotation is deterministic, and a run an older
    version recorded (the key adopted in clear, then nothing) replays as before."""
    replayer = Replayer(workflows=mns_workflows())
    for history in await histories(client, workflow_id):
        await replayer.replay_workflow(history)


def found(blob: bytes, forms: list[bytes]) -> list[bytes]:
    return [form for form in forms if form in blob]


async def test_the_private_key_never_reaches_temporal(client: Client) -> None:
    registry, task_queue = fresh_registry(client)
    async with Worker(client, task_queue=task_queue, workflows=mns_workflows()):
        await SigningKeys(registry, SEALING).check()  # a start proposes no key
        assert await registry.signing_key() is None
        key = await SigningKeys(registry, SEALING).current()
        again = await SigningKeys(registry, SEALING).current()  # another process, a restart
        assert again.fingerprint == key.fingerprint
        record = await registry.signing_key()
        assert record is not None and not record.in_clear and record.sealed_private_key
        queried = repr(record).encode()
        assert not found(queried, private_forms(key))
        (blob,) = await every_run(client, registry.workflow_id)
    assert found(blob, certificate_forms(key))  # the search sees what is stored
    assert not found(blob, private_forms(key))


async def test_a_key_kept_in_clear_is_replaced_on_first_use(client: Client) -> None:
    """As an older version left it: the clear key adopted into the registry. The first reader
    rotates to a sealed key; the run continues as new carrying only that; the old certificate
    is no longer served, the new one verifies the pushes."""
    registry, task_queue = fresh_registry(client)
    made = new_signing_key(SEALING)
    legacy_key = SigningKey.from_record(made, SEALING)
    legacy_pem = legacy_key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    legacy = SigningKeyRecord(legacy_pem.decode(), made.certificate_pem)
    async with Worker(client, task_queue=task_queue, workflows=mns_workflows()):
        assert (await registry.adopt_signing_key(legacy)).in_clear
        handle = client.get_workflow_handle(registry.workflow_id)
        first_run = (await handle.describe()).run_id
        keys, other = SigningKeys(registry, SEALING), SigningKeys(registry, SEALING)
        await asyncio.gather(keys.check(), other.check())  # two `fnf api` starting together
        sealed = await registry.signing_key()
        assert sealed is not None and not sealed.in_clear
        key = await keys.current()
        assert key.fingerprint != legacy_key.fingerprint
        assert (await other.current()).fingerprint == key.fingerprint
        assert (await SigningKeys(registry, SEALING).current()).fingerprint == key.fingerprint
        again = SigningKeyReplacement(sealed.certificate_pem, new_signing_key(SEALING))
        kept = await registry.replace_signing_key(again)
        assert kept.certificate_pem == key.certificate_pem  # a sealed key is kept for good
        record = await registry.signing_key()
        assert record is not None and not record.in_clear

        for _ in range(100):  # the run continues as new (after its 2 s minimum lifetime)
            if (await handle.describe()).run_id != first_run:
                break
            await asyncio.sleep(0.1)
        runs = await every_run(client, registry.workflow_id)
        assert len(runs) == 2
        await replays(client, registry.workflow_id)
        newest, oldest = runs
        assert found(oldest, private_forms(legacy_key))  # what the older version left
        assert not found(newest, private_forms(legacy_key))
        for blob in runs:
            assert not found(blob, private_forms(key))

        app = FastAPI()
        router = APIRouter()
        add_certificate_route(router, keys)
        app.include_router(router)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=API) as web:
            old = await web.get(f"/mns/certificates/{legacy_key.fingerprint}.pem")
            served = await web.get(f"/mns/certificates/{key.fingerprint}.pem")
    assert old.status_code == 404
    assert served.status_code == 200 and served.text == key.certificate_pem
    endpoint = "http://subscriber.example.test/in?x=1"
    body = b"<Notification/>"
    headers = signed_push_headers(key, endpoint, body, {"content-type": "text/xml"}, API)
    push = Arrived("POST", "/in?x=1", headers, body)
    assert verified(push, {key.certificate_url(API): served.text})
    assert not verified(push, {key.certificate_url(API): legacy_key.certificate_pem})


async def test_a_key_no_process_can_open_is_replaced_only_when_asked(client: Client) -> None:
    """A lost sealing key (every process now has another) or a damaged record: a clear error
    naming the way out, and FNF_MNS_REPLACE_SIGNING_KEY makes a new key the others then use."""
    lost, kept = SealingKey.ephemeral(), SealingKey.ephemeral()
    registry, task_queue = fresh_registry(client)
    async with Worker(client, task_queue=task_queue, workflows=mns_workflows()):
        old = await SigningKeys(registry, lost).current()
        with pytest.raises(SealingError) as refused:
            await SigningKeys(registry, kept).current()
        assert "another sealing key" in str(refused.value)
        assert "FNF_MNS_REPLACE_SIGNING_KEY=true" in str(refused.value)
        new = await SigningKeys(registry, kept, replace_unopenable=True).current()
        assert new.fingerprint != old.fingerprint
        assert (await SigningKeys(registry, kept).current()).fingerprint == new.fingerprint
        again = await SigningKeys(registry, kept, replace_unopenable=True).current()
        assert again.fingerprint == new.fingerprint  # a key that opens is never replaced

    registry, task_queue = fresh_registry(client)
    made = new_signing_key(kept)
    body = made.sealed_private_key.rsplit(":", 1)[1]
    flipped = ("B" if body[20] == "A" else "A").join((body[:20], body[21:]))
    damaged = SigningKeyRecord(
        certificate_pem=made.certificate_pem,
        sealed_private_key=made.sealed_private_key.replace(body, flipped),
    )
    async with Worker(client, task_queue=task_queue, workflows=mns_workflows()):
        await registry.adopt_signing_key(damaged)
        with pytest.raises(SealingError, match="damaged or was changed"):
            await SigningKeys(registry, kept).current()
        repaired = await SigningKeys(registry, kept, replace_unopenable=True).current()
        assert repaired.certificate_pem != made.certificate_pem
