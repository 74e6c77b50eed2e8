"""`fnf`: validate, inspect and run flows; serve workers.

Each command's module loads only when that command runs (cli/lazy_commands.py): a summary here
is the first paragraph of the command's help, which `fnf --help` lists.
"""

from __future__ import annotations

from cli.errors import FnfApp
from cli.lazy_commands import LazyCommand, LazyCommandGroup

COMMANDS = {
    "validate": LazyCommand(
        "cli.flows",
        "validate",
        "Check flow definitions; exit 1 when any has an error. With --functions, also that\n"
        "the registry serves every function and action the flows call.",
    ),
    "graph": LazyCommand(
        "cli.flows",
        "graph",
        "Print the flow's step graph: a Mermaid flowchart, or an SVG drawing or a standalone\n"
        "HTML page; with --execution, the path that execution took (read from fnf api).",
    ),
    "run": LazyCommand(
        "cli.run",
        "run",
        "Run FLOW once, print its events as they happen, then its status and output.",
    ),
    "worker": LazyCommand(
        "cli.worker",
        "worker",
        "Run a worker: the FnFFlow interpreter and the function, action and MNS activities, or\n"
        "one role of them.",
    ),
    "api": LazyCommand(
        "cli.api",
        "api",
        "Serve the FnF API (and, by default, a worker). Without --address the embedded dev\n"
        "server keeps its state in .fnf/temporal.db, so flows and executions survive restarts.",
    ),
    "call": LazyCommand(
        "cli.call",
        "call",
        "Call an FnF action on `fnf api`, signed; print the JSON answer (exit 1 on an error).",
    ),
    "dev": LazyCommand(
        "cli.dev",
        "dev",
        "Run Temporal (with its Web UI), a worker, the FnF API and MNS until Ctrl-C; data in\n"
        ".fnf/ is kept for the next start. Other `fnf` commands started in the same folder (task,\n"
        "run, call, flow, exec, schedule) use this system without --address or --endpoint.",
    ),
    "test": LazyCommand(
        "cli.test_commands",
        "test",
        "Run the mock file's test cases of FLOW on Temporal's time-skipping test server; print\n"
        "a pass/fail table; exit 1 when a case fails. No function is called: every task step gets\n"
        "its mocked responses, and waits and retry backoffs take no real time.",
    ),
    "test-step": LazyCommand(
        "cli.test_commands",
        "test_step",
        "Evaluate one step of FLOW on its own: its input and output mappings, a choice's\n"
        "chosen option, a pass's output, a task's retries (retrier and backoff) and its catch for\n"
        "an error: Step Functions' TestState, for FDL. Nothing runs on Temporal.",
    ),
    "task": LazyCommand("cli.task", "app", "Report the result of a task waiting for a callback."),
    "flow": LazyCommand("cli.flow_commands", "app", "Flow definitions on the FnF API (fnf api)."),
    "exec": LazyCommand("cli.exec_commands", "app", "Executions on the FnF API (fnf api)."),
    "schedule": LazyCommand("cli.schedule_commands", "app", "Schedules on the FnF API (fnf api)."),
}

app = FnfApp(
    name="fnf",
    help="Run Alibaba Cloud Serverless Workflow (FDL) flows on Temporal.",
    no_args_is_help=True,
    add_completion=False,
    cls=LazyCommandGroup.with_commands(COMMANDS),
)


# typer makes a group of an app with a callback (its commands are added by the group class).
@app.callback()
def fnf() -> None:
    pass


if __name__ == "__main__":
    app()
