"""The console following executions, over HTTP against a real `fnf api` (no browser needed):
a page traces an execution's path in a worker thread and, refreshed, reads only the events it
has not seen (its `Server-Timing` header says how many); a redriven parallel or foreach keeps
the members that completed before the redrive; the header says how a closed execution ended;
a failed step shows its error and cause, never an Output."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx

from api.protocol.header_signature import signed_headers
from tests.api.test_redrive import FOREACH, PARALLEL
from tests.console.console_browser import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ConsoleServer
from tests.console.test_console_large_flows import create_flow, signed_in_client

SVG = "{http://www.w3.org/2000/svg}"


def start(client: httpx.Client, flow: str, name: str, value: dict[str, Any]) -> str:
    page = client.get(f"/console/flows/{flow}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    started = client.post(
        f"/console/flows/{flow}/start",
        data={"csrf": csrf.group(1), "name": name, "input": json.dumps(value)},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text[:500]
    return f"/console/flows/{flow}/executions/{name}"


def closed(client: httpx.Client, url: str, timeout: float = 90) -> httpx.Response:
    """The execution's page once it has ended (its live region, polled as the page does)."""
    deadline = time.monotonic() + timeout
    while True:
        live = client.get(f"{url}/live")
        assert live.status_code == 200, live.text[:500]
        if 'data-running="false"' in live.text:
            return client.get(url)
        assert time.monotonic() < deadline, live.text[:2000]
        time.sleep(0.3)


def events_read(response: httpx.Response) -> int:
    found = re.search(r'history;desc="(\d+) events read"', response.headers["server-timing"])
    assert found, response.headers
    return int(found.group(1))


def node_statuses(page: str) -> dict[str, str]:
    """Each graph node's status by step name (the first node of that name)."""
    svg = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    found: dict[str, str] = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if "step" in g.attrib.get("class", "").split():
            found.setdefault(g.attrib["data-step"], g.attrib["data-status"])
    return found


def runs(page: str) -> dict[str, list[dict[str, Any]]]:
    block = re.search(r'<script type="application/json" id="runs-data">(.*?)</script>', page)
    assert block, page[:500]
    data: dict[str, list[dict[str, Any]]] = json.loads(block.group(1))
    return data


def redrive(client: httpx.Client, url: str, page: str) -> None:
    csrf = re.search(r'id="redrive-form">\s*<input type="hidden" name="csrf" value="([^"]+)"', page)
    assert csrf, page[:3000]
    done = client.post(f"{url}/redrive", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]


def wait_through_the_api(url: str, flow: str, execution: str) -> None:
    """Until the execution has ended, asking DescribeExecution (signed, JSON form)."""
    body = json.dumps({"FlowName": flow, "ExecutionName": execution}).encode()
    deadline = time.monotonic() + 120
    while True:
        headers = signed_headers(
            ACCESS_KEY_ID, ACCESS_KEY_SECRET, "POST", "/actions/DescribeExecution", body
        )
        headers["Content-Type"] = "application/json"
        answer = httpx.post(
            f"{url}/actions/DescribeExecution", content=body, headers=headers, timeout=60
        )
        assert answer.status_code == 200, answer.text
        if answer.json()["Status"] != "Running":
            return
        assert time.monotonic() < deadline
        time.sleep(0.3)


