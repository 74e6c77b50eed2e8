"""The flow's graph on a page: translator.diagram's layout and SVG, with the execution's path
drawn on it, and a picker per foreach step to draw one iteration's path.

The SVG escapes every text itself (translator.diagram.svg). Its inline <style> is taken out
and served as /console/graph.css instead, because the pages' Content-Security-Policy admits
no inline style.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from translator.diagram.layout import layout_flow
from translator.diagram.model import FlowDiagram
from translator.diagram.path import ExecutionPath
from translator.diagram.svg import STYLE, render_svg

GRAPH_STYLE = STYLE
INLINE_STYLE = f"<style>{STYLE}</style>"


@dataclass(frozen=True)
class Picker:
    """One foreach step: its iterations' counts, and which one is drawn (None: all)."""

    node: str
    name: str
    succeeded: int
    failed: int
    running: int
    stopped: int
    indexes: list[int]
    chosen: int | None


@lru_cache(maxsize=32)
def _diagram(definition: str) -> FlowDiagram | None:
    """The layout of a definition (frozen, so shared): an execution page draws it twice and its
    live region asks again every few seconds, and a large flow's layout takes seconds."""
    try:
        return layout_flow(definition)
    except Exception:  # a definition that does not compile draws no graph; its problems show
        return None


def flow_graph(
    definition: str, path: ExecutionPath | None = None, picks: dict[str, int] | None = None
) -> Markup:
    diagram = _diagram(definition)
    if diagram is None:
        return Markup('<p class="empty">No graph: the definition does not compile.</p>')
    svg = render_svg(diagram, path=path, iteration=picks or None)
    return Markup(svg.replace(INLINE_STYLE, "", 1))


async def drawn(
    definition: str, path: ExecutionPath | None = None, picks: dict[str, int] | None = None
) -> tuple[Markup, list[Picker]]:
    """The graph and, with a path, its pickers, made in a worker thread: the layout is pure
    CPU work (seconds for a flow of a thousand steps) that would otherwise hold the event loop
    every API call and page of this process share."""

    def make() -> tuple[Markup, list[Picker]]:
        graph = flow_graph(definition, path, picks)
        return graph, ([] if path is None else pickers(definition, path, picks or {}))

    return await asyncio.to_thread(make)


def pickers(definition: str, path: ExecutionPath, picks: dict[str, int]) -> list[Picker]:
    diagram = _diagram(definition)
    if diagram is None:
        return []
    view = path.view(None)
    found = []
    for node in diagram.steps():
        fan = view.foreach.get(node.id)
        if node.type != "foreach" or fan is None or not fan.total:
            continue
        found.append(
            Picker(
                node.id,
                node.name,
                fan.succeeded,
                fan.failed,
                fan.running,
                fan.stopped,
                sorted(fan.iterations),
                picks.get(node.id),
            )
        )
    return found
