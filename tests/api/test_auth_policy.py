"""One authentication policy for every route: walked over the real app (FnF and MNS routes),
in process. No Temporal is needed: a refused call never reaches a service, and the services
given here record being reached instead of answering."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route

from api.actions import ApiContext
from api.app import create_app
from api.auth_policy import PUBLIC_PATHS, Scheme, scheme_for, startup_warning
from api.mns import mns_router
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import resource_throttled
from api.protocol.header_signature import signed_headers
from api.protocol.signature import TIMESTAMP_FORMAT, sign, string_to_sign
from worker.connectors.mns import sign as mns_sign

AK, SECRET = "testAK", "testSecret"
AUTH_CODES = {
    "MissingRequiredHeader",
    "MissingRequiredParams",
    "InvalidArgument",
    "InvalidAccessKeyID",
    "SignatureNotMatch",
    # MNS's own codes on /queues and /topics.
    "InvalidAuthorizationHeader",
    "SignatureDoesNotMatch",
}
EXPECTED_PUBLIC = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/docs/static/anything",  # the docs pages' own scripts and styles (fastapi-offline)
    "/mns/certificates/{name}",  # the public certificate MNS HTTP pushes are signed with
}


@dataclass
class Reached:
    """Records every time a call got past the policy into a service."""

    calls: list[str] = field(default_factory=list)

    async def context(self, access_key_id: str | None) -> ApiContext:
        self.calls.append("fnf")
        raise resource_throttled()

    async def temporal(self) -> Any:
        self.calls.append("mns")
        raise RuntimeError("the MNS service was reached")


def build_app(reached: Reached, *, allow_unsigned: bool = False) -> FastAPI:
    keys = AccessKeys({AK: SECRET})
    app = create_app(reached.context, keys, allow_unsigned=allow_unsigned)
    app.include_router(mns_router(reached.temporal, keys, allow_unsigned, "auth-test-api"))
    return app


@pytest.fixture
def reached() -> Reached:
    return Reached()


@pytest.fixture
def client(reached: Reached) -> Iterator[TestClient]:
    with TestClient(build_app(reached), raise_server_exceptions=False) as test_client:
        yield test_client


def concrete(path: str) -> str:
    """A request path for a route template: each parameter becomes a valid name."""
    return re.sub(r"\{[^}]+\}", "auth-probe", path)


def every_route(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) for every method of every route the app has: included
    routers (kept as one node by FastAPI >= 0.16x) and mounts are walked into, so nothing
    reachable is skipped."""
    yield from _walk(app.routes, "")


def _walk(routes: Iterable[BaseRoute], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + getattr(context, "prefix", ""))
            continue
        path = prefix + str(getattr(route, "path", ""))
        if isinstance(route, Mount):
            yield "GET", path + "/anything"
            yield from _walk(route.routes, path)
            continue
        assert path, f"a route without a path: {route!r}"
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            yield method, path


def code_of(response: Any) -> str:
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("Code", ""))
    match = re.search(r"<Code>([^<]*)</Code>", response.text)
    return match.group(1) if match else ""


def rpc_query(secret: str, method: str, **extra: str) -> dict[str, str]:
    """An RPC v1 call signed with `secret` (wrong unless it is SECRET)."""
    params = {
        "Action": "DeleteFlow",
        "Version": "2019-03-15",
        "Name": "saga",
        "AccessKeyId": AK,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": secrets.token_hex(8),
        "Timestamp": datetime.now(UTC).strftime(TIMESTAMP_FORMAT),
        **extra,
    }
    params["Signature"] = sign(string_to_sign(method, params), secret)
    return params


def mns_headers(secret: str, method: str, resource: str) -> dict[str, str]:
    date = formatdate(usegmt=True)
    signature = mns_sign(secret, method, "", "", date, {}, resource)
    return {"Date": date, "Authorization": f"MNS {AK}:{signature}"}


