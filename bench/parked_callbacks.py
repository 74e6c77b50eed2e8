"""1,000 executions parked on waitForCallback at once, completed by concurrent reporters.

    python bench/parked_callbacks.py [--executions 1000] [--reporters 50] [--address HOST:PORT]

Each execution is reported twice; the check is that exactly one report per execution is
accepted, the other gets TaskAlreadyCompleted, and every execution succeeds with its own output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.test_parked_callbacks import park_and_complete  # noqa: E402
from worker.devserver import DevServer  # noqa: E402


async def main(executions: int, reporters: int, address: str | None) -> None:
    server = None if address else await DevServer.start()
    try:
        started = time.monotonic()
        counts = await park_and_complete(address or server.address, executions, reporters)  # type: ignore[union-attr]
        counts["seconds"] = round(time.monotonic() - started, 1)
    finally:
        if server is not None:
            await server.stop()
    print(json.dumps(counts))
    assert counts["accepted"] == executions, counts
    assert counts["TaskAlreadyCompleted"] == executions, counts
    assert counts["succeeded"] == executions, counts
    assert counts["other"] == 0, counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--address")
    args = parser.parse_args()
    asyncio.run(main(args.executions, args.reporters, args.address))
