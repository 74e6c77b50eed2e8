"""`fnf run`'s event lines keep their detail column where the terminal draws it, whatever the
step name holds: wide (CJK) characters take two cells, markup characters one and no escape."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from cli.event_stream import EventStream
from translator import compile_text

FLOW = """\
version: v1
type: flow
steps:
  - {{type: pass, name: "{first}"}}
  - type: parallel
    name: Both
    branches:
      - steps: [{{type: pass, name: "{inner}"}}]
"""

NAMES = ["plain", "订单处理", "[bold]x[/bold]", "mixed订单[x]", "é́ü"]


def _detail_cells(name: str, inner: str) -> list[int]:
    """The cell at which each printed event's detail starts."""
    text = FLOW.format(first=name, inner=inner)
    graph = compile_text(text)
    out = io.StringIO()
    console = Console(file=out, width=400, color_system=None, force_terminal=False)
    stream = EventStream(console, graph["steps"], full=False, as_json=False)
    events = [
        (1, "StepEntered", name, 0),
        (2, "StepEntered", "Both", 0),
        (3, "BranchStarted", "Both", 2),
        (4, "StepEntered", inner, 3),
    ]
    marker = '{"input":{"k":1}}'
    for event_id, kind, step, schedule in events:
        stream.show(
            {
                "EventId": event_id,
                "Type": kind,
                "StepName": step,
                "Time": "2026-11-30T00:00:00.000Z",
                "ScheduleEventId": schedule,
                "EventDetail": marker,
            }
        )
    lines = [line for line in out.getvalue().splitlines() if marker in line]
    assert len(lines) == len(events)
    return [cell_len(line[: line.index(marker)]) for line in lines]


@pytest.mark.parametrize("name", NAMES)
def test_the_detail_column_does_not_move_with_the_step_name(name: str) -> None:
    plain = _detail_cells("plain", "inner")
    assert _detail_cells(name, "inner")[0] == plain[0]
    assert _detail_cells("plain", name)[3] == plain[3]


def test_a_name_wider_than_the_column_pushes_its_detail_on() -> None:
    wide = "订" * 20  # 40 cells
    cells = _detail_cells(wide, "inner")
    assert cells[0] > _detail_cells("plain", "inner")[0]
