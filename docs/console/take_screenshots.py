"""Screenshots of every console page for the README: docs/console/*.png.

    .venv/bin/pip install -e '.[test]' pillow
    .venv/bin/python docs/console/take_screenshots.py

Starts `fnf api` on its own embedded Temporal dev server (in a temporary folder) with every
example's functions, creates example flows and runs executions through the console itself in
Debian's chromium, then saves each page. With Pillow installed the PNGs are reduced to a
256-colour palette (a fraction of the size, no visible loss for flat UI colours).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.console.console_browser import (  # noqa: E402
    EXAMPLES,
    create_flow,
    example,
    launch,
    node,
    sign_in,
    start_console_api,
    start_execution,
    wait_for_status,
)

OUT = Path(__file__).resolve().parent
FOREACH = """version: v1
type: flow
steps:
  - type: pass
    name: Prepare
  - type: foreach
    name: EachOrder
    iterationMapping:
      collection: $.orders
      item: order
    steps:
      - type: choice
        name: CheckOrder
        choices:
          - condition: $.order.paid == false
            goto: Reject
        default:
          goto: Ship
      - type: fail
        name: Reject
        error: Order.Unpaid
        cause: the order is not paid
      - type: pass
        name: Ship
"""
BROKEN = """version: v1
type: flow
steps:
  - type: pass
    name: Prepare
    end: maybe
  - type: task
    name: Charge
    resourceArn: acs:fc:::services/shop/functions/charge
    catch:
      - errors: [FC.Unknown]
        goto: Refnud
  - type: pass
    name: Refund
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def shot(page: Page, name: str, full_page: bool = True) -> None:
    await page.evaluate("window.scrollTo(0, 0)")
    path = OUT / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        reduced.save(path, optimize=True)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "api.log"
        extra = {"FNF_TEMPORAL_UI_URL": "http://127.0.0.1:8233"}
        server = start_console_api(free_port(), log, "shots", None, extra)
        try:
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                context = await browser.new_context(viewport={"width": 1440, "height": 900})
                page = await context.new_page()
                await take(page, server.url)
                await browser.close()
        finally:
            server.stop()


async def take(page: Page, url: str) -> None:
    await page.goto(f"{url}/console/")
    await shot(page, "login", full_page=False)
    await sign_in(page, url)
    for name in ("saga", "polling", "video-processing", "callback"):
        await create_flow(page, url, name, example(name, (r"duration: 10", "duration: 1")))
    await create_flow(page, url, "orders", FOREACH)
    await page.goto(f"{url}/console/")
    await shot(page, "flows", full_page=False)

    await page.goto(f"{url}/console/flows/saga")
    await shot(page, "flow")
    await page.fill("#update textarea[name=definition]", BROKEN)
    await page.click("#update button[type=submit]")
    await page.locator("#problems").scroll_into_view_if_needed()
    await shot(page, "flow-problems")

    ok = {"buy_train_ticket_result": "success", "reserve_flight_result": "success"}
    await start_execution(
        page, url, "saga", "trip-ok", json.dumps({**ok, "reserve_hotel_result": "success"})
    )
    await wait_for_status(page, "Succeeded")
    await start_execution(
        page, url, "saga", "trip-no", json.dumps({**ok, "reserve_flight_result": False})
    )
    await wait_for_status(page, "Failed")
    await node(page, "ReserveFlight").click()
    await page.locator('#events tr[data-type="TaskFailed"] button.toggle').first.click()
    await shot(page, "execution-saga", full_page=False)

    await page.goto(f"{url}/console/flows/saga/executions")
    await shot(page, "executions", full_page=False)

    await start_execution(page, url, "polling", "poll-1", json.dumps({"delay": 3}))
    await wait_for_status(page, "Succeeded")
    await node(page, "GetJobStatus").click()
    await shot(page, "execution-polling")

    video = (EXAMPLES / "video-processing" / "input.json").read_text()
    await start_execution(page, url, "video-processing", "video-1", video)
    await wait_for_status(page, "Succeeded")
    await shot(page, "execution-video")

    orders = {"orders": [{"id": 1, "paid": True}, {"id": 2, "paid": False}]}
    await start_execution(page, url, "orders", "orders-1", json.dumps(orders))
    await wait_for_status(page, "Failed")
    async with page.expect_navigation():
        await page.locator(".iterations select").select_option(label="iteration 1")
    await node(page, "Reject").click()
    await shot(page, "execution-foreach")

    await start_execution(page, url, "callback", "cb-1", "{}")
    await expect(node(page, "mytask")).to_have_attribute("data-status", "waiting", timeout=15_000)
    await shot(page, "execution-callback", full_page=False)

    await page.goto(f"{url}/console/flows/%3Cscript%3E")
    await shot(page, "error", full_page=False)


if __name__ == "__main__":
    asyncio.run(main())
