"""MintTaskSecret: the secret of one task token, from the operating system's random source.

A secret drawn in workflow code cannot be secret: `workflow.random()` is seeded from the run
id (Temporal's core SDK hashes the run's original run id), and clients can learn the run id
(GetExecutionHistory's NextToken carries it). The workflow instead runs this as a local
activity, so the secret comes from `secrets` (the OS CSPRNG, PEP 506) and is recorded in the
workflow's history as the activity's result, which replay reads back (DESIGN 8).
"""

from __future__ import annotations

import secrets

from temporalio import activity

MINT_TASK_SECRET = "MintTaskSecret"
SECRET_BYTES = 16
"""128 bits, written as 32 lowercase hex digits (the shape worker/callbacks/tokens.py parses)."""


@activity.defn(name=MINT_TASK_SECRET)
async def mint_task_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)
