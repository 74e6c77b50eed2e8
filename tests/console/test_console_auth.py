"""The console is under the API's one policy: every console route but the login page and the
static assets needs the session cookie the login page sets from an AccessKey pair; an FnF
signature does not open it, a forged or expired cookie does not either, and every POST needs
the session's CSRF token. Walked over the real app in process, as tests/api/test_auth_policy.py
walks the API's routes (services record being reached instead of answering)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth_policy import CONSOLE_OPEN, CONSOLE_OPEN_PREFIXES, Scheme, scheme_for
from api.console.session import COOKIE, LIFETIME_SECONDS, ConsoleSessions
from api.protocol.access_keys import AccessKeys
from api.protocol.header_signature import signed_headers
from tests.api.test_auth_policy import AK, SECRET, Reached, build_app, concrete, every_route


@pytest.fixture
def reached() -> Reached:
    return Reached()


@pytest.fixture
def client(reached: Reached) -> Iterator[TestClient]:
    app = build_app(reached)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = [(m, p) for m, p in every_route(app) if scheme_for(p) is Scheme.CONSOLE]
    return [
        (m, p)
        for m, p in routes
        if p not in CONSOLE_OPEN and not p.startswith(CONSOLE_OPEN_PREFIXES)
    ]


def cookie(value: str | None) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value or ''}"}


def refused(response: object, method: str) -> bool:
    status = getattr(response, "status_code", 0)
    if method in ("GET", "HEAD"):
        location = getattr(response, "headers", {}).get("location", "")
        return status == 303 and location.startswith("/console/login?next=")
    return status == 403


def login(client: TestClient, secret: str = SECRET) -> TestClient:
    page = client.get("/console/login")
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
    assert token is not None
    data = {"token": token.group(1), "access_key_id": AK, "access_key_secret": secret}
    client.post("/console/login", data=data)
    return client


def test_every_console_route_needs_a_session(client: TestClient, reached: Reached) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routes = console_routes(app)
    assert len(routes) >= 12
    forged = ConsoleSessions(AccessKeys({AK: "not-the-secret"})).login(AK, "not-the-secret")
    expired = ConsoleSessions(AccessKeys({AK: SECRET})).login(
        AK, SECRET, time.time() - 2 * LIFETIME_SECONDS
    )
    for method, template in routes:
        path = concrete(template)
        body = b"csrf=x"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        signed = signed_headers(AK, SECRET, method, path, body)  # FnF's signature: not a session
        attempts = [
            client.request(method, path, content=body, headers=headers),
            client.request(method, path, content=body, headers={**headers, **signed}),
            client.request(
                method,
                path,
                content=body,
                headers={**headers, "Cookie": f"{COOKIE}={forged or ''}"},
            ),
            client.request(
                method,
                path,
                content=body,
                headers={**headers, "Cookie": f"{COOKIE}={expired or ''}"},
            ),
            client.request(
                method, path, content=body, headers={**headers, "Cookie": f"{COOKIE}={'a.b.c.d'}"}
            ),
        ]
        for response in attempts:
            assert refused(response, method), (
                method,
                path,
                response.status_code,
                response.text[:200],
            )
    assert reached.calls == []


def test_the_open_console_paths_hold_no_data(client: TestClient, reached: Reached) -> None:
    assert client.get("/console/login").status_code == 200
    assert client.get("/console/static/console.js").status_code == 200
    assert reached.calls == []


def test_a_right_pair_opens_the_console_and_a_wrong_one_does_not(
    client: TestClient, reached: Reached
) -> None:
    login(client, "wrong")
    assert COOKIE not in client.cookies
    assert refused(client.get("/console/"), "GET")
    assert reached.calls == []
    login(client)
    assert COOKIE in client.cookies
    page = client.get("/console/")
    assert reached.calls == ["fnf"]  # the flows list asked the service (which refused here)
    assert page.status_code == 429 and "ResourceThrottled" in page.text


def test_a_login_without_its_form_token_is_refused(client: TestClient) -> None:
    data = {"token": "forged", "access_key_id": AK, "access_key_secret": SECRET}
    response = client.post("/console/login", data=data)
    assert response.status_code == 403
    assert COOKIE not in client.cookies


def test_posts_need_the_csrf_token(client: TestClient, reached: Reached) -> None:
    login(client)
    for path in ("/console/flows/saga/start", "/console/flows/new", "/console/logout"):
        for data in ({}, {"csrf": "0" * 64}):
            response = client.post(path, data={**data, "input": "{}"})
            assert response.status_code == 403, (path, response.text)
            assert "InvalidCsrfToken" in response.text
    assert reached.calls == []
    page = client.get("/console/flows/new")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token is not None
    started = client.post("/console/flows/saga/start", data={"csrf": token.group(1), "input": "{}"})
    assert reached.calls == ["fnf"] and started.status_code == 429


def test_the_local_only_mode_needs_no_login() -> None:
    reached = Reached()
    with TestClient(build_app(reached, allow_unsigned=True), follow_redirects=False) as client:
        assert client.get("/console/login").status_code == 303
        client.get("/console/")
        assert reached.calls == ["fnf"]
        assert client.post("/console/flows/saga/start", data={"input": "{}"}).status_code == 403