def unsigned(path: str) -> dict[str, Any]:
    """Keyword arguments for TestClient.request: a call shaped for its route, not signed."""
    scheme = scheme_for(path)
    if scheme is Scheme.RPC:
        return {"params": {"Action": "DeleteFlow", "Version": "2019-03-15", "Name": "saga"}}
    if scheme is Scheme.MNS:
        return {"content": b"<Message><MessageBody>hi</MessageBody></Message>"}
    return {"json": {"Name": "saga"}}


def wrongly_signed(method: str, path: str) -> dict[str, Any]:
    """Keyword arguments for TestClient.request: the right scheme, the wrong secret."""
    scheme = scheme_for(path)
    if scheme is Scheme.RPC:
        return {"params": rpc_query("not-the-secret", method)}
    if scheme is Scheme.MNS:
        return {"headers": mns_headers("not-the-secret", method, path)}
    body = b'{"Name": "saga"}'
    headers = signed_headers(AK, "not-the-secret", method, path, body)
    return {"content": body, "headers": {**headers, "Content-Type": "application/json"}}


def test_the_public_paths_are_exactly_the_api_description(client: TestClient) -> None:
    """Opening a route is a decision: a new public path must be added here and to the policy."""
    app = client.app
    assert isinstance(app, FastAPI)
    public = {path for _, path in every_route(app) if scheme_for(path) is Scheme.PUBLIC}
    assert public == EXPECTED_PUBLIC
    assert PUBLIC_PATHS <= EXPECTED_PUBLIC
    for path in ("/", "/actions/DeleteFlow", "/queues/q/messages", "/docsx", "/openapi.json/x"):
        assert scheme_for(path) is not Scheme.PUBLIC, path
    assert client.get("/openapi.json").status_code == 200


