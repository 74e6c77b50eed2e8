"""MnsClient against a real local HTTP server that checks MNS signatures on its own: no mocks.

The server's check is written here from the MNS spec, not taken from the module, so a signing
mistake in the client cannot hide behind the same mistake in the verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import pytest_asyncio

from worker.connectors.mns import (
    MnsClient,
    MnsCredentials,
    MnsError,
    content_md5,
    sign,
    string_to_sign,
)

XMLNS = "http://mns.aliyuncs.com/doc/v1/"
PROLOG = f'<?xml version="1.0" encoding="utf-8"?><Message xmlns="{XMLNS}">'
CREDENTIALS = MnsCredentials("test-key-id", "test-key-secret")
SECRETS = {CREDENTIALS.access_key_id: CREDENTIALS.access_key_secret}

VECTOR_BODY = (
    PROLOG + "<MessageBody>{&quot;task_token&quot;: &quot;tok-123&quot;, &quot;input&quot;: "
    "{&quot;n&quot;: 1}, &quot;note&quot;: &quot;&lt;&amp;&gt;&quot;}</MessageBody></Message>"
)
VECTOR_MD5 = "YTZmZDE5NWE0YmU4Yjc4Nzg4MmY1MWVhMWQ0NjAwODk="
VECTOR_STRING_TO_SIGN = (
    f"POST\n{VECTOR_MD5}\ntext/xml;charset=UTF-8\nMon, 23 Nov 2026 05:27:53 GMT\n"
    "x-mns-version:2015-06-06\n/queues/fnf-tasks/messages"
)

QUEUE_NOT_EXIST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Error xmlns="{XMLNS}"><Code>QueueNotExist</Code>'
    "<Message>The queue name you provided is not exist.</Message>"
    "<RequestId>5F1A2B3C4D5E6F</RequestId><HostId>http://123.mns.cn-hangzhou.aliyuncs.com</HostId>"
    "</Error>"
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    problem: str | None  # why the server refused the signature, None when it verified


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


class FakeMns:
    """What the server saw, and the answers it gives by path (default: MNS's 201)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.replies: dict[str, Reply] = {}

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.replies.clear()

    def only_request(self) -> Recorded:
        with self.lock:
            assert len(self.requests) == 1, self.requests
            return self.requests[0]


def expected_content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).hexdigest().encode()).decode()


def signature_problem(method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
    """The server's own check of an MNS request, from the spec; None when it passes."""
    match = re.fullmatch(r"MNS ([^:]+):(.+)", headers.get("authorization", ""))
    if match is None or match.group(1) not in SECRETS:
        return "bad Authorization header"
    if headers.get("content-md5") != expected_content_md5(body):
        return "content-md5 does not match the body"
    if headers.get("x-mns-version") != "2015-06-06":
        return "missing x-mns-version"
    if abs(parsedate_to_datetime(headers["date"]).timestamp() - time.time()) > 900:
        return "date too far from now"
    mns_lines = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers) if k.startswith("x-mns-"))
    fields = [method, headers["content-md5"], headers.get("content-type", ""), headers["date"]]
    text = "\n".join(fields) + "\n" + mns_lines + path
    secret = SECRETS[match.group(1)].encode()
    wanted = base64.b64encode(hmac.new(secret, text.encode(), hashlib.sha1).digest()).decode()
    return None if hmac.compare_digest(wanted, match.group(2)) else "signature mismatch"


def accepted(body: bytes, request_number: int) -> Reply:
    """MNS's 201: the MD5 is that of the message body text, upper-case hex."""
    text = ElementTree.fromstring(body).findtext(f"{{{XMLNS}}}MessageBody") or ""
    md5 = hashlib.md5(text.encode()).hexdigest().upper()
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{XMLNS}">\n'
        f"  <MessageId>MSG-{request_number}</MessageId>\n"
        f"  <MessageBodyMD5>{md5}</MessageBodyMD5>\n</Message>"
    )
    return Reply(201, xml.encode(), {"x-mns-request-id": f"REQ-{request_number}"})


