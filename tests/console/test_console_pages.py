"""The web console in a real browser (Debian's chromium through Playwright) against a real
`fnf api`, the session's Temporal server and its worker: what the pages show for the saga
(both outcomes), polling (a loop), video-processing (parallel and foreach) and a foreach with a
failing iteration, and that Stop and a callback report from the page work."""

from __future__ import annotations

import json
import re
import uuid

from playwright.async_api import Locator, Page, expect

from tests.console.console_browser import (
    EXAMPLES,
    ConsoleServer,
    create_flow,
    example,
    node,
    start_execution,
    wait_for_status,
)

SAGA_OK = {
    "buy_train_ticket_result": "success",
    "reserve_flight_result": "success",
    "reserve_hotel_result": "success",
}


async def pick(page: Page, select: Locator, label: str) -> None:
    """Chooses one iteration in a foreach's picker; the page reloads with that path."""
    async with page.expect_navigation():
        await select.select_option(label=label)


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


async def statuses(page: Page) -> dict[str, str]:
    """Each graph node's status, by step name (the first node of that name)."""
    found: dict[str, str] = {}
    for name, status in await page.locator("g.step[data-step]").evaluate_all(
        "nodes => nodes.map(n => [n.dataset.step, n.dataset.status])"
    ):
        found.setdefault(name, status)
    return found


async def event_types(page: Page, step: str) -> list[str]:
    rows = page.locator(f'#events tr[data-step="{step}"]')
    return [str(t) for t in await rows.evaluate_all("rows => rows.map(r => r.dataset.type)")]


async def test_saga_succeeds_and_a_step_shows_its_input_and_output(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("saga")
    await create_flow(page, url, flow, example("saga"))
    await start_execution(page, url, flow, "trip-ok", json.dumps(SAGA_OK))
    await wait_for_status(page, "Succeeded")
    await expect(page.locator("#exec-ended")).to_have_text(re.compile(r"^succeeded \d{4}-"))
    assert await statuses(page) == {
        "BuyTrainTicket": "succeeded",
        "ReserveFlight": "succeeded",
        "ReserveHotel": "succeeded",
        "OrderSucceeded": "succeeded",
        "CancelFlight": "not_reached",
        "CancelTrainTicket": "not_reached",
        "OrderFailed": "not_reached",
    }
    assert (await event_types(page, "ReserveHotel"))[:2] == ["StepEntered", "TaskScheduled"]
    assert "TaskSucceeded" in await event_types(page, "ReserveHotel")
    await node(page, "ReserveHotel").click()
    panel = page.locator("#step-panel")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".run")).to_have_count(1)
    await expect(panel).to_contain_text('"operation": "reserve_hotel"')  # its input mapping
    await expect(panel).to_contain_text('"reserve_hotel": "success"')  # its function's answer
    await expect(panel).to_contain_text("attempt 1")
    last = page.locator('#events tr[data-type="ExecutionSucceeded"]')
    await last.locator("button.toggle").click()
    detail = page.locator("#events tr.detail-row:not([hidden]) pre")
    await expect(detail).to_have_count(1)
    await expect(detail).to_contain_text('"reserve_hotel": "success"')  # the flow's output


