"""`fnf`: validate, inspect and run flows; serve workers."""

from __future__ import annotations

from cli import api, call, dev, flows, run, task, worker
from cli.errors import FnfApp

app = FnfApp(
    name="fnf",
    help="Run Alibaba Cloud Serverless Workflow (FDL) flows on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("validate")(flows.validate)
app.command("graph")(flows.graph)
app.command("run")(run.run)
app.command("worker")(worker.worker)
app.command("api")(api.api)
app.command("call")(call.call)
app.command("dev")(dev.dev)
app.add_typer(task.app, name="task")


if __name__ == "__main__":
    app()
