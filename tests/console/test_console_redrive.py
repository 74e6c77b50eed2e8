"""Redrive from the console's execution page, in a real browser against a real `fnf api`: a
flow whose function fails while a flag file exists (tests/api/redrive_functions) fails, the
flag is removed (the function is fixed), and the page's Redrive button goes on from the failed
step through RedriveExecution; refusals are the console's error page with FnF's code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.api.test_redrive import SEQUENCE, counts
from tests.console.console_browser import (
    ConsoleServer,
    create_flow,
    node,
    start_execution,
    wait_for_status,
)
from tests.console.test_console_pages import WAITING, event_types, statuses, unique


async def test_redrive_from_the_page_goes_on_from_the_failed_step(
    page: Page, console_server: ConsoleServer, tmp_path: Path
) -> None:
    url, flow = console_server.url, unique("redrive")
    await create_flow(page, url, flow, SEQUENCE)
    (tmp_path / "broken-b").touch()
    await start_execution(page, url, flow, "order-1", json.dumps({"dir": str(tmp_path)}))
    await wait_for_status(page, "Failed")
    assert await statuses(page) == {"a": "succeeded", "b": "failed", "c": "not_reached"}
    await expect(page.locator("#stop")).to_have_count(0)
    await expect(page.locator("#exec-redrive")).to_have_count(0)
    stale = await page.context.new_page()  # the same page, still offering Redrive afterwards
    await stale.goto(page.url)

    (tmp_path / "broken-b").unlink()  # the function is fixed
    await page.click("#redrive")
    await wait_for_status(page, "Succeeded")
    await expect(page.locator("#redrive-count")).to_have_text("1")
    await expect(page.locator("#redrive-time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\dT"))
    assert await statuses(page) == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    assert await event_types(page, "b") == [
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "StepFailed",
        "StepEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "StepExited",
    ]
    await expect(page.locator('#events tr[data-type="ExecutionRedriven"]')).to_have_count(1)
    await expect(page.locator("#exec-output")).to_contain_text('"c": "done"')
    await expect(page.locator("#redrive")).to_have_count(0)
    assert counts(tmp_path) == {"a": 1, "b": 2, "c": 1}  # a did not run again

    await stale.click("#redrive")  # the execution has succeeded since the page was drawn
    await expect(stale.locator("h1.error-code")).to_have_text("ExecutionNotRedrivable")
    await expect(stale.locator("p.error")).to_contain_text("has succeeded")
    await stale.close()
    assert counts(tmp_path) == {"a": 1, "b": 2, "c": 1}


async def test_the_live_page_follows_a_redrive_of_a_stopped_execution(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("nap")
    await create_flow(page, url, flow, WAITING.replace("duration: 120", "duration: 6"))
    await start_execution(page, url, flow, "nap-1", "{}")
    await expect(node(page, "Nap")).to_have_attribute("data-status", "running")
    await page.click("#stop")
    await wait_for_status(page, "Stopped")
    await expect(node(page, "Nap")).to_have_attribute("data-status", "stopped")
    await page.click("#redrive")
    await expect(page.locator("#exec-status")).to_have_text("Running")
    await expect(page.locator("#redrive-count")).to_have_text("1")
    await expect(node(page, "Nap")).to_have_attribute("data-status", "running")
    await wait_for_status(page, "Succeeded")
    assert await statuses(page) == {"Nap": "succeeded", "After": "succeeded"}
    await node(page, "Nap").click()  # the step panel keeps the stopped run, then the new one
    runs = page.locator("#step-panel .run")
    await expect(runs).to_have_count(2)
    await expect(runs.first).to_have_attribute("data-status", "stopped")
    await expect(runs.last).to_have_attribute("data-status", "succeeded")
    kinds = await page.locator("#events tr[data-type]").evaluate_all(
        "rows => rows.map(r => r.dataset.type)"
    )
    stopped = kinds.index("ExecutionStopped")
    assert kinds[stopped + 1] == "ExecutionRedriven" and kinds[-1] == "ExecutionSucceeded"


async def test_a_redrive_needs_the_session_token_and_a_redrivable_execution(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("nap")
    await create_flow(page, url, flow, WAITING)
    await start_execution(page, url, flow, "nap-1", "{}")
    await expect(page.locator("#redrive")).to_have_count(0)  # only Failed or Stopped
    action = f"{url}/console/flows/{flow}/executions/nap-1/redrive"
    forged = await page.request.post(action, form={"csrf": "not-the-token"})
    assert forged.status == 403 and "InvalidCsrfToken" in await forged.text()
    csrf = await page.locator("#stop-form input[name=csrf]").input_value()
    running = await page.request.post(action, form={"csrf": csrf}, max_redirects=0)
    assert running.status >= 400 and "ExecutionNotRedrivable" in await running.text()
    assert "is running" in await running.text()
    await page.click("#stop")
    await wait_for_status(page, "Stopped")
    missing = await page.request.post(
        f"{url}/console/flows/{flow}/executions/nope/redrive", form={"csrf": csrf}
    )
    assert missing.status >= 400 and "ExecutionNotExists" in await missing.text()