async def test_saga_fails_over_to_its_compensation(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("saga")
    await create_flow(page, url, flow, example("saga"))
    await start_execution(
        page, url, flow, "trip-no", json.dumps({**SAGA_OK, "reserve_flight_result": False})
    )
    await wait_for_status(page, "Failed")
    shown = await statuses(page)
    assert shown["BuyTrainTicket"] == "succeeded"
    assert shown["ReserveFlight"] == "caught"  # the flow went on to compensate
    assert shown["CancelTrainTicket"] == "succeeded"
    assert shown["OrderFailed"] == "failed"
    assert shown["ReserveHotel"] == shown["OrderSucceeded"] == "not_reached"
    await expect(page.locator("#exec-error")).to_contain_text("Failed at OrderFailed")
    await expect(page.locator(".caught")).to_contain_text("FC.Unknown at ReserveFlight")
    await node(page, "ReserveFlight").click()
    await expect(page.locator("#step-panel")).to_contain_text("FC.Unknown")
    await expect(page.locator("#step-panel")).to_contain_text("(caught)")
    headings = page.locator("#step-panel .run h4")  # its error, not the $local it left behind
    await expect(headings).to_have_text(["Input", "Error", "Attempts"])


LOOP = ("Wait10s", "GetJobStatus", "CheckJobComplete")


async def test_polling_draws_its_loop(page: Page, console_server: ConsoleServer) -> None:
    url, flow = console_server.url, unique("polling")
    await create_flow(page, url, flow, example("polling", (r"duration: 10", "duration: 2")))
    await start_execution(page, url, flow, "poll-1", json.dumps({"delay": 5}))
    await wait_for_status(page, "Succeeded")
    shown = await statuses(page)
    assert shown["JobSucceeded"] == "succeeded" and shown["JobFailed"] == "not_reached"
    runs = (await event_types(page, "GetJobStatus")).count("TaskSucceeded")
    assert runs >= 2  # the job takes longer than one wait
    ids = {name: await node(page, name).get_attribute("data-node") for name in LOOP}
    edge = 'g.edge[data-source="{}"][data-target="{}"]'
    into_the_loop = page.locator(edge.format(ids["Wait10s"], ids["GetJobStatus"]))
    await expect(into_the_loop).to_have_attribute("data-count", str(runs))
    await expect(into_the_loop).to_contain_text(f"x{runs}")
    back = page.locator(edge.format(ids["CheckJobComplete"], ids["Wait10s"]))
    await expect(back).to_have_class(re.compile(r"\btaken\b"))
    if runs > 2:
        await expect(back).to_have_attribute("data-count", str(runs - 1))
    await node(page, "GetJobStatus").click()
    await expect(page.locator("#step-panel .run")).to_have_count(runs)
    await expect(page.locator("#step-panel .run").last).to_contain_text('"job_status": "success"')


async def test_video_processing_draws_branches_and_iterations(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("video")
    await create_flow(page, url, flow, example("video-processing"))
    video_input = (EXAMPLES / "video-processing" / "input.json").read_text()
    await start_execution(page, url, flow, "video-1", video_input)
    await wait_for_status(page, "Succeeded")
    shown = await statuses(page)
    assert set(shown.values()) == {"succeeded"}
    assert await page.locator('g.group[data-kind="branch"]').count() == 5  # 2 + 3 branches
    avi = page.locator('.iterations[data-name="Transcode_splits_avi"]')
    await expect(avi).to_contain_text("3 iterations: 3 succeeded · 0 failed · 0 running")
    drawn = page.locator('g.group[data-kind="iteration"]').first
    await expect(drawn).to_contain_text("3 succeeded")
    await pick(page, avi.locator("select"), "iteration 1")
    await expect(drawn).to_contain_text("iteration 1 of 3")
    await expect(node(page, "Transcode_avi")).to_have_attribute("data-status", "succeeded")
    await node(page, "Transcode_avi").click()
    await expect(page.locator("#step-panel .run")).to_have_count(3)
    await expect(page.locator("#step-panel")).to_contain_text("part1.avi")


FOREACH = """version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: choice
        name: Check
        choices:
          - condition: $.item == "bad"
            goto: Bad
        default:
          goto: Good
      - type: fail
        name: Bad
        error: Item.Bad
        cause: this item is bad
      - type: pass
        name: Good
"""


async def test_a_foreach_counts_its_iterations_and_picks_one(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("each")
    await create_flow(page, url, flow, FOREACH)
    await start_execution(page, url, flow, "each-1", json.dumps({"items": ["a", "bad", "c"]}))
    await wait_for_status(page, "Failed")
    counts = page.locator(".iterations[data-foreach] .counts")
    await expect(counts).to_contain_text("1 failed")  # the flow failed with it
    assert (await statuses(page))["Each"] == "failed"
    await pick(page, page.locator(".iterations select"), "iteration 0")
    await expect(node(page, "Good")).to_have_attribute("data-status", "succeeded")
    await expect(node(page, "Bad")).to_have_attribute("data-status", "not_reached")
    await pick(page, page.locator(".iterations select"), "iteration 1")
    await expect(node(page, "Bad")).to_have_attribute("data-status", "failed")
    await expect(node(page, "Good")).to_have_attribute("data-status", "not_reached")
    await node(page, "Bad").click()
    await expect(page.locator("#step-panel .run")).to_have_count(1)
    await expect(page.locator("#step-panel")).to_contain_text("Item.Bad")


WAITING = """version: v1
type: flow
steps:
  - type: wait
    name: Nap
    duration: 120
  - type: pass
    name: After
"""


async def test_stop_from_the_page(page: Page, console_server: ConsoleServer) -> None:
    url, flow = console_server.url, unique("nap")
    await create_flow(page, url, flow, WAITING)
    await start_execution(page, url, flow, "nap-1", "{}")
    await expect(node(page, "Nap")).to_have_attribute("data-status", "running")
    await expect(page.locator("#temporal-link")).to_have_attribute(
        "href", f"http://127.0.0.1:8233/namespaces/default/workflows/{flow}%2Fnap-1"
    )
    await expect(page.locator("#exec-ended")).to_have_count(0)  # it runs: no end yet
    await page.click("#stop")
    await wait_for_status(page, "Stopped")
    await expect(page.locator("#exec-ended")).to_have_text(re.compile(r"^stopped \d{4}-"))
    await expect(node(page, "Nap")).to_have_attribute("data-status", "stopped")
    await node(page, "Nap").click()
    await expect(page.locator("#step-panel .run")).to_have_attribute("data-status", "stopped")
    await expect(node(page, "After")).to_have_attribute("data-status", "not_reached")
    assert "ExecutionStopped" in await page.locator("#events").inner_text()


async def test_callback_reports_from_the_page(page: Page, console_server: ConsoleServer) -> None:
    url, flow = console_server.url, unique("callback")
    await create_flow(page, url, flow, example("callback"))
    await start_execution(page, url, flow, "cb-ok", "{}")
    await expect(node(page, "mytask")).to_have_attribute("data-status", "waiting", timeout=15_000)
    callback = page.locator("#callbacks .callback")
    await callback.locator("input[name=output]").fill('{"status": "ok"}')
    await callback.locator("button.ok").click()
    await wait_for_status(page, "Succeeded")
    await expect(node(page, "mytask")).to_have_attribute("data-status", "succeeded")
    await expect(page.locator("#exec-output")).to_contain_text('"s": "ok"')

    await start_execution(page, url, flow, "cb-no", "{}")
    await expect(node(page, "mytask")).to_have_attribute("data-status", "waiting", timeout=15_000)
    callback = page.locator("#callbacks .callback")
    await callback.locator("input[name=error]").fill("Human.Rejected")
    await callback.locator("input[name=cause]").fill("not today")
    await callback.locator("button.danger").click()
    await wait_for_status(page, "Failed")
    await expect(node(page, "mytask")).to_have_attribute("data-status", "failed")
    await expect(page.locator("#exec-error")).to_contain_text("Human.Rejected")


DOZING = """version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: wait
        name: Doze
        duration: 120
"""


async def test_a_stop_draws_the_iterations_it_ended_as_stopped(
    page: Page, console_server: ConsoleServer
) -> None:
    url, flow = console_server.url, unique("doze")
    await create_flow(page, url, flow, DOZING)
    await start_execution(page, url, flow, "doze-1", json.dumps({"items": [1, 2]}))
    await expect(node(page, "Doze")).to_have_attribute("data-status", "running")
    await page.click("#stop")
    await wait_for_status(page, "Stopped")
    assert await statuses(page) == {"Each": "stopped", "Doze": "stopped"}
    counts = page.locator(".iterations[data-foreach] .counts")
    await expect(counts).to_have_text(
        "2 iterations: 0 succeeded · 0 failed · 0 running · 2 stopped"
    )
    await expect(page.locator('.legend g[data-status="stopped"]')).to_contain_text("stopped")
    await expect(page.locator("#redrive")).to_be_visible()
