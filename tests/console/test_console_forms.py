"""The console's forms and hostile input, in the browser against a real `fnf api`: validation
problems inline with their line numbers, a flow updated from an uploaded file, the executions
list's filters and paging, and names, step names and inputs carrying markup, broken JSON or
too many bytes, which must give a clear error page (never a 500) and never run a script (the
`page` fixture fails a test on any dialog or script error)."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import quote

from playwright.async_api import Page, expect

from tests.console.console_browser import (
    ConsoleServer,
    create_flow,
    start_execution,
    wait_for_status,
)

PASS = """version: v1
type: flow
steps:
  - type: pass
    name: Only
"""
BROKEN = """version: v1
type: flow
steps:
  - type: pass
    name: Only
    end: 3
  - type: task
    name: NoResource
"""
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


async def test_problems_are_shown_inline_with_their_lines(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("flow")
    await create_flow(page, url, flow, PASS)
    await page.fill("#update textarea[name=definition]", BROKEN)
    await page.click("#update button[type=submit]")
    problems = page.locator("#problems .problem")
    await expect(problems.first).to_contain_text("line 6:")
    await expect(problems.first).to_contain_text("expected true or false")
    await expect(page.locator("#problems")).to_contain_text("line 7:")
    highlighted = await page.locator(".definition .hll").count()
    assert highlighted >= 2  # lines 6 and 7 are marked in the listing
    await expect(page.locator("p.error")).to_contain_text("InvalidArgument")
    await page.goto(f"{url}/console/flows/{flow}")  # the stored definition did not change
    await expect(page.locator(".definition")).not_to_contain_text("NoResource")


async def test_a_flow_is_updated_from_an_uploaded_file(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("upload")
    await create_flow(page, url, flow, PASS)
    uploaded = PASS.replace("name: Only", "name: FromTheFile")
    await page.set_input_files(
        "#update input[type=file]",
        files=[{"name": "flow.yaml", "mimeType": "text/yaml", "buffer": uploaded.encode()}],
    )
    await page.click("#update button[type=submit]")
    await expect(page.locator(".definition")).to_contain_text("FromTheFile")
    await expect(page.locator('g.step[data-step="FromTheFile"]')).to_have_count(1)


async def test_the_executions_list_filters_and_pages(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("list")
    await create_flow(page, url, flow, PASS)
    for name in ("pick-a", "pick-b", "other-c"):
        await start_execution(page, url, flow, name, "{}")
        await wait_for_status(page, "Succeeded")
    base = f"{url}/console/flows/{flow}/executions"
    await page.goto(f"{base}?prefix=pick-")
    await expect(page.locator("#executions tbody tr")).to_have_count(2)
    await page.goto(f"{base}?status=Running")
    await expect(page.locator("#executions")).to_have_count(0)
    await page.goto(f"{base}?status=Succeeded&limit=1")
    seen = []
    for _ in range(3):
        await expect(page.locator("#executions tbody tr")).to_have_count(1)
        seen.append(await page.locator("#executions tbody td a").inner_text())
        if await page.locator("#next-page").count() == 0:
            break
        await page.click("#next-page")
    assert sorted(seen) == ["other-c", "pick-a", "pick-b"]


async def test_hostile_names_in_addresses_get_error_pages(
    page: Page, console_server: ConsoleServer
) -> None:
    url = console_server.url
    for address in (
        f"/console/flows/{quote(SCRIPT, safe='')}",
        f"/console/flows/{quote(IMG, safe='')}/executions",
        f"/console/flows/ok/executions/{quote(SCRIPT, safe='')}",
        "/console/flows/" + "a" * 300,
        f"/console/flows/ok/executions?status={quote(SCRIPT)}",
        f"/console/flows/ok/executions?prefix={quote(IMG)}",
        "/console/flows/ok/executions?limit=100000",
    ):
        response = await page.goto(url + address)
        assert response is not None and response.status in (400, 404), address
        await expect(page.locator("h1.error-code")).to_have_text(
            re.compile("InvalidArgument|NotFound")
        )
        assert await page.locator("main img").count() == 0
        assert await page.locator("script:not([src])").count() == 0
    response = await page.goto(f"{url}/console/flows/{unique('absent')}")
    assert response is not None and response.status == 404
    await expect(page.locator("h1.error-code")).to_have_text("FlowNotExists")


async def test_hostile_flow_names_are_refused_and_step_names_shown_as_text(
    page: Page, console_server: ConsoleServer
) -> None:
    url = console_server.url
    await page.goto(f"{url}/console/flows/new")
    await page.fill("input[name=name]", IMG)
    await page.fill("textarea[name=definition]", PASS)
    await page.click("form.stack button[type=submit]")
    await expect(page.locator("p.error")).to_contain_text(IMG)
    await expect(page.locator("p.error")).to_contain_text("InvalidArgument")
    flow = unique("script")
    await create_flow(
        page, url, flow, PASS.replace("Only", json.dumps(SCRIPT))
    )  # a valid step name
    await expect(page.locator("g.step")).to_have_attribute("data-step", SCRIPT)
    await expect(page.locator("g.step title")).to_have_text(re.compile(re.escape(SCRIPT)))
    await expect(page.locator(".definition")).to_contain_text(SCRIPT)
    await start_execution(page, url, flow, "named", "{}")
    await wait_for_status(page, "Succeeded")
    await expect(page.locator('#events tr[data-type="StepEntered"] td').nth(3)).to_have_text(SCRIPT)
    await expect(page.locator("g.step")).to_have_attribute("data-status", "succeeded")
    assert await page.locator("main img").count() == 0
    assert await page.locator("script:not([src])").count() == 1  # the runs data block only


async def test_hostile_inputs_are_shown_as_text_or_refused(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("inputs")
    await create_flow(page, url, flow, PASS)
    await start_execution(page, url, flow, "markup", json.dumps({"x": SCRIPT, "y": IMG}))
    await wait_for_status(page, "Succeeded")
    await page.locator('g.step[data-step="Only"]').click()
    await expect(page.locator("#step-panel")).to_contain_text(SCRIPT)
    await expect(page.locator("#events")).to_contain_text(IMG)
    assert await page.locator("main img").count() == 0
    refusals = [
        ("{not json", "InvalidArgument"),
        ("[1, 2]", "InvalidArgument"),
        (json.dumps({"big": "x" * (1100 * 1024)}), "InvalidArgument|EntityTooLarge"),
        (json.dumps({"deep": json.loads("[" * 80 + "]" * 80)}), "InvalidArgument"),
    ]
    for text, code in refusals:
        await page.goto(f"{url}/console/flows/{flow}")
        await page.fill("#start textarea[name=input]", text)
        async with page.expect_navigation() as navigation:
            await page.click("#start button[type=submit]")
        response = await navigation.value
        assert response is not None and 400 <= response.status < 500, (text[:40], response)
        await expect(page.locator("h1.error-code")).to_have_text(re.compile(code))
    for name in (SCRIPT, "a/b", "x" * 200):
        await page.goto(f"{url}/console/flows/{flow}")
        await page.fill("#start input[name=name]", name)
        await page.click("#start button[type=submit]")
        await expect(page.locator("h1.error-code")).to_have_text("InvalidArgument")
        await expect(page.locator("p.error")).to_contain_text("name")
