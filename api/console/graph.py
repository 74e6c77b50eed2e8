"""The flow's steps drawn as HTML boxes, each coloured by the status the execution gave it.

A sequence is a column of boxes joined by arrows; a parallel step is a group with one column
per branch, a foreach a group around its steps with its iteration counts and a picker for one
iteration, a choice lists its options with their conditions and gotos. Every box carries
`data-node` (the definition path, `StepNode.path`), `data-name` and `data-status`, which the
page's script and the browser tests read. Every text goes through `markupsafe.escape`.
"""

from __future__ import annotations

from markupsafe import Markup

from api.console.path import NOT_REACHED, ExecutionPath
from translator.graph import OptionNode, StepNode

STATUS_LABELS = {
    "succeeded": "succeeded",
    "failed": "failed",
    "running": "running",
    "waiting": "waiting for a callback",
    "stopped": "stopped",
    "not-reached": "not reached",
}


def render_graph(
    steps: list[StepNode], path: ExecutionPath | None, picks: dict[str, int] | None = None
) -> Markup:
    names = {node["id"]: node["name"] for node in _all(steps)}
    return Markup('<div class="graph">{}</div>').format(
        _sequence(steps, path, picks or {}, names, "start")
    )


def _all(steps: list[StepNode]) -> list[StepNode]:
    found: list[StepNode] = []
    for step in steps:
        found.append(step)
        for branch in step.get("branches") or []:
            found.extend(_all(branch))
        found.extend(_all(step.get("steps") or []))
        options: list[OptionNode] = list(step.get("choices") or [])
        default = step.get("default")
        if default:
            options.append(default)
        for option in options:
            found.extend(_all(option.get("steps") or []))
    return found


def _sequence(
    steps: list[StepNode],
    path: ExecutionPath | None,
    picks: dict[str, int],
    names: dict[int, str],
    first: str,
) -> Markup:
    parts = [Markup('<div class="terminal">{}</div>').format(first)]
    for step in steps:
        parts.append(Markup('<div class="arrow" aria-hidden="true">&#8595;</div>'))
        parts.append(_step(step, path, picks, names))
    return Markup('<div class="seq">{}</div>').format(Markup("").join(parts))


def _step(
    step: StepNode, path: ExecutionPath | None, picks: dict[str, int], names: dict[int, str]
) -> Markup:
    state = path.node_state(step["path"], picks) if path is not None else None
    status = state.status if state is not None else NOT_REACHED
    badges: list[Markup] = []
    if state is not None and state.runs > 1:
        badges.append(
            Markup('<span class="badge runs" title="entered {0} times">&#215;{0}</span>').format(
                state.runs
            )
        )
    if state is not None and state.attempts > 1:
        badges.append(
            Markup('<span class="badge retries">{} attempts</span>').format(state.attempts)
        )
    box = Markup(
        '<button type="button" class="node status-{status} type-{kind}" data-node="{node}" '
        'data-name="{name}" data-status="{status}" title="{title}">'
        '<span class="kind">{kind}</span><span class="name">{name}</span>{badges}{links}</button>'
    ).format(
        status=status,
        kind=step["type"],
        node=step["path"],
        name=step["name"],
        title=f"{step['name']}: {STATUS_LABELS.get(status, status)}",
        badges=Markup("").join(badges),
        links=_links(step, names, path),
    )
    if step["type"] == "parallel":
        return _group(step, box, path, picks, names, step.get("branches") or [], "branch")
    if step["type"] == "foreach":
        return _foreach(step, box, path, picks, names)
    if step["type"] == "choice":
        return _choice(step, box, path, picks, names)
    return box


def _links(step: StepNode, names: dict[int, str], path: ExecutionPath | None) -> Markup:
    """Where a step goes other than the next box: its catch gotos and a non-adjacent next."""
    links = [
        Markup('<span class="goto">catch {} &#8594; {}</span>').format(
            ", ".join(c["errors"]), c["gotoName"]
        )
        for c in step.get("catch") or []
    ]
    return Markup("").join(links)


def _group(
    step: StepNode,
    box: Markup,
    path: ExecutionPath | None,
    picks: dict[str, int],
    names: dict[int, str],
    members: list[list[StepNode]],
    label: str,
) -> Markup:
    columns = Markup("").join(
        Markup('<div class="member">{}</div>').format(
            _sequence(steps, path, picks, names, f"{label} {index}")
        )
        for index, steps in enumerate(members)
    )
    return Markup('<div class="group {}">{}<div class="members">{}</div></div>').format(
        step["type"], box, columns
    )


def _foreach(
    step: StepNode,
    box: Markup,
    path: ExecutionPath | None,
    picks: dict[str, int],
    names: dict[int, str],
) -> Markup:
    state = path.node_state(step["path"], picks) if path is not None else None
    summary = Markup("")
    if state is not None and state.iteration_indexes:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(state.iterations.items()))
        options = Markup("").join(
            Markup('<option value="{0}:{1}"{2}>iteration {1}</option>').format(
                step["path"], index, Markup(" selected") if picks.get(step["path"]) == index else ""
            )
            for index in state.iteration_indexes
        )
        summary = Markup(
            '<div class="iterations" data-foreach="{node}"><span class="counts">'
            "{total} iterations: {counts}</span>"
            '<label>path of <select class="pick" name="pick" data-foreach="{node}">'
            '<option value="">every iteration</option>{options}</select></label></div>'
        ).format(
            node=step["path"], total=len(state.iteration_indexes), counts=counts, options=options
        )
    inner = _sequence(step.get("steps") or [], path, picks, names, "each item")
    return Markup(
        '<div class="group foreach">{}{}'
        '<div class="members"><div class="member">{}</div></div></div>'
    ).format(box, summary, inner)


def _choice(
    step: StepNode,
    box: Markup,
    path: ExecutionPath | None,
    picks: dict[str, int],
    names: dict[int, str],
) -> Markup:
    options: list[OptionNode] = list(step.get("choices") or [])
    default = step.get("default")
    if default:
        options.append(default)
    rows: list[Markup] = []
    for option in options:
        condition = option.get("conditionText") or "default"
        target = option.get("gotoName")
        taken = ""
        if target and path is not None:
            target_paths = [r.node for r in path.runs if r.name == target]
            count = max(
                (path.edges.get((step["path"], t), 0) for t in set(target_paths)), default=0
            )
            taken = f" (taken {count}\u00d7)" if count else ""
        inner = (
            _sequence(option.get("steps") or [], path, picks, names, "then")
            if option.get("steps")
            else Markup("")
        )
        rows.append(
            Markup('<div class="option"><code>{}</code>{}{}</div>').format(
                condition,
                Markup('<span class="goto">&#8594; {}{}</span>').format(target, taken)
                if target
                else "",
                inner,
            )
        )
    return Markup('<div class="group choice">{}<div class="options">{}</div></div>').format(
        box, Markup("").join(rows)
    )
