"""The workflow runner of FnFFlow's workers: Temporal's sandbox, with FnFFlow's own modules
passed through and each payload's serialization context asked of the run directly.

Temporal's sandbox imports the module that defines a workflow class afresh for every run it
starts (and for every replay), to isolate module-level state between runs: it compiles the
module's source (there is no cached bytecode when PYTHONDONTWRITEBYTECODE is set, as in our
Docker image) and executes it, class bodies, dataclasses and decorators included. For
`worker.workflow` that was 7 ms of the worker's 53 ms of CPU per execution of ten
local-activity tasks (bench/README.md, "Task throughput, fourth round").

The packages `worker` and `translator` are passed through whole, not `worker.workflow` alone:
workflow code also imports inside functions (a foreach's batches import the fan-out module when
they start), and a module the sandbox has not been given is loaded afresh for the run, with
everything it imports (the translator and yaml: 190 ms for a replay that takes 33).

Passing them through (loading them once per process, as worker/workflow.py's own
`imports_passed_through` block always did for the interpreter's modules) is safe because
they hold no state that a run changes: module-level names are constants, classes and
functions; every run's state lives on its FnFFlow instance, which the sandbox still creates
per run. What the sandbox keeps guarding is unchanged: the run still executes inside it
(restricted builtins, its own `sys.modules` view for anything else imported), and the
interpreter's determinism rests where it always did, on workflow code that reads time,
randomness and ids only through `temporalio.workflow` (tests/replay replays committed
histories on every change). See temporalio's "Passthrough modules"
(SandboxRestrictions.passthrough_modules).

Serialization contexts: temporalio's worker asks the run, for every payload of an activation
and of its completion and three or four times each (decode, external storage, encode), which
serialization context applies to it (the activity, child or signal its command targets). The
sandboxed runner answers each question by executing a code string in the sandbox (a compile
and an exec with the sandbox's modules and builtins swapped in): 136 of them for a run of ten
local-activity tasks, about 10 ms of its worker CPU. The answer is a lookup in the run's
pending commands (`_WorkflowInstanceImpl.get_serialization_context`): it imports nothing,
reads no clock and changes nothing, so DirectContextsRunner asks the run's instance for it
directly. Payload conversion itself, and everything the workflow runs, stays in the sandbox.
The sandbox's private `_Instance` is extended for this (worker/sandbox_contexts.py, imported
only if the installed temporalio has it): when a temporalio release changes
what it holds (no `globals_and_locals`, no `__temporal_in_sandbox` in it), the runner falls
back to the sandbox's own way, so only the speed depends on it; tests/worker/
test_sandbox_passthrough.py fails when the direct way stops being taken or gives other
contexts than the sandbox's.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("worker", "translator")
"""Packages whose modules (and submodules) are loaded once per process instead of once per
run; everything else FnFFlow imports is Temporal's default passthrough (the standard
library, temporalio) or passed through by worker/workflow.py's `imports_passed_through`."""


def workflow_runner() -> SandboxedWorkflowRunner:
    """Temporal's default sandbox, with PASSED_THROUGH passed through and contexts asked
    directly (worker/sandbox_contexts.py); the stock sandboxed runner, with the same
    passthrough, when a temporalio release lacks the private pieces that module extends."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    try:
        from worker.sandbox_contexts import DirectContextsRunner
    except ImportError:  # pragma: no cover - depends on the installed temporalio
        return SandboxedWorkflowRunner(restrictions=restrictions)
    return DirectContextsRunner(restrictions=restrictions)