def make_handler(fake: FakeMns) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = signature_problem("POST", self.path, headers, body)
            with fake.lock:
                fake.requests.append(Recorded("POST", self.path, headers, body, problem))
                number = len(fake.requests)
                reply = fake.replies.get(self.path)
            if self.path.endswith("/slow/messages"):
                time.sleep(0.5)
            if problem is not None:
                error = f"<Error><Code>SignatureDoesNotMatch</Code><Message>{problem}</Message>"
                reply = Reply(403, f"{error}<RequestId>R</RequestId></Error>".encode(), {})
            self.reply(reply or accepted(body, number))

        def reply(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in {"Content-Type": "text/xml;charset=utf-8", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on /slow


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, FakeMns]]:
    fake = FakeMns()
    httpd = QuietServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server: tuple[str, FakeMns]) -> FakeMns:
    server[1].reset()
    return server[1]


@pytest_asyncio.fixture
async def mns(server: tuple[str, FakeMns], fake: FakeMns) -> AsyncIterator[MnsClient]:
    client = MnsClient(server[0] + "/", CREDENTIALS, timeout=5.0)
    yield client
    await client.aclose()


def test_content_md5_and_string_to_sign_match_a_captured_request() -> None:
    assert content_md5(VECTOR_BODY.encode()) == VECTOR_MD5
    text = string_to_sign(
        "POST",
        VECTOR_MD5,
        "text/xml;charset=UTF-8",
        "Mon, 23 Nov 2026 05:27:53 GMT",
        {"x-mns-version": "2015-06-06"},
        "/queues/fnf-tasks/messages",
    )
    assert text == VECTOR_STRING_TO_SIGN


def test_string_to_sign_keeps_only_x_mns_headers_sorted_and_lower_cased() -> None:
    headers = {"X-MNS-Version": "2015-06-06", "Host": "h", "x-mns-a": "1", "security-token": "t"}
    text = string_to_sign("POST", "m", "t", "d", headers, "/r?x=1")
    assert text == "POST\nm\nt\nd\nx-mns-a:1\nx-mns-version:2015-06-06\n/r?x=1"


def test_sign_is_base64_hmac_sha1_of_the_string_to_sign() -> None:
    digest = hmac.new(b"secret", VECTOR_STRING_TO_SIGN.encode(), hashlib.sha1).digest()
    signature = sign(
        "secret",
        "POST",
        VECTOR_MD5,
        "text/xml;charset=UTF-8",
        "Mon, 23 Nov 2026 05:27:53 GMT",
        {"x-mns-version": "2015-06-06"},
        "/queues/fnf-tasks/messages",
    )
    assert signature == base64.b64encode(digest).decode()


async def test_send_message_produces_the_captured_request_bytes(
    mns: MnsClient, fake: FakeMns
) -> None:
    body = json.dumps({"task_token": "tok-123", "input": {"n": 1}, "note": "<&>"})
    await mns.send_message("fnf-tasks", body)
    request = fake.only_request()
    assert request.body == VECTOR_BODY.encode()
    assert request.headers["content-md5"] == VECTOR_MD5


async def test_send_message_round_trip(mns: MnsClient, fake: FakeMns) -> None:
    body = '{"note": "<&>\\"\'", "city": "Zürich 北京"}'
    result = await mns.send_message("fnf-tasks", body)

    request = fake.only_request()
    assert request.problem is None
    assert (request.method, request.path) == ("POST", "/queues/fnf-tasks/messages")
    escaped = "{&quot;note&quot;: &quot;&lt;&amp;&gt;\\&quot;'&quot;, &quot;city&quot;: "
    escaped += "&quot;Zürich 北京&quot;}"
    assert request.body == f"{PROLOG}<MessageBody>{escaped}</MessageBody></Message>".encode()
    assert request.headers["content-type"] == "text/xml;charset=UTF-8"
    assert request.headers["content-md5"] == expected_content_md5(request.body)
    assert request.headers["x-mns-version"] == "2015-06-06"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", request.headers["date"])
    assert request.headers["authorization"].startswith("MNS test-key-id:")
    assert "security-token" not in request.headers
    assert result == {
        "MessageId": "MSG-1",
        "MessageBodyMD5": hashlib.md5(body.encode()).hexdigest().upper(),
        "RequestId": "REQ-1",
    }