def test_every_route_refuses_unsigned_and_wrongly_signed_calls(
    client: TestClient, reached: Reached
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    walked = 0
    for method, template in every_route(app):
        if scheme_for(template) in (Scheme.PUBLIC, Scheme.CONSOLE):
            continue  # the console's pages: its session cookie (tests/console/test_console_auth.py)
        path = concrete(template)
        bare = client.request(method, path, **unsigned(path))
        wrong = client.request(method, path, **wrongly_signed(method, path))
        for label, response in (("unsigned", bare), ("wrongly signed", wrong)):
            assert response.status_code in (400, 403), (label, method, path, response.text)
            if method != "HEAD":
                assert code_of(response) in AUTH_CODES, (label, method, path, response.text)
        if method != "HEAD":
            assert code_of(wrong) in ("SignatureNotMatch", "SignatureDoesNotMatch"), wrong.text
        walked += 1
    assert walked > 30  # the RPC route, every JSON action, every MNS route
    assert reached.calls == []


def test_with_unsigned_calls_allowed_every_route_reaches_its_service() -> None:
    """The walk above can fail: the same unsigned calls get through when the opt-out is on."""
    reached = Reached()
    app = build_app(reached, allow_unsigned=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        json_form = client.post("/actions/DeleteFlow", json={"Name": "saga"})
        rpc = client.get("/", params={"Action": "DeleteFlow", "Version": "2019-03-15", "Name": "x"})
        mns = client.post(
            "/queues/auth-probe/messages",
            content=b"<Message><MessageBody>hi</MessageBody></Message>",
        )
    assert code_of(json_form) == code_of(rpc) == "ResourceThrottled"
    assert code_of(mns) not in AUTH_CODES
    assert reached.calls == ["fnf", "fnf", "mns"]


def probe_app() -> FastAPI:
    """The facade with routes added after create_app, the way a later feature would."""
    app = create_app(Reached().context, AccessKeys({AK: SECRET}))

    @app.post("/later/probe")
    async def probe(request: Request) -> dict[str, str]:
        return {"Body": (await request.body()).decode()}

    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse("reached")

    app.router.routes.append(Route("/later/plain", plain, methods=["GET"]))
    return app


@pytest.fixture(scope="module")
def probe() -> Iterator[TestClient]:
    with TestClient(probe_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def signed_post(
    client: TestClient, body: bytes, *, path: str = "/later/probe", **sign_args: Any
) -> Any:
    key_id = sign_args.pop("key_id", AK)
    secret = sign_args.pop("secret", SECRET)
    headers = signed_headers(key_id, secret, "POST", path, body, **sign_args)
    return client.post(path, content=body, headers=headers)


def test_a_route_added_later_is_signed_only_by_default(probe: TestClient) -> None:
    assert code_of(probe.post("/later/probe", content=b"x")) == "MissingRequiredHeader"
    assert code_of(probe.get("/later/plain")) == "MissingRequiredHeader"
    answer = signed_post(probe, b"hello")
    assert (answer.status_code, answer.json()) == (200, {"Body": "hello"})
    headers = signed_headers(AK, SECRET, "GET", "/later/plain", b"")
    plain = probe.get("/later/plain", headers=headers)
    assert (plain.status_code, plain.text) == (200, "reached")


def test_a_replayed_nonce_is_refused(probe: TestClient) -> None:
    headers = signed_headers(AK, SECRET, "POST", "/later/probe", b"once")
    assert probe.post("/later/probe", content=b"once", headers=headers).status_code == 200
    replay = probe.post("/later/probe", content=b"once", headers=headers)
    assert (replay.status_code, code_of(replay)) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("offset", [timedelta(minutes=16), timedelta(minutes=-16)])
def test_a_stale_or_future_timestamp_is_refused(probe: TestClient, offset: timedelta) -> None:
    answer = signed_post(probe, b"late", now=datetime.now(UTC) + offset)
    assert (answer.status_code, code_of(answer)) == (403, "RequestTimeTooSkewed")
    inside = signed_post(probe, b"late", now=datetime.now(UTC) + offset / 2)
    assert inside.status_code == 200


def test_an_unknown_key_or_wrong_secret_is_refused(probe: TestClient) -> None:
    unknown = signed_post(probe, b"x", key_id="stranger")
    assert (unknown.status_code, code_of(unknown)) == (403, "InvalidAccessKeyID")
    wrong = signed_post(probe, b"x", secret="guess")
    assert (wrong.status_code, code_of(wrong)) == (403, "SignatureNotMatch")
    assert "/later/probe" in wrong.json()["Message"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b, p: (h, b + b" ", p),  # body changed after signing
        lambda h, b, p: (h, b, "/later/probe?x=1"),  # query added
        lambda h, b, p: ({**h, "x-fnf-nonce": "other"}, b, p),  # nonce swapped
        lambda h, b, p: ({**h, "x-fnf-timestamp": h["x-fnf-timestamp"][:-3] + "00Z"}, b, p),
    ],
)
def test_whatever_is_signed_cannot_be_changed(
    probe: TestClient, tamper: Callable[[dict[str, str], bytes, str], Any]
) -> None:
    body = b'{"Name": "saga"}'
    headers = signed_headers(
        AK, SECRET, "POST", "/later/probe", body, now=datetime.now(UTC).replace(second=1)
    )
    changed_headers, changed_body, path = tamper(headers, body, "/later/probe")
    answer = probe.post(path, content=changed_body, headers=changed_headers)
    assert (answer.status_code, code_of(answer)) == (403, "SignatureNotMatch")


def test_missing_parts_are_named(probe: TestClient) -> None:
    full = signed_headers(AK, SECRET, "POST", "/later/probe", b"")
    for dropped, code in (
        ("Authorization", "MissingRequiredHeader"),
        ("x-fnf-timestamp", "MissingRequiredHeader"),
        ("x-fnf-nonce", "MissingRequiredHeader"),
    ):
        headers = {k: v for k, v in full.items() if k != dropped}
        answer = probe.post("/later/probe", content=b"", headers=headers)
        assert (answer.status_code, code_of(answer)) == (400, code), dropped
        assert dropped in answer.json()["Message"]


HEADER_VALUES = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.sampled_from(
        [
            "FNF-HMAC-SHA256",
            "FNF-HMAC-SHA256 ",
            "FNF-HMAC-SHA256 :",
            f"FNF-HMAC-SHA256 {AK}:",
            f"FNF-HMAC-SHA256 {AK}:{'a' * 64}",
            f"FNF-HMAC-SHA256 ü:{'a' * 64}",
            "MNS testAK:abc",
            "Bearer x",
            "9999-99-99T99:99:99Z",
            "2026-02-30T10:00:00Z",
            "0000-01-01T00:00:00Z",
            "\u00e9" * 100,
        ]
    ),
)


def _as_header(value: str | bytes) -> bytes:
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return bytes(b for b in raw if b not in b"\r\n\x00").strip()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/actions/DeleteFlow", "/later/probe", "/", "/queues/q/messages"]),
    authorization=HEADER_VALUES,
    timestamp=HEADER_VALUES,
    nonce=HEADER_VALUES,
    date=HEADER_VALUES,
)
def test_hostile_auth_headers_never_answer_5xx(
    probe: TestClient, path: str, authorization: Any, timestamp: Any, nonce: Any, date: Any
) -> None:
    headers = [
        (b"authorization", _as_header(authorization)),
        (b"x-fnf-timestamp", _as_header(timestamp)),
        (b"x-fnf-nonce", _as_header(nonce)),
        (b"date", _as_header(date)),
    ]
    answer = probe.post(path, content=b"{}", headers=headers)  # type: ignore[arg-type]
    assert 400 <= answer.status_code < 500, answer.text
    assert code_of(answer)
    hostile_host = probe.post(path, content=b"{}", headers=[(b"host", headers[3][1])])
    assert 400 <= hostile_host.status_code < 500, hostile_host.text


