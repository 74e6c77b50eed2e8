"""The console with a flow of a few thousand steps, over HTTP (no browser needed): its graph
is drawn, and drawing it does not hold up the other requests the same `fnf api` serves."""

from __future__ import annotations

import re
import threading
import time
import uuid

import httpx

from tests.console.console_browser import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ConsoleServer


def signed_in_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    login = client.get("/console/login")
    token = re.search(r'name="token" value="([^"]+)"', login.text)
    assert token, login.text
    done = client.post(
        "/console/login",
        data={
            "token": token.group(1),
            "access_key_id": ACCESS_KEY_ID,
            "access_key_secret": ACCESS_KEY_SECRET,
            "next": "/console/",
        },
    )
    assert done.status_code == 303, done.text
    return client


def create_flow(client: httpx.Client, name: str, definition: str) -> None:
    page = client.get("/console/flows/new")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    created = client.post(
        "/console/flows/new",
        data={"csrf": csrf.group(1), "name": name, "definition": definition, "description": ""},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text


def test_a_long_flow_is_drawn_without_holding_up_other_requests(
    console_server: ConsoleServer,
) -> None:
    """grandalf's recursion once ended a 1,000-step layout in RecursionError ("No graph: the
    definition does not compile."), and the layout (seconds of CPU) ran on the event loop, so
    every other call to the same process waited for it. Long flows are laid out in segments now,
    so it takes 4,000 steps for the drawing to last long enough to see another call overtake it."""
    client = signed_in_client(console_server.url)
    steps = 4000
    tag = uuid.uuid4().hex[:6]  # a definition never drawn before (layouts are cached)
    definition = f"version: v1\ntype: flow\nsteps:\n  - {{type: pass, name: T{tag}}}\n" + "".join(
        f"  - {{type: pass, name: P{i}}}\n" for i in range(steps - 1)
    )
    name = f"long_{tag}"
    create_flow(client, name, definition)

    finished: dict[str, float] = {}
    pages: list[httpx.Response] = []

    def open_page() -> None:
        pages.append(client.get(f"/console/flows/{name}"))
        finished["page"] = time.monotonic()

    opening = threading.Thread(target=open_page)
    opening.start()
    time.sleep(0.3)  # the page's request is in the server, drawing
    answer = httpx.get(f"{console_server.url}/openapi.json", timeout=60)
    finished["other"] = time.monotonic()
    opening.join()
    assert answer.status_code == 200
    [page] = pages
    assert page.status_code == 200, page.text[:500]
    assert "No graph" not in page.text
    assert page.text.count('class="step type-pass') == steps
    # the other call was answered while the page was still being drawn
    assert finished["page"] - finished["other"] > 0.5, finished
