"""One `fnf api` (every example's functions, and the redrive tests' that fail while a flag file
exists) on the session's Temporal, and one chromium for the whole session, signed in once."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.api.conftest import free_port
from tests.console.console_browser import (
    EXAMPLES,
    ROOT,
    ConsoleServer,
    launch,
    sign_in,
    start_console_api,
)

FUNCTIONS = os.pathsep.join(
    str(registry)
    for registry in (
        EXAMPLES / "functions.yaml",
        ROOT / "tests" / "api" / "redrive_functions" / "functions.yaml",  # fail while flagged
    )
)


@pytest.fixture(scope="session")
def console_server(
    dev_server_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleServer]:
    log = tmp_path_factory.mktemp("console") / "api.log"
    server = start_console_api(
        free_port(),
        log,
        uuid.uuid4().hex[:6],
        dev_server_address,
        {"FNF_TEMPORAL_UI_URL": "http://127.0.0.1:8233", "FNF_FUNCTIONS": FUNCTIONS},
    )
    yield server
    server.stop()


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One chromium for the session (Playwright's asyncio API: the tests share the session's
    event loop with the Temporal fixtures)."""
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        yield browser
        await browser.close()


@pytest_asyncio.fixture(scope="session")
async def signed_in(
    browser: Browser, console_server: ConsoleServer
) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await sign_in(page, console_server.url)
    await page.close()
    yield context
    await context.close()


@pytest_asyncio.fixture
async def page(signed_in: BrowserContext) -> AsyncIterator[Page]:
    """A fresh tab of the signed-in session; a script error or a dialog (an injected
    `alert`) on any page fails the test."""
    tab = await signed_in.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield tab
    await tab.close()
    assert errors == []
