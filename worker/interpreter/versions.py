"""Which of the interpreter's behaviour changes (patches) a run has, decided by the version
recorded in its input when the execution started (DESIGN 4: "`workflow.patched`, or a version
recorded at start").

`workflow.patched(id)` records a marker in a new run's history the first time it is asked,
and Temporal's SDK adds an UpsertWorkflowSearchAttributes event (TemporalChangeVersion) with
it: two events per patch per run, eight in a run of function tasks, about a tenth of its
events and of the server's work for it. An execution started by this release carries
`FlowRun.interpreter_version` (worker/executions.py sets it): every patch listed for that
version is simply on, with no marker; its children and continued runs carry the same version.
Executions started before have version 0 and ask `workflow.patched` as they always did, so
their histories replay unchanged; so does any patch added after the version was cut, until
it is listed for a new version.
"""

from __future__ import annotations

from temporalio import workflow

INTERPRETER_VERSION = 8
"""The version executions are started with. Versions 6 to 8 list no patch: 6 archives
inline steps' events folded (worker/interpreter/archive.py FOLDED_SINCE), 7 sizes and merges
flow data the lean way (worker/interpreter/sizes.py LEAN_SINCE), 8 has its pauses carry the
run's archive slices, cut by a budget of characters per workflow task
(worker/interpreter/archive.py PROGRESS_SINCE)."""

ON_SINCE: dict[str, int] = (
    {
        patch: 1
        for patch in (
            "fnf-events-as-they-happen",
            "fnf-stop-ends-stopped",
            "unexpected-error-fails-the-step",
            "execution-output-under-payload-limit",
            "step-input-under-payload-limit",
            "task-local-activities",
            "fnf-foreach-batches-as-child-runs",
            "fnf-nested-sequence-handover",
            "inline-work-handover",
            "fnf-child-start-stopped-with-reason",
            "task-token-secret-from-os-random",
            "subflow-execution-name-grammar",
            "subflow-input-json-value-check",
            "fnf-history-archived-at-close",
            "task-restarts-shown",
        )
    }
    | {
        patch: 2
        for patch in (
            "task-queue-per-function",
            "fnf-redrive-point",
        )
    }
    | {patch: 3 for patch in ("pause-completes-workflow-task",)}
    | {
        patch: 4
        for patch in (
            "archive-slice-per-workflow-task",
            "subflow-execution-name-is-a-string",
        )
    }
    | {patch: 5 for patch in ("fanout-cancels-each-member-once",)}
)
"""Each patch, and the interpreter version from which a run has it without asking."""

VERSION_ATTRIBUTE = "interpreter_version"
"""The attribute of the workflow instance (FnFFlow) holding its run's version."""


def version() -> int:
    """The interpreter version this run's execution started with (0: before versions)."""
    return int(getattr(workflow.instance(), VERSION_ATTRIBUTE, 0))


def patched(patch: str) -> bool:
    """Whether this run has `patch`: by its version, else by `workflow.patched`."""
    version = getattr(workflow.instance(), VERSION_ATTRIBUTE, 0)
    since = ON_SINCE.get(patch)
    if since is not None and 0 < since <= version:
        return True
    return workflow.patched(patch)
