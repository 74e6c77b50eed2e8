"""`fnf` loads a command's modules only when that command runs (cli/lazy_commands.py): the
listing in `fnf --help` comes from summaries kept beside the command names, so these tests hold
the summaries to the commands' own help and check what a start loads."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
import typer.main
from typer.core import TyperGroup

from cli.main import COMMANDS, app

# Loaded only by the commands that serve or run flows (fnf api, dev, run, worker, test).
HEAVY = ("fastapi", "uvicorn", "temporalio.worker", "api.app", "translator.diagram.svg")


def first_paragraph(help_text: str) -> str:
    """The part of a command's help that typer lists under the group's Commands."""
    return inspect.cleandoc(help_text).split("\n\n")[0]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_first_paragraph_of_the_commands_help(name: str) -> None:
    command = COMMANDS[name].load(name)
    assert command.name == name
    assert first_paragraph(command.short_help or command.help or "") == COMMANDS[name].summary


def test_the_listing_is_the_same_with_every_command_loaded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    context = typer.Context(group, info_name="fnf", terminal_width=100)
    group.get_help(context)
    listed = capsys.readouterr().out
    for name in group.list_commands(context):
        group.get_command(context, name)
    group.get_help(context)
    assert capsys.readouterr().out == listed
    for name in COMMANDS:
        assert name in listed


def modules_loaded_by(*argv: str) -> set[str]:
    """The modules a fresh `fnf ARGV` process holds when its command has run."""
    script = (
        "import json, sys\n"
        "from cli.main import app\n"
        "try:\n"
        f"    app({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.__stderr__.write(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    return set(json.loads(done.stderr.splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["flow", "list", "--help"],
        ["exec", "--help"],
        ["call", "--help"],
        ["api", "--help"],
    ],
    ids=" ".join,
)
def test_a_command_loads_only_what_it_uses(argv: list[str]) -> None:
    loaded = modules_loaded_by(*argv)
    assert not {module for module in loaded if module.startswith(HEAVY)}
    if argv == ["--help"]:
        assert not {f"cli.{command}" for command in ("run", "api", "dev", "flows")} & loaded


def test_a_command_that_runs_flows_still_loads_its_modules() -> None:
    """The check above can fail: `fnf run --help` does load the Temporal worker."""
    assert "temporalio.worker" in modules_loaded_by("run", "--help")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["exec", "describe", "--help"],
        ["schedule", "list", "--help"],
        ["call", "--help"],
    ],
    ids=" ".join,
)
def test_a_command_that_only_calls_the_api_loads_no_temporal(argv: list[str]) -> None:
    """Reading the FNF_* settings and FnF-style errors must not import Temporal's SDK (about
    0.3 s of CPU at every start): their defaults live in worker/limits.py."""
    loaded = modules_loaded_by(*argv)
    assert not {module for module in loaded if module.split(".")[0] == "temporalio"}
