"""A request whose line or headers are too long gets a readable FnF (or MNS) error, never a
connection reset or uvicorn's bare "Invalid HTTP request received.": the official SDK putting
a 700 KB parameter in the query string, a GET with a huge Input, a huge header, and the same on
MNS paths, each against a real `fnf api` subprocess, with httpx and raw sockets."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from api.protocol.request_head import MAX_REQUEST_HEAD_BYTES
from tests.api.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ApiServer

BIG = 700 * 1024


def raw_exchange(api: ApiServer, request: bytes) -> bytes:
    """Send the whole request, then read the whole answer; a reset fails the test."""
    host, port = api.endpoint.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def fnf_error(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


@pytest.mark.parametrize("size", [MAX_REQUEST_HEAD_BYTES + 1, BIG, 3 * 1024 * 1024])
def test_a_long_request_line_is_answered_not_reset(api_server: ApiServer, size: int) -> None:
    line = b"GET /?Action=StartExecution&Version=2019-03-15&Input=" + b"x" * size + b" HTTP/1.1"
    status, body = fnf_error(raw_exchange(api_server, line + b"\r\nHost: h\r\n\r\n"))
    assert (status, body["Code"]) == (400, "EntityTooLarge"), body
    assert "request line" in body["Message"] and "request body" in body["Message"], body
    assert body["RequestId"]


def test_long_headers_are_answered_not_reset(api_server: ApiServer) -> None:
    request = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"y" * BIG + b"\r\n\r\n"
    status, body = fnf_error(raw_exchange(api_server, request))
    assert (status, body["Code"]) == (400, "EntityTooLarge"), body
    assert "headers" in body["Message"], body


def test_a_get_with_a_huge_input_over_http_client(api_server: ApiServer) -> None:
    """httpx refuses to send a URL over 64 KiB itself; the standard library's client sends it."""
    params = {"Action": "StartExecution", "Version": "2019-03-15", "Input": "z" * BIG}
    host, port = api_server.endpoint.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", "/?" + urlencode(params))
        answer = connection.getresponse()
        assert answer.status == 400
        assert json.loads(answer.read())["Code"] == "EntityTooLarge"
    finally:
        connection.close()
    # the server is fine afterwards, and a head under the bound still reaches the app
    params["Input"] = "z" * 32 * 1024
    refused = httpx.get(f"http://{api_server.endpoint}/", params=params, timeout=30)
    assert refused.json()["Code"] in ("MissingRequiredParams", "InvalidAccessKeyId")


def test_the_official_sdk_reads_the_refusal(api_server: ApiServer) -> None:
    client = AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, "cn-hangzhou", timeout=30)
    request = CommonRequest(domain=api_server.endpoint, version="2019-03-15")
    request.set_action_name("StartExecution")
    request.set_protocol_type("http")
    request.set_method("POST")
    request.add_query_param("FlowName", f"f{uuid.uuid4().hex[:8]}")
    request.add_query_param("Input", json.dumps({"pad": "p" * BIG}))
    with pytest.raises((ServerException, ClientException)) as refused:
        client.do_action_with_exception(request)
    assert refused.value.get_error_code() == "EntityTooLarge"
    assert "request body" in refused.value.get_error_msg()


def test_mns_paths_answer_mns_xml(api_server: ApiServer) -> None:
    line = b"DELETE /queues/q/messages?ReceiptHandle=" + b"h" * BIG + b" HTTP/1.1"
    answer = raw_exchange(api_server, line + b"\r\nHost: h\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"x-mns-request-id: " in head.lower(), head
    root = ElementTree.fromstring(body)
    codes = [child.text for child in root if child.tag.endswith("Code")]
    assert codes == ["InvalidArgument"], body
