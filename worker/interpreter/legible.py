"""What the Temporal Web UI and CLI show of a run, in FnF's terms.

Temporal shows an activity or timer by its type (`InvokeFunction`, a bare timer) unless the
command carries a summary (its user metadata), and shows a workflow's "current details" when the
workflow sets them (`workflow.set_current_details`, read through the built-in
`__temporal_workflow_metadata` query). Both are metadata only: they are not compared on replay,
so adding them changes no command sequence. This module words them: every summary names the
step (and the branch or iteration it runs in), and the current details list what the run waits
for right now, one line each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from translator.graph import StepNode

SUMMARY_LIMIT = 200
"""Characters of one summary: the UI shows it on one line of the timeline."""
DETAIL_LINES = 20
"""Lines of current details: a wide parallel or foreach lists this many, then a count."""
INPUT_PREVIEW_LIMIT = 2000
"""Characters of the user's input the workflow's static details show."""


def bounded(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with a visible ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summary(text: str) -> str:
    return bounded(text, SUMMARY_LIMIT)


def caught_note(step: str, path: str, error: str, cause: str, goto: str) -> str:
    return bounded(
        f"step {step_label(step, path)} failed with {error}: {cause} (caught, went to {goto})",
        SUMMARY_LIMIT * 2,
    )


def step_label(step: str, path: str = "") -> str:
    """`ReserveHotel`, or `Shaky in Both#1` inside a parallel branch or foreach iteration."""
    return f"{step} in {path}" if path else step


def member_path(path: str, step: str, index: int) -> str:
    """The path of a branch or iteration: the enclosing path, then `<step>#<index>`."""
    member = f"{step}#{index}"
    return f"{path}/{member}" if path else member


def task_summary(node: StepNode, path: str, attempt: int | None = None) -> str:
    """`task ReserveHotel (fc fnf-demo/Operation; FDL retry FC.Unknown x3)`: the step, what
    it calls and the FDL retry the activity applies itself (Temporal's own retry policy, shown
    beside it, only covers a lost worker)."""
    text = f"task {step_label(node['name'], path)}"
    if attempt is not None:
        text += f" attempt {attempt}"
    notes = [_resource_of(node)]
    retry = _retry_of(node)
    if retry:
        notes.append(retry)
    return summary(f"{text} ({'; '.join(note for note in notes if note)})")


def _resource_of(node: StepNode) -> str:
    resource: dict[str, Any] = dict(node.get("resource") or {})
    kind = resource.get("kind", "")
    if kind == "fc":
        return f"fc {resource.get('service', '')}/{resource.get('function', '')}"
    for named in ("queue", "topic", "flow"):  # MNS queues and topics, sub-flows
        if resource.get(named):
            return f"{kind} {resource[named]}"
    arn = str(resource.get("arn", ""))
    return f"{kind} {arn.rsplit('/', 1)[-1] or arn}".strip()


def _retry_of(node: StepNode) -> str:
    policies = node.get("retry") or []
    parts = []
    for policy in policies:
        errors = ",".join(policy.get("errors", []))
        parts.append(f"{errors} x{policy.get('maxAttempts', 3)}")
    return f"FDL retry {' | '.join(parts)}" if parts else ""


def backoff_summary(step: str, path: str, error: str, attempt: int, seconds: float) -> str:
    return summary(
        f"retry backoff {step_label(step, path)}: {seconds:g}s after {error}, "
        f"then attempt {attempt}"
    )


def clock(moment: datetime) -> str:
    """A UTC time as the FnF history writes it, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def until(seconds: float) -> str:
    return clock(workflow.now() + timedelta(seconds=seconds))


