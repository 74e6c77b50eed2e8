"""Flow files on disk: the flow name a file stands for, and the sub-flows it starts.

`fnf run`, `fnf flow create` and `fnf test` all take a flow as a file; they name it and find
its sub-flows the same way, here.


A task on `acs:fnf:::flow/<name>` runs the flow called <name>. Outside the API (which keeps
flows in Temporal) `fnf run` looks for `<name>.yaml`, `.yml` or `.json` in the given folders,
compiles each once, and pins them all into the execution (DESIGN 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from translator import compile_file
from translator.graph import FlowGraph, iter_steps
from translator.names import FLOW, WORD, InvalidName

SUFFIXES = (".yaml", ".yml", ".json")


def referenced_flows(graph: FlowGraph) -> set[str]:
    return {
        step["resource"]["flow"]
        for step in iter_steps(graph["steps"])
        if step["type"] == "task" and step["resource"]["kind"] == "fnf-flow"
    }


def collect_subflows(graph: FlowGraph, folders: list[Path]) -> dict[str, Any]:
    """Every flow reachable from `graph` whose file exists in `folders`; missing ones are left
    out and fail at run time with fnf.FlowNotExists, as on the service."""
    found: dict[str, Any] = {}
    pending = sorted(referenced_flows(graph))
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = _find(name, folders)
        if path is None:
            continue
        child = compile_file(path)
        found[name] = dict(child)
        pending.extend(sorted(referenced_flows(child) - set(found)))
    return found


def _find(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        for suffix in SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def _file_stem(flow: Path) -> str:
    """The name a flow file stands for: its stem, or for the conventional `flow.yaml` its
    folder's name."""
    return flow.stem if flow.stem != "flow" else flow.resolve().parent.name


def flow_name_from_file(flow: Path) -> str:
    """The file's stem made a flow name (characters outside the grammar become `_`): a label
    for an execution `fnf run` starts on its own, where two files may share it harmlessly."""
    stem = _file_stem(flow)
    cleaned = "".join(c if c in WORD else "_" for c in stem)
    named = cleaned if cleaned[:1] in FLOW.first else f"_{cleaned}"
    return named[: FLOW.max_length]


def exact_flow_name_from_file(flow: Path) -> str:
    """The file's stem as the name of a flow kept by the API (`fnf flow create|update`), only
    when it is a valid flow name as it stands. Cleaning it as `flow_name_from_file` does would
    give different files one name (`流程.yaml` and `订单.yaml` are both `__`), so an update
    from one file would overwrite the flow created from another; InvalidName asks for --name."""
    stem = _file_stem(flow)
    if not FLOW.is_valid(stem):
        raise InvalidName(
            f"{FLOW.explain(stem)} Give the flow's name with --name (the file {flow.name!r} "
            "does not spell one)."
        )
    return stem
