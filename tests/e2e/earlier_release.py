"""`python -m tests.e2e.earlier_release worker ...`: `fnf worker` as the release before some
patches, for upgrade tests.

The patch ids in FNF_TEST_UNRELEASED_PATCHES (comma-separated) stay inactive in every
execution this worker advances: temporalio's `patch_activation_callback` answers False for
them, so `workflow.patched` takes the old branch and records no marker, which is the command
sequence the earlier release wrote (it had no such branch). Tests hand runs only from this
"earlier release" to the current code, as a deployment does.
"""

from __future__ import annotations

import os
import runpy
from typing import Any

from temporalio.worker import PatchActivationInput, Worker

import worker.assembly as assembly

UNRELEASED = frozenset(filter(None, os.environ.get("FNF_TEST_UNRELEASED_PATCHES", "").split(",")))
_build = assembly.build_queue_worker


def _released(patch: PatchActivationInput) -> bool:
    return patch.patch_id not in UNRELEASED


def _earlier_worker(client: Any, queue: Any, connectors: Any, **options: Any) -> Worker:
    return _build(client, queue, connectors, patch_activation_callback=_released, **options)


assembly.build_queue_worker = _earlier_worker  # type: ignore[assignment]

if __name__ == "__main__":
    runpy.run_module("cli.main", run_name="__main__")