def test_huge_auth_headers_are_refused_cleanly(client: TestClient) -> None:
    huge = "x" * 200_000
    for path in ("/actions/DeleteFlow", "/queues/q/messages", "/"):
        headers = {
            "Authorization": f"FNF-HMAC-SHA256 {huge}:{'a' * 64}",
            "x-fnf-timestamp": huge,
            "x-fnf-nonce": huge,
            "Date": huge,
        }
        answer = client.post(path, content=b"{}", headers=headers)
        assert 400 <= answer.status_code < 500, answer.text
        assert len(answer.content) < 5_000


def test_an_oversized_body_is_refused_before_it_is_buffered(client: TestClient) -> None:
    big = b"x" * (2 * 1024 * 1024)
    answer = client.post("/actions/StartExecution", content=big)
    assert (answer.status_code, code_of(answer)) == (400, "EntityTooLarge")
    mns = client.post("/queues/q/messages", content=big)
    assert (mns.status_code, code_of(mns)) == (400, "InvalidArgument")


def test_mns_signature_still_verified_by_the_policy() -> None:
    reached = Reached()
    with TestClient(build_app(reached), raise_server_exceptions=False) as client:
        body = b"<Message><MessageBody>hi</MessageBody></Message>"
        resource = "/queues/auth-probe/messages"
        headers = mns_headers(SECRET, "POST", resource)
        answer = client.post(resource, content=body, headers=headers)
    assert code_of(answer) not in AUTH_CODES
    assert reached.calls == ["mns"]


def test_rpc_replay_is_refused_by_the_policy() -> None:
    reached = Reached()
    with TestClient(build_app(reached), raise_server_exceptions=False) as client:
        query = rpc_query(SECRET, "GET")
        first = client.get("/", params=query)
        again = client.get("/", params=query)
    assert code_of(first) == "ResourceThrottled"
    assert (again.status_code, code_of(again)) == (400, "SignatureNonceUsed")


def test_fnf_api_warns_about_an_open_or_a_closed_door() -> None:
    keys = AccessKeys({AK: SECRET})
    assert startup_warning(keys, False, "0.0.0.0") is None
    assert startup_warning(keys, True, "127.0.0.1") is None
    assert "anyone" in (startup_warning(keys, True, "0.0.0.0") or "")
    assert "refused" in (startup_warning(AccessKeys(), False, "127.0.0.1") or "")
