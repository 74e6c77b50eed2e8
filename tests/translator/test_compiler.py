"""compile_text: FlowGraph shape, resolved jumps, defaults, and JSON round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from translator import FORMAT_VERSION, FlowGraph, compile_file, compile_text, validate_file
from translator.graph import GraphFormatError, check_format, iter_steps

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*/flow*.yaml"))

POLLING = """\
version: v1
type: flow
steps:
  - type: task
    name: StartJob
    resourceArn: acs:fc:::services/fnf-demo/functions/StartJob
  - type: pass
    name: Init
    outputMappings:
      - target: try_count
        source: 0
  - type: wait
    name: Wait10s
    duration: 10
  - type: task
    name: GetJobStatus
    resourceArn: acs:fc:::services/fnf-demo/functions/GetJobStatus
    inputMappings:
      - target: job_id
        source: $local.job_id
  - type: choice
    name: CheckJobComplete
    choices:
      - condition: $.status == "success"
        goto: JobSucceeded
      - condition: $.try_count > 3
        goto: JobFailed
      - condition: $.status == "running"
        goto: Wait10s
  - type: succeed
    name: JobSucceeded
  - type: fail
    name: JobFailed
"""


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in EXAMPLES])
def test_every_example_validates_compiles_and_round_trips(path: Path) -> None:
    result = validate_file(path)
    assert result.errors == [], [str(d) for d in result.errors]
    graph = compile_file(path)
    assert json.loads(json.dumps(graph)) == graph
    ids = [step["id"] for step in iter_steps(graph["steps"])]
    assert ids == list(range(graph["stepCount"]))


def test_polling_graph_resolves_sequence_and_gotos() -> None:
    graph = compile_text(POLLING)
    steps = graph["steps"]
    assert graph["format"] == FORMAT_VERSION
    assert [s["name"] for s in steps] == [
        "StartJob", "Init", "Wait10s", "GetJobStatus", "CheckJobComplete", "JobSucceeded",
        "JobFailed",
    ]  # fmt: skip
    assert [s["next"] for s in steps] == [1, 2, 3, 4, 5, None, None]
    choice = steps[4]
    assert [o["goto"] for o in choice["choices"]] == [5, 6, 2]
    assert [o["gotoName"] for o in choice["choices"]] == ["JobSucceeded", "JobFailed", "Wait10s"]
    assert choice["default"] is None
    assert choice["choices"][1]["conditionText"] == "$.try_count > 3"
    assert steps[2]["duration"] == {"const": 10}
    assert steps[0]["resource"]["function"] == "StartJob"
    assert steps[6]["error"] == "" and steps[6]["cause"] == ""


def test_task_defaults_and_catch_targets() -> None:
    graph = compile_text(
        """\
version: v1
type: flow
steps:
  - type: task
    name: ReserveHotel
    resourceArn: acs:fc:::services/fnf-demo/functions/Operation
    retry:
      - errors: [FC.Unknown]
    catch:
      - errors: [FC.Unknown]
        goto: CancelFlight
    end: true
  - type: task
    name: CancelFlight
    resourceArn: acs:mns:::/queues/q/messages
    pattern: waitForCallback
    inputMappings:
      - {target: token, source: $context.task.token}
    serviceParams:
      MessageBody: $
      Priority: 1
      Tag: $.tag
"""
    )
    task, cancel = graph["steps"]
    assert task["next"] is None
    assert task["pattern"] == "requestResponse"
    assert task["retry"] == [
        {
            "errors": ["FC.Unknown"],
            "intervalSeconds": 1,
            "maxIntervalSeconds": 86400,
            "maxAttempts": 3,
            "multiplier": 2,
        }
    ]
    assert task["catch"] == [{"errors": ["FC.Unknown"], "goto": 1, "gotoName": "CancelFlight"}]
    params = {p["key"]: p["source"] for p in cancel["serviceParams"] or []}
    assert params["Priority"] == {"const": 1}
    assert params["MessageBody"]["ref"] == "input"  # type: ignore[typeddict-item]
    assert params["Tag"]["path"]["text"] == "$.tag"  # type: ignore[typeddict-item]
    assert cancel["resource"]["kind"] == "mns-queue"


def test_nested_sequences_have_their_own_indices() -> None:
    graph = compile_text(
        """\
version: v1
type: flow
steps:
  - type: parallel
    name: fan
    branches:
      - steps:
          - {type: pass, name: a}
          - {type: pass, name: b}
      - steps:
          - type: foreach
            name: each
            iterationMapping: {collection: $.items, item: it, index: i}
            steps:
              - {type: succeed, name: stop}
              - {type: pass, name: never}
  - type: choice
    name: pick
    choices:
      - condition: $.x
        steps:
          - {type: pass, name: inner}
        goto: fan
    default:
      steps:
        - {type: pass, name: other}
"""
    )
    fan, pick = graph["steps"]
    assert [[s["name"] for s in b] for b in fan["branches"]] == [["a", "b"], ["each"]]
    each = fan["branches"][1][0]
    assert each["item"] == "it" and each["index"] == "i" and each["maxConcurrency"] == 100
    assert [s["next"] for s in each["steps"]] == [None, None]
    assert each["steps"][0]["path"] == "steps[0].branches[1].steps[0].steps[0]"
    assert pick["choices"][0]["goto"] == 0
    assert pick["default"] is not None and pick["default"]["conditionText"] is None
    assert [s["id"] for s in iter_steps(graph["steps"])] == list(range(9))


def test_flow_level_defaults() -> None:
    graph = compile_text("version: v1beta1\ntype: flow\nsteps:\n  - {type: pass, name: a}\n")
    assert graph["fdlVersion"] == "v1beta1"
    assert graph["timeoutSeconds"] == 365 * 24 * 3600
    assert graph["inputMappings"] is None and graph["outputMappings"] is None


def test_graph_format_is_checked() -> None:
    graph = compile_text("version: v1\ntype: flow\nsteps:\n  - {type: pass, name: a}\n")
    assert check_format(graph) is graph
    stale: FlowGraph = {**graph, "format": 99}
    with pytest.raises(GraphFormatError, match="format 99 is not supported"):
        check_format(stale)
