"""Checks of paged history reading, shared by the time-skipping and the dev-server tests
(the two servers take different paths: only the dev server has reverse history reads)."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client

from worker.history import history_pages, read_history_page

BULKY_STEPS = 8
BULKY = "version: v1\ntype: flow\nsteps:\n" + "".join(
    f"  - type: pass\n    name: p{n}\n" for n in range(BULKY_STEPS)
)
"""Every step's events carry the whole input: with a 400 KB input, several MB of history."""


async def pages(client: Client, workflow_id: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page from the first, following each page's NextToken position."""
    return [page.events async for page in history_pages(client, workflow_id, limit=limit)]


async def check_paging(client: Client, workflow_id: str, events: list[dict[str, Any]]) -> None:
    """Pages of any size rebuild the history exactly, across every run; a bare EventId
    (no run) starts the same page as a full position does."""
    for limit in (2, 7, 1000):
        paged = await pages(client, workflow_id, limit)
        assert all(0 < len(page) <= limit for page in paged[:-1])
        assert [event for page in paged for event in page] == events
    for start in (1, len(events) // 2, len(events)):
        page = await read_history_page(client, workflow_id, start, 5)
        assert page.events == events[start - 1 : start + 4]
    beyond = await read_history_page(client, workflow_id, len(events) + 1, 5)
    assert (beyond.events, beyond.next_event_id) == ([], None)
