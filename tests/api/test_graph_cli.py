"""`fnf graph FILE --execution NAME` against a real `fnf api` (the session's subprocess): the
history is read through the API as `fnf exec history` reads it, and the drawing shows where
the execution is: a task waiting for its callback, then the finished path."""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.api.conftest import ApiServer
from tests.api.test_cli_commands import fnf
from tests.worker.conftest import EXAMPLES

SVG = "{http://www.w3.org/2000/svg}"

BRANCHES = """\
version: v1
type: flow
steps:
  - type: parallel
    name: Both
    branches:
      - steps:
          - type: pass
            name: Left
      - steps:
          - type: choice
            name: Pick
            choices:
              - condition: $.go == "right"
                goto: Right
            default:
              goto: Other
          - type: pass
            name: Right
            end: true
          - type: pass
            name: Other
  - type: pass
    name: After
"""


def statuses(svg_text: str) -> dict[str, str]:
    root = ET.fromstring(svg_text)
    return {
        g.attrib["data-step"]: g.attrib["data-status"]
        for g in root.iter(f"{SVG}g")
        if "step" in g.attrib.get("class", "").split()
    }


def history(api: ApiServer, flow: str, execution: str) -> list[dict[str, object]]:
    code, out, err = fnf(api, "exec", "history", flow, execution, "--json")
    assert code == 0, err
    return list(json.loads(out)["Events"])


def wait_for(api: ApiServer, flow: str, execution: str, kind: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = history(api, flow, execution)
        if any(e["Type"] == kind for e in events):
            return events
        time.sleep(0.2)
    raise AssertionError(f"no {kind} in the history of {execution}")


def test_graph_of_a_waiting_then_finished_callback(api_server: ApiServer) -> None:
    flow_file = EXAMPLES / "callback" / "flow.yaml"
    name = f"graph_cb_{uuid.uuid4().hex[:6]}"
    assert fnf(api_server, "flow", "create", str(flow_file), "--name", name)[0] == 0
    assert fnf(api_server, "exec", "start", name, "--name", "cb1")[0] == 0
    events = wait_for(api_server, name, "cb1", "TaskSubmitted")

    args = ["graph", str(flow_file), "--flow", name, "--execution", "cb1"]
    code, out, err = fnf(api_server, *args, "--format", "svg")
    assert code == 0, err
    assert statuses(out) == {"mytask": "waiting"}
    code, out, err = fnf(api_server, *args)
    assert code == 0, err
    assert "  class s0 waiting" in out.splitlines()

    submitted = next(e for e in events if e["Type"] == "TaskSubmitted")
    token = json.loads(str(submitted["EventDetail"]))["output"]["taskToken"]
    report = {"TaskToken": token, "Output": '{"status": "ok"}'}
    code, _, err = fnf(api_server, "call", "ReportTaskSucceeded", json.dumps(report))
    assert code == 0, err
    wait_for(api_server, name, "cb1", "ExecutionSucceeded")
    code, out, err = fnf(api_server, *args, "--format", "html")
    assert code == 0, err
    assert out.startswith("<!DOCTYPE html>") and "execution Succeeded" in out
    svg = out[out.index("<svg") : out.index("</svg>") + len("</svg>")]
    assert statuses(svg) == {"mytask": "succeeded"}
    assert '<tr data-step="mytask">' in out and "&quot;status&quot;: &quot;ok&quot;" in out


def test_graph_of_parallel_branches_and_a_choice(api_server: ApiServer, tmp_path: Path) -> None:
    flow_file = tmp_path / f"graph_branches_{uuid.uuid4().hex[:6]}.yaml"
    flow_file.write_text(BRANCHES)
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0
    name = flow_file.stem
    code, _, err = fnf(api_server, "exec", "start", name, "--name", "b1", "--input", '{"go": "x"}')
    assert code == 0, err
    wait_for(api_server, name, "b1", "ExecutionSucceeded")
    output = tmp_path / "b1.svg"
    code, _, err = fnf(
        api_server,
        "graph",
        str(flow_file),
        "--execution",
        "b1",
        "--format",
        "svg",
        "-o",
        str(output),
    )
    assert code == 0, err
    drawn = statuses(output.read_text())
    assert drawn == {
        "Both": "succeeded",
        "Left": "succeeded",
        "Pick": "succeeded",
        "Right": "not_reached",
        "Other": "succeeded",
        "After": "succeeded",
    }


def test_graph_of_an_unknown_execution_is_one_error_line(api_server: ApiServer) -> None:
    flow_file = EXAMPLES / "callback" / "flow.yaml"
    code, out, err = fnf(
        api_server, "graph", str(flow_file), "--flow", "nope_flow", "--execution", "nope"
    )
    assert code == 1 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


EACH = """\
version: v1
type: flow
steps:
  - type: foreach
    name: Each
    iterationMapping:
      collection: $.items
      item: item
    steps:
      - type: pass
        name: Work
  - type: pass
    name: After
"""


def test_mermaid_draws_the_path_and_iterations_are_checked(
    api_server: ApiServer, tmp_path: Path
) -> None:
    """The Mermaid text of an execution marks each node with its status and draws the edges
    it took (linkStyle, numbered as the links are written); an --iteration the execution did
    not run is refused, saying how many there were."""
    flow_file = tmp_path / f"graph_each_{uuid.uuid4().hex[:6]}.yaml"
    flow_file.write_text(EACH)
    assert fnf(api_server, "flow", "create", str(flow_file))[0] == 0
    name = flow_file.stem
    code, _, err = fnf(
        api_server, "exec", "start", name, "--name", "e1", "--input", '{"items": [1, 2, 3]}'
    )
    assert code == 0, err
    wait_for(api_server, name, "e1", "ExecutionSucceeded")
    args = ["graph", str(flow_file), "--execution", "e1"]

    code, out, err = fnf(api_server, *args)
    assert code == 0, err
    lines = out.splitlines()
    links = [line.strip() for line in lines if "-->" in line or ".->" in line]
    [styled] = [line for line in lines if line.strip().startswith("linkStyle ")]
    taken = [links[int(n)] for n in styled.split()[1].split(",")]
    assert sorted(taken) == [
        "s0 --> s1",
        "s0_join --> s2",
        "s1 --> s0_join",
        "s2 --> done",
        "start --> s0",
    ]
    assert "  class start,done,s0,s1,s2 succeeded" in lines

    code, out, err = fnf(api_server, *args, "--iteration", "2", "--format", "svg")
    assert code == 0, err
    assert 'data-chosen="2"' in out or "iteration 2 of 3" in out
    for bad, says in (("-1", "greater than or equal to 0"), ("3", "Each ran 3")):
        code, out, err = fnf(api_server, *args, "--iteration", bad)
        assert code == 2 and out == "", (bad, err)
        assert err.startswith("error: ") and says in err, err
        assert len(err.strip().splitlines()) == 1, err
    code, out, err = fnf(api_server, "graph", str(flow_file), "--iteration", "0")
    assert code == 2 and "--execution" in err, err
