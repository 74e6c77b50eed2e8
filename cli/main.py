"""`fnf`: validate, inspect and run flows; serve workers."""

from __future__ import annotations

from cli import (
    api,
    call,
    dev,
    exec_commands,
    flow_commands,
    flows,
    run,
    schedule_commands,
    task,
    test_commands,
    worker,
)
from cli.errors import FnfApp, OneLineUsageGroup

app = FnfApp(
    name="fnf",
    help="Run Alibaba Cloud Serverless Workflow (FDL) flows on Temporal.",
    no_args_is_help=True,
    add_completion=False,
    cls=OneLineUsageGroup,
)
app.command("validate")(flows.validate)
app.command("graph")(flows.graph)
app.command("run")(run.run)
app.command("worker")(worker.worker)
app.command("api")(api.api)
app.command("call")(call.call)
app.command("dev")(dev.dev)
app.command("test")(test_commands.test)
app.command("test-step")(test_commands.test_step)
app.add_typer(task.app, name="task")
app.add_typer(flow_commands.app, name="flow")
app.add_typer(exec_commands.app, name="exec")
app.add_typer(schedule_commands.app, name="schedule")


if __name__ == "__main__":
    app()
