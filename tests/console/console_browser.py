"""Driving the web console in Debian's chromium through Playwright: shared by the browser tests
and docs/console/take_screenshots.py.

The browser is the distribution's (/usr/bin/chromium, installed by .ci/run when missing);
Playwright never downloads one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import Browser, Locator, Page, Playwright, expect

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
CHROMIUM = os.environ.get("FNF_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACCESS_KEY_ID, ACCESS_KEY_SECRET = "consoleAK", "consoleSecret"


async def launch(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


@dataclass
class ConsoleServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_console_api(
    port: int, log: Path, tag: str, address: str | None = None, extra: dict[str, str] | None = None
) -> ConsoleServer:
    """`fnf api` serving every example's functions, with one AccessKey pair; on the Temporal at
    `address`, or its own embedded dev server (run in `log`'s folder) without one."""
    env = {
        **os.environ,
        "FNF_ACCESS_KEYS": f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
        "FNF_TASK_QUEUE": f"console-{tag}",
        "FNF_API_TASK_QUEUE": f"console-api-{tag}",
        "FNF_FUNCTIONS": str(EXAMPLES / "functions.yaml"),
        **(extra or {}),
    }
    command = [sys.executable, "-m", "cli", "api", "--port", str(port)]
    if address:
        command += ["--address", address]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return ConsoleServer(url, process)
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"fnf api exited: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "fnf api did not start"
        time.sleep(0.2)


async def sign_in(page: Page, url: str) -> None:
    await page.goto(f"{url}/console/")
    await page.fill("input[name=access_key_id]", ACCESS_KEY_ID)
    await page.fill("input[name=access_key_secret]", ACCESS_KEY_SECRET)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Flows")


async def create_flow(page: Page, url: str, name: str, definition: str) -> None:
    """Creates (or, when it exists, updates) a flow through the console's forms."""
    await page.goto(f"{url}/console/flows/{name}")
    if await page.locator("h1.error-code").count():
        await page.goto(f"{url}/console/flows/new")
        await page.fill("input[name=name]", name)
        await page.fill("textarea[name=definition]", definition)
        await page.click("form.stack button[type=submit]")
    else:
        await page.fill("#update textarea[name=definition]", definition)
        await page.click("#update button[type=submit]")
    await expect(page.locator("h1")).to_have_text(name)


async def start_execution(page: Page, url: str, flow: str, name: str, input_text: str) -> None:
    await page.goto(f"{url}/console/flows/{flow}")
    await page.fill("#start input[name=name]", name)
    await page.fill("#start textarea[name=input]", input_text)
    await page.click("#start button[type=submit]")
    await expect(page.locator("h1")).to_have_text(name)


async def wait_for_status(page: Page, status: str, timeout: float = 30_000) -> None:
    """The live region updates by itself; a finished execution reloads the page once."""
    await expect(page.locator("#exec-status")).to_have_text(status, timeout=timeout)
    await expect(page.locator("#exec-head")).to_have_attribute(
        "data-running", "false", timeout=timeout
    )


def node(page: Page, name: str, nth: int = 0) -> Locator:
    """A step of the drawn graph (translator.diagram's SVG), by its name."""
    return page.locator(f'g.step[data-step="{name}"]').nth(nth)


def example(name: str, *replace: tuple[str, str]) -> str:
    """An example's flow text, with (regex, replacement) edits (a shorter wait, say)."""
    text = (EXAMPLES / name / "flow.yaml").read_text(encoding="utf-8")
    for pattern, value in replace:
        text = re.sub(pattern, value, text)
    return text
