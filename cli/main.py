"""`fnf`: validate and inspect flows (and, as the stack grows, run workers and the API)."""

from __future__ import annotations

import typer

from cli import flows

app = typer.Typer(
    name="fnf",
    help="Run Alibaba Cloud Serverless Workflow (FDL) flows on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("validate")(flows.validate)
app.command("graph")(flows.graph)


if __name__ == "__main__":
    app()
