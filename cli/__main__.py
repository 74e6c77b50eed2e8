"""`python -m cli` runs the `fnf` command."""

from cli.main import app

app()