@dataclass
class CurrentDetails:
    """What the run is doing now, one line per thing it waits for (a task, a callback, a
    backoff, a wait, a fan-out's progress); shared by every sequence of the run. Each change
    sets the workflow's current details."""

    lines: dict[int, str] = field(default_factory=dict)
    _next: int = 0
    ended: str = ""
    header: str = ""
    """Shown above what the run does: on a continued run, which Temporal starts without the
    static summary and details of the run before it, the same facts (flow, execution,
    input; `continued_header`)."""
    _loop: asyncio.AbstractEventLoop | None = field(
        default_factory=lambda: _running_loop(), repr=False, compare=False
    )
    """The run's event loop (temporalio runs each run on its own): only it publishes."""
    caught: str = ""
    """The last error a catch handled (`ReserveHotel failed with FC.Unknown: ...`): a flow
    that then ends at a `fail` step without an error names it in its failure message."""

    @contextlib.contextmanager
    def doing(self, text: str) -> Iterator[int]:
        """Show `text` while the block runs (and while it is cancelled)."""
        key = self.begin(text)
        try:
            yield key
        finally:
            self.end(key)

    def begin(self, text: str) -> int:
        key = self._next
        self._next += 1
        self.lines[key] = bounded(text, SUMMARY_LIMIT * 2)
        self.publish()
        return key

    def update(self, key: int, text: str) -> None:
        if key in self.lines:
            self.lines[key] = bounded(text, SUMMARY_LIMIT * 2)
            self.publish()

    def end(self, key: int) -> None:
        if self.lines.pop(key, None) is not None:
            self.publish()

    def close(self, text: str) -> None:
        """The run has ended: say how, and nothing else."""
        self.lines.clear()
        self.ended = text
        self.publish()

    def publish(self) -> None:
        # A run dropped from the worker's cache has its coroutines closed by the garbage
        # collector, in whatever thread it runs: maybe outside any run, maybe in another
        # run's activation. Their `doing` blocks still end, with nothing to tell anyone.
        if self._loop is not None and _running_loop() is self._loop and workflow.in_workflow():
            workflow.set_current_details(self.render())

    def render(self) -> str:
        body = self._body()
        return f"{self.header}\n\n**Now**\n\n{body}" if self.header else body

    def _body(self) -> str:
        if self.ended:
            return self.ended
        shown = list(self.lines.values())
        if not shown:
            return "running steps"
        more = len(shown) - DETAIL_LINES
        listed = [f"- {line}" for line in shown[:DETAIL_LINES]]
        if more > 0:
            listed.append(f"- … and {more} more")
        return "\n".join(listed)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # not in a run's code
        return None


def execution_summary(flow: str, execution: str) -> str:
    """The workflow's static summary (the UI's title line for the run)."""
    return summary(f"FnF flow {flow} · execution {execution}")


def execution_details(
    flow: str, execution: str, flow_input: Any, extra: str = "", input_label: str = "Input"
) -> str:
    """The workflow's static details (Markdown): flow, execution and the user's input (or a
    part run's own, `input_label`), cut to INPUT_PREVIEW_LIMIT characters (the whole input
    is the first field of the Input panel)."""
    text = json.dumps(flow_input, ensure_ascii=False, indent=1)
    if len(text) > INPUT_PREVIEW_LIMIT:
        text = text[:INPUT_PREVIEW_LIMIT] + f"\n… ({len(text) - INPUT_PREVIEW_LIMIT} more chars)"
    lines = [f"**Flow** {flow}", f"**Execution** {execution}"]
    if extra:
        lines.append(extra)
    return "\n\n".join([*lines, f"**{input_label}**", f"```json\n{text}\n```"])


def continued_header(
    flow: str, execution: str, flow_input: Any, previous_run: str, extra: str = ""
) -> str:
    """A continued run's current details start with what its first run's static summary and
    details say: Temporal's continue-as-new carries no user metadata (the command has no
    field for it, and Temporal Server 1.32 drops the one on the command), so the new run
    would otherwise show neither flow, execution nor input."""
    more = f"**Continued from run** {previous_run}" + (f"\n\n{extra}" if extra else "")
    details = execution_details(flow, execution, flow_input, more)
    return f"{execution_summary(flow, execution)}\n\n{details}"


def failure_message(error: str, cause: str, step: str, path: str, caught: str = "") -> str:
    """The execution's failure message: the failed step, the FnF error and its cause (a
    `fail` step that gives neither: the error a catch handled before, if any)."""
    where = f"step {step_label(step, path)} failed" if step else "the flow failed"
    if not error and not cause:
        return f"{where} after {caught}" if caught else f"{where} (no error or cause given)"
    named = f" with {error}" if error else ""
    return f"{where}{named}: {cause}" if cause else f"{where}{named}"