async def test_send_message_priority_and_delay(mns: MnsClient, fake: FakeMns) -> None:
    await mns.send_message("q", "hi", priority=16, delay_seconds=604800)
    request = fake.only_request()
    assert request.problem is None
    expected = "<MessageBody>hi</MessageBody><DelaySeconds>604800</DelaySeconds>"
    expected += "<Priority>16</Priority>"
    assert request.body == f"{PROLOG}{expected}</Message>".encode()


@pytest.mark.parametrize(
    "options",
    [
        {"priority": 0},
        {"priority": 17},
        {"priority": True},
        {"delay_seconds": -1},
        {"delay_seconds": 604801},
    ],
)
async def test_out_of_range_values_fail_before_sending(
    mns: MnsClient, fake: FakeMns, options: dict[str, Any]
) -> None:
    with pytest.raises(MnsError) as caught:
        await mns.send_message("q", "hi", **options)
    assert caught.value.name == "MNS.InvalidArgument"
    assert fake.requests == []


@pytest.mark.parametrize(
    ("queue", "body"),
    [("a/../b", "hi"), ("", "hi"), ("q", ""), ("-q", "hi"), ("q_1", "hi"), ("q" * 257, "hi")],
)
async def test_bad_names_and_empty_bodies_fail_before_sending(
    mns: MnsClient, fake: FakeMns, queue: str, body: str
) -> None:
    with pytest.raises(MnsError) as caught:
        await mns.send_message(queue, body)
    assert caught.value.name == "MNS.InvalidArgument"
    assert fake.requests == []


async def test_publish_with_tag_and_attributes(mns: MnsClient, fake: FakeMns) -> None:
    mail = {"AccountName": "a@b.c", "Subject": "Hi & bye", "AddressType": 0}
    result = await mns.publish_message(
        "fnf-topic", "hello", tag="urgent", attributes={"DirectMail": mail}
    )
    request = fake.only_request()
    assert request.problem is None
    assert request.path == "/topics/fnf-topic/messages"
    root = ElementTree.fromstring(request.body)
    assert [child.tag.split("}")[1] for child in root] == [
        "MessageBody",
        "MessageTag",
        "MessageAttributes",
    ]
    assert root.findtext(f"{{{XMLNS}}}MessageTag") == "urgent"
    direct_mail = root.findtext(f"{{{XMLNS}}}MessageAttributes/{{{XMLNS}}}DirectMail")
    assert json.loads(direct_mail or "") == mail
    assert result["MessageId"] == "MSG-1"
    assert result["RequestId"] == "REQ-1"


async def test_publish_attributes_given_as_text(mns: MnsClient, fake: FakeMns) -> None:
    await mns.publish_message("t", "a", attributes='{"DirectSMS": {"FreeSignName": "x"}}')
    await mns.publish_message("t", "b", attributes="not json <>")
    await mns.publish_message("t", "c", tag="", attributes={})
    first, second, third = fake.requests
    assert b"<MessageAttributes><DirectSMS>{&quot;FreeSignName&quot;:&quot;x&quot;}" in first.body
    assert b"<MessageAttributes>not json &lt;&gt;</MessageAttributes>" in second.body
    assert b"MessageTag" not in first.body
    assert third.body == f"{PROLOG}<MessageBody>c</MessageBody></Message>".encode()


async def test_error_xml_gives_mns_code(mns: MnsClient, fake: FakeMns) -> None:
    fake.replies["/queues/missing/messages"] = Reply(404, QUEUE_NOT_EXIST.encode(), {})
    with pytest.raises(MnsError) as caught:
        await mns.send_message("missing", "hi")
    assert caught.value.name == "MNS.QueueNotExist"
    assert json.loads(caught.value.cause) == {
        "Code": "QueueNotExist",
        "Message": "The queue name you provided is not exist.",
        "RequestId": "5F1A2B3C4D5E6F",
    }
    assert caught.value.cause.startswith('{"Code":"QueueNotExist","Message":')  # compact JSON