def test_a_refresh_reads_only_new_events_and_the_path_is_traced_off_the_event_loop(
    console_server: ConsoleServer,
) -> None:
    """1,000 steps: tracing them took about a second on the event loop, so every other request
    to the process waited, and each refresh read and traced the whole history again."""
    client = signed_in_client(console_server.url)
    tag = uuid.uuid4().hex[:6]
    steps = 1000
    definition = "version: v1\ntype: flow\nsteps:\n" + "".join(
        f"  - {{type: pass, name: P{i}}}\n" for i in range(steps)
    )
    flow = f"follow_{tag}"
    create_flow(client, flow, definition)
    client.get(f"/console/flows/{flow}")  # the layout is made (and cached) once here
    first = closed(client, start(client, flow, "long-1", {}), timeout=120)
    assert events_read(first) == 0  # `closed` polled the live region: all read there
    second = start(client, flow, "long-2", {})
    wait_through_the_api(console_server.url, flow, "long-2")  # the console has not traced it

    probe = signed_in_client(console_server.url)
    latencies: list[float] = []
    finished: dict[str, float] = {}

    def open_page() -> None:
        response = client.get(second)
        finished["page"] = time.monotonic()
        pages.append(response)

    pages: list[httpx.Response] = []
    opening = threading.Thread(target=open_page)
    began = time.monotonic()
    opening.start()
    while opening.is_alive():
        sent = time.monotonic()
        assert probe.get("/console/graph.css").status_code == 200
        latencies.append(time.monotonic() - sent)
        time.sleep(0.02)
    [page] = pages
    assert page.status_code == 200
    assert events_read(page) > 2 * steps
    assert page.text.count('data-status="succeeded"') >= steps
    took = finished["page"] - began
    # the loop answered all along: no request waited for the tracing (a long part of `took`)
    assert len(latencies) >= 3 and max(latencies) < took / 3, (took, latencies)
    again = client.get(f"{second}/live")
    assert events_read(again) == 0
    assert again.text.count('data-status="succeeded"') >= steps
    assert '<tr data-node="s999" data-type="StepExited"' in again.text


def test_a_redriven_parallel_keeps_the_branches_that_completed_before(
    console_server: ConsoleServer, tmp_path: Path
) -> None:
    """Branch 1 fails at p1b; the redrive runs only branch 1 from p1b (p0, p1a and p2 record
    no new event), and they still show as succeeded, from the first attempt's events."""
    client = signed_in_client(console_server.url)
    flow = f"redrive_par_{uuid.uuid4().hex[:6]}"
    create_flow(client, flow, PARALLEL)
    (tmp_path / "broken-p1b").touch()
    url = start(client, flow, "par-1", {"dir": str(tmp_path)})
    page = closed(client, url).text
    assert re.search(r'id="exec-ended">failed \d{4}-', page), page[:3000]
    assert node_statuses(page) == {
        "Both": "failed",
        "p0": "succeeded",
        "p1a": "succeeded",
        "p1b": "failed",
        "p2": "succeeded",
    }
    [failed] = runs(page)[node_key(page, "p1b")]
    assert failed["output"] is None and failed["error"] == "Broken"
    assert "p1b is broken" in failed["cause"]

    (tmp_path / "broken-p1b").unlink()
    redrive(client, url, page)
    page = closed(client, url).text
    assert re.search(r'id="exec-ended">succeeded \d{4}-', page), page[:3000]
    assert node_statuses(page) == dict.fromkeys(("Both", "p0", "p1a", "p1b", "p2"), "succeeded")
    assert [r["status"] for r in runs(page)[node_key(page, "p1b")]] == ["failed", "succeeded"]
    assert [r["status"] for r in runs(page)[node_key(page, "p0")]] == ["succeeded"]


def test_a_redriven_foreach_keeps_the_iterations_that_completed_before(
    console_server: ConsoleServer, tmp_path: Path
) -> None:
    client = signed_in_client(console_server.url)
    flow = f"redrive_each_{uuid.uuid4().hex[:6]}"
    create_flow(client, flow, FOREACH)
    (tmp_path / "broken-i1").touch()
    items = [{"name": "i0"}, {"name": "i1", "delay": 0.5}, {"name": "i2"}]
    url = start(client, flow, "each-1", {"dir": str(tmp_path), "items": items})
    page = closed(client, url).text
    assert "3 iterations: 2 succeeded · 1 failed · 0 running" in page
    (tmp_path / "broken-i1").unlink()
    redrive(client, url, page)
    page = closed(client, url).text
    assert "3 iterations: 3 succeeded · 0 failed · 0 running" in page
    work = node_key(page, "Work")
    for index in (0, 2):  # drawn alone, an iteration that completed before the redrive
        alone = client.get(url, params={"pick": f"{node_key(page, 'Each')}:{index}"}).text
        assert node_statuses(alone)["Work"] == "succeeded", index
    assert [r["status"] for r in runs(page)[work]].count("succeeded") == 3


def node_key(page: str, step: str) -> str:
    found = re.search(rf'<g class="step[^"]*" data-step="{step}" data-node="([^"]+)"', page)
    assert found, step
    return found.group(1)
