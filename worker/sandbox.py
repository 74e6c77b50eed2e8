"""The workflow runner of FnFFlow's workers: Temporal's sandbox, with FnFFlow's own module
passed through.

Temporal's sandbox imports the module that defines a workflow class afresh for every run it
starts (and for every replay), to isolate module-level state between runs: it compiles the
module's source (there is no cached bytecode when PYTHONDONTWRITEBYTECODE is set, as in our
Docker image) and executes it, class bodies, dataclasses and decorators included. For
`worker.workflow` that was a quarter of the worker's CPU per 10-task execution: the largest
cost fnf-temporal adds to a run beside a hand-written workflow, whose module is small.

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
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("worker", "translator")
"""Packages whose modules (and submodules) are loaded once per process instead of once per
run; everything else FnFFlow imports is Temporal's default passthrough (the standard
library, temporalio) or passed through by worker/workflow.py's `imports_passed_through`."""


def workflow_runner() -> SandboxedWorkflowRunner:
    """Temporal's default sandbox, with PASSED_THROUGH passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)
