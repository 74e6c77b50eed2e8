"""Signed MNS HTTP pushes, checked the way a subscriber checks real MNS's pushes.

The verifier below follows MNS's page "Verify HTTP push message signatures" step by step,
with its own code and another crypto library (pycryptodome) than the signer's (cryptography):
base64-decode `x-mns-signing-cert-url`, fetch that certificate (without any AccessKey), take
its public key; build METHOD, Content-MD5, Content-Type, Date, the sorted lower-case x-mns-*
headers and the request path from what arrived; base64-decode Authorization and check it as
an RSA-SHA1 (PKCS #1 v1.5) signature of that text. The facade's subscriptions and publishes go
through the official `aliyun-mns-sdk`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from Crypto.Hash import SHA1
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from Crypto.Util.asn1 import DerSequence
from mns.account import Account
from mns.subscription import SubscriptionMeta
from mns.topic import TopicMessage, TopicMeta

from api.mns.registry import Registry
from api.mns.signing import SigningKeys
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, free_port, start_api
from tests.api.test_mns_facade import SEALING, Facade, facade

__all__ = ["facade"]  # the module-scoped fixture, shared with the facade tests

FNF = str(Path(sys.executable).with_name("fnf"))


@dataclass(frozen=True)
class Arrived:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Subscriber:
    """An HTTP endpoint that records every push; the first `failures` get 503 (MNS retries)."""

    def __init__(self, failures: int = 0) -> None:
        self.arrived: list[Arrived] = []
        self.failures = failures
        self.condition = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with owner.condition:
                    owner.arrived.append(Arrived(self.command, self.path, headers, body))
                    failing = owner.failures > 0
                    owner.failures -= 1
                    owner.condition.notify_all()
                self.send_response(503 if failing else 201)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}{path}"

    def wait_for(self, count: int, timeout: float = 20) -> list[Arrived]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.arrived) >= count, timeout)
            return list(self.arrived)


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    server = Subscriber(failures=1)
    yield server
    server.http.shutdown()


# -- the subscriber's verifier (MNS's documented algorithm) ---------------------------------


def certificate_public_key(pem: str) -> RSA.RsaKey:
    """The subjectPublicKeyInfo of an X.509 certificate (RFC 5280: tbsCertificate's 7th field)."""
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    certificate = DerSequence()
    certificate.decode(base64.b64decode("".join(lines)))
    tbs = DerSequence()
    tbs.decode(certificate[0])
    return RSA.import_key(tbs[6])


def text_to_sign(push: Arrived) -> str:
    mns_headers = sorted(
        (name, value) for name, value in push.headers.items() if name.startswith("x-mns-")
    )
    canonical = "".join(f"{name}:{value}\n" for name, value in mns_headers)
    fixed = [push.headers.get(name, "") for name in ("content-md5", "content-type", "date")]
    return f"{push.method}\n" + "\n".join(fixed) + "\n" + canonical + push.path


def verified(push: Arrived, certificates: dict[str, str]) -> bool:
    """True when the push carries a valid signature of the certificate its header names."""
    url = base64.b64decode(push.headers["x-mns-signing-cert-url"]).decode("utf-8")
    if url not in certificates:
        answer = httpx.get(url, timeout=10)  # no Authorization: the certificate is public
        assert answer.status_code == 200, answer.text
        certificates[url] = answer.text
    key = certificate_public_key(certificates[url])
    signature = base64.b64decode(push.headers["authorization"])
    try:
        pkcs1_15.new(key).verify(SHA1.new(text_to_sign(push).encode("utf-8")), signature)
    except ValueError:
        return False
    return True


def body_intact(push: Arrived) -> bool:
    """Content-MD5 is base64 of the hex MD5 of the body, as MNS sends it."""
    expected = base64.b64encode(hashlib.md5(push.body).hexdigest().encode()).decode()
    return push.headers.get("content-md5") == expected


def recent(push: Arrived, seconds: float = 900) -> bool:
    return abs(parsedate_to_datetime(push.headers["date"]).timestamp() - time.time()) < seconds


def tampered(push: Arrived, **changes: Any) -> Arrived:
    headers = {**push.headers, **changes.pop("headers", {})}
    return Arrived(
        changes.get("method", push.method),
        changes.get("path", push.path),
        headers,
        changes.get("body", push.body),
    )


# -- the tests ---------------------------------------------------------------------------------


def account(facade: Facade) -> Account:
    return Account(facade.endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET)


def test_every_push_is_signed_as_mns_signs_it(facade: Facade, subscriber: Subscriber) -> None:
    topic = account(facade).get_topic(f"signed-{uuid.uuid4().hex[:8]}")
    topic.create(TopicMeta())
    paths = {
        "xml": "/notify",
        "json": "/hooks/json?team=a&x=%2F1",  # a query is part of the signed resource
        "raw": "/hooks/%C3%BCmlaut/raw",  # so is a percent-encoded path, byte for byte
    }
    for name, path in paths.items():
        content_format = {"xml": "XML", "json": "JSON", "raw": "SIMPLIFIED"}[name]
        meta = SubscriptionMeta(subscriber.url(path), notify_content_format=content_format)
        topic.get_subscription(name).subscribe(meta)
    topic.publish_message(TopicMessage("signed <body> & ünïcode", "tag-1"))

    pushes = subscriber.wait_for(4)  # one of the three was refused once and pushed again
    certificates: dict[str, str] = {}
    assert sorted({push.path for push in pushes}) == sorted(paths.values())
    for push in pushes:
        assert push.headers["x-mns-version"] == "2015-06-06" and push.headers["x-mns-request-id"]
        assert verified(push, certificates), push
        assert body_intact(push) and recent(push)
    assert len(certificates) == 1  # one key signs every push of the deployment
    (url,) = certificates
    assert url.startswith(f"{facade.endpoint}/mns/certificates/")

    # The verifier is not vacuous: any change to what was signed breaks the signature.
    push = pushes[-1]
    other_id = {"x-mns-message-id": "0" * 32}
    assert not verified(tampered(push, headers=other_id), certificates)
    assert not verified(tampered(push, headers={"x-mns-forged": "1"}), certificates)
    assert not verified(tampered(push, headers={"date": "Thu, 01 Jan 2026 00:00:00 GMT"}), {})
    assert not verified(tampered(push, path=push.path + "x"), certificates)
    signature = base64.b64decode(push.headers["authorization"])
    forged = base64.b64encode(bytes([signature[0] ^ 1]) + signature[1:]).decode()
    assert not verified(tampered(push, headers={"authorization": forged}), certificates)


def test_the_key_is_kept_and_its_certificate_is_public(facade: Facade) -> None:
    """The key pair lives in the deployment's registry workflow: a new reader (another API
    process, or this one after a restart) gets the same key; the certificate route answers
    without authentication, and only for that key's fingerprint."""

    async def fingerprint() -> str:
        async def client() -> Any:
            return facade.context.client

        registry = Registry(client, facade.queues.registry.workflow_id.split(":", 1)[1])
        return (await SigningKeys(registry, SEALING).current()).fingerprint

    first, second = facade.run(fingerprint()), facade.run(fingerprint())
    assert first == second and len(first) == 64
    served = httpx.get(f"{facade.endpoint}/mns/certificates/{first}.pem")
    assert served.status_code == 200 and "BEGIN CERTIFICATE" in served.text
    assert certificate_public_key(served.text).n.bit_length() == 2048
    for name in (f"{'0' * 64}.pem", first, "..%2F..%2Fetc%2Fpasswd", f"{first}.pem.key"):
        assert httpx.get(f"{facade.endpoint}/mns/certificates/{name}").status_code == 404


def test_the_certificate_url_follows_fnf_mns_public_url(
    dev_server_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a proxy, subscribers reach the API at another address than the publisher did."""
    monkeypatch.setenv("FNF_MNS_PUBLIC_URL", "https://mns.example.test:8443/fnf/")
    api = start_api(dev_server_address, tmp_path / "api.log", uuid.uuid4().hex[:6])
    subscriber = Subscriber()
    try:
        mns = Account(f"http://{api.endpoint}", ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        topic = mns.get_topic(f"public-{uuid.uuid4().hex[:8]}")
        topic.create(TopicMeta())
        topic.get_subscription("hook").subscribe(SubscriptionMeta(subscriber.url("/in")))
        topic.publish_message(TopicMessage("behind a proxy"))
        (push,) = subscriber.wait_for(1)
        url = base64.b64decode(push.headers["x-mns-signing-cert-url"]).decode()
        assert url.startswith("https://mns.example.test:8443/fnf/mns/certificates/"), url
        local = url.replace("https://mns.example.test:8443/fnf", f"http://{api.endpoint}")
        assert verified(push, {url: httpx.get(local).text})
    finally:
        subscriber.http.shutdown()
        api.process.terminate()
        api.process.wait(timeout=30)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FNF_MNS_PUSH_RETRY_SCALE", "fast", "must be a number, got 'fast'"),
        ("FNF_MNS_PUSH_RETRY_SCALE", "nan", "must be a number above 0"),
        ("FNF_MNS_PUSH_RETRY_SCALE", "-1", "must be a number above 0"),
        ("FNF_MNS_PUBLIC_URL", "mns.example.test", "must be an http(s) URL"),
        ("FNF_MNS_PUBLIC_URL", "https://x/?a=1", "must be an http(s) URL"),
        ("FNF_MNS_VISIBILITY_TIMEOUT", "0", "must be 1..43200 seconds"),
    ],
)
def test_an_unusable_mns_setting_is_one_line(
    dev_server_address: str, variable: str, value: str, expected: str
) -> None:
    done = subprocess.run(
        [FNF, "api", "--address", dev_server_address, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, variable: value},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable} ") and expected in lines[0]


def publish_and_verify(endpoint: str, topic_name: str, subscriber: Subscriber, count: int) -> str:
    """Publish once to the topic (subscribed to `subscriber`), verify the push as a subscriber
    does; the certificate URL it named."""
    mns = Account(endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    mns.get_topic(topic_name).publish_message(TopicMessage(f"push {count}"))
    push = subscriber.wait_for(count)[-1]
    assert verified(push, {}), push
    return base64.b64decode(push.headers["x-mns-signing-cert-url"]).decode()


def test_pushes_verify_across_restarts_and_another_sealing_key_is_one_line(
    dev_server_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is kept sealed in Temporal: a restarted API (same deployment, same sealing key
    file) signs with the same key, so the certificate URL subscribers saw keeps verifying. An
    API given another sealing key refuses to start with one line naming both keys' ids and
    the settings to align, not a traceback nor any key material."""
    key_file = tmp_path / "sealing.key"
    key_file.write_text("the deployment's sealing key, shared by every fnf api\n")
    monkeypatch.setenv("FNF_MNS_SEALING_KEY_FILE", str(key_file))
    tag = uuid.uuid4().hex[:6]
    subscriber = Subscriber()
    urls = []
    try:
        for round_ in (1, 2):
            api = start_api(dev_server_address, tmp_path / f"api{round_}.log", tag)
            try:
                endpoint = f"http://{api.endpoint}"
                topic_name = f"restart-{tag}"
                if round_ == 1:
                    topic = Account(endpoint, ACCESS_KEY_ID, ACCESS_KEY_SECRET).get_topic(
                        topic_name
                    )
                    topic.create(TopicMeta())
                    topic.get_subscription("hook").subscribe(SubscriptionMeta(subscriber.url("/")))
                urls.append(publish_and_verify(endpoint, topic_name, subscriber, round_))
            finally:
                api.process.terminate()
                api.process.wait(timeout=30)
    finally:
        subscriber.http.shutdown()
    first, second = (url.rsplit("/", 1)[1] for url in urls)
    assert first == second  # the same certificate (by fingerprint) after the restart

    other = tmp_path / "other.key"
    other.write_text("another deployment's sealing key, not this one's\n")
    done = subprocess.run(
        [FNF, "api", "--address", dev_server_address, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
            "FNF_TASK_QUEUE": f"sdk-{tag}",
            "FNF_API_TASK_QUEUE": f"sdk-api-{tag}",
            "FNF_MNS_SEALING_KEY_FILE": str(other),
        },
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the MNS push signing key was sealed")
    assert "another sealing key" in lines[0] and str(other) in lines[0]
    assert "FNF_MNS_SEALING_KEY" in lines[0] and "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "FNF_MNS_SEALING_KEY_FILE: {path}: no such sealing key file"),
        (b"", "FNF_MNS_SEALING_KEY_FILE: {path}: the sealing key must be at least 32 characters"),
        (b"\x00\xff" * 40, "FNF_MNS_SEALING_KEY_FILE: {path}: not a sealing key file"),
        ("folder", "FNF_MNS_SEALING_KEY_FILE: {path}: is a folder"),
    ],
)
def test_an_unusable_sealing_key_file_is_one_line(
    dev_server_address: str, tmp_path: Path, content: bytes | str | None, expected: str
) -> None:
    path = tmp_path / "sealing.key"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    done = subprocess.run(
        [FNF, "api", "--address", dev_server_address, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FNF_MNS_SEALING_KEY_FILE": str(path)},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {expected.format(path=path)}")