async def test_unparseable_errors_name_the_status(mns: MnsClient, fake: FakeMns) -> None:
    fake.replies["/queues/broken/messages"] = Reply(500, b"<html>oops" + b"x" * 2000, {})
    fake.replies["/queues/odd/messages"] = Reply(400, b"not xml", {})
    with pytest.raises(MnsError) as broken:
        await mns.send_message("broken", "hi")
    with pytest.raises(MnsError) as odd:
        await mns.send_message("odd", "hi")
    assert broken.value.name == "MNS.InternalError"
    assert "HTTP 500" in broken.value.cause
    assert "<html>oops" in broken.value.cause
    assert len(broken.value.cause) < 700  # the body is cut to 512 characters
    assert odd.value.name == "MNS.InvalidResponse"
    assert "HTTP 400" in odd.value.cause
    assert "not xml" in odd.value.cause


async def test_success_without_message_id_is_invalid(mns: MnsClient, fake: FakeMns) -> None:
    fake.replies["/queues/q/messages"] = Reply(201, b"<Message><Other>1</Other></Message>", {})
    with pytest.raises(MnsError) as caught:
        await mns.send_message("q", "hi")
    assert caught.value.name == "MNS.InvalidResponse"


async def test_huge_error_messages_are_cut_to_4096(mns: MnsClient, fake: FakeMns) -> None:
    huge = f"<Error><Code>Throttled</Code><Message>{'x' * 9000}</Message></Error>"
    fake.replies["/queues/q/messages"] = Reply(503, huge.encode(), {"x-mns-request-id": "R9"})
    with pytest.raises(MnsError) as caught:
        await mns.send_message("q", "hi")
    assert caught.value.name == "MNS.Throttled"
    assert len(caught.value.cause) == 4096


async def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as unused:  # bound, not listening: connecting is refused
        unused.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{unused.getsockname()[1]}"
        client = MnsClient(endpoint, CREDENTIALS)
        with pytest.raises(MnsError) as caught:
            await client.send_message("q", "hi")
        await client.aclose()
    assert caught.value.name == "MNS.NetworkError"
    assert endpoint in caught.value.cause
    assert "ConnectError" in caught.value.cause


async def test_timeout_is_a_network_error(server: tuple[str, FakeMns], fake: FakeMns) -> None:
    client = MnsClient(server[0], CREDENTIALS, timeout=0.1)
    with pytest.raises(MnsError) as caught:
        await client.send_message("slow", "hi")
    await client.aclose()
    assert caught.value.name == "MNS.NetworkError"
    assert "ReadTimeout" in caught.value.cause


async def test_security_token_header(server: tuple[str, FakeMns], fake: FakeMns) -> None:
    credentials = MnsCredentials("test-key-id", "test-key-secret", security_token="sts-token")
    client = MnsClient(server[0], credentials)
    await client.publish_message("t", "hi")
    await client.aclose()
    request = fake.only_request()
    assert request.headers["security-token"] == "sts-token"
    assert request.problem is None


async def test_endpoint_path_is_part_of_the_signed_resource(
    server: tuple[str, FakeMns], fake: FakeMns
) -> None:
    async with httpx.AsyncClient() as http:
        client = MnsClient(server[0] + "/mns/", CREDENTIALS, http_client=http)
        await client.send_message("q", "hi")
        await client.aclose()
        assert not http.is_closed  # a given client is left to its owner
    request = fake.only_request()
    assert request.path == "/mns/queues/q/messages"
    assert request.problem is None


async def test_wrong_secret_is_refused_by_the_server(
    server: tuple[str, FakeMns], fake: FakeMns
) -> None:
    client = MnsClient(server[0], MnsCredentials("test-key-id", "wrong"))
    with pytest.raises(MnsError) as caught:
        await client.send_message("q", "hi")
    await client.aclose()
    assert caught.value.name == "MNS.SignatureDoesNotMatch"


@pytest.mark.parametrize("endpoint", ["ftp://mns.example", "mns.example:80", "http://", ""])
def test_endpoint_must_be_http(endpoint: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        MnsClient(endpoint, CREDENTIALS)


def test_errors_pickle_and_credentials_hide_the_secret() -> None:
    error = pickle.loads(pickle.dumps(MnsError("MNS.QueueNotExist", "gone")))
    assert (error.name, error.cause) == ("MNS.QueueNotExist", "gone")
    assert "test-key-secret" not in repr(CREDENTIALS)
