"""Choices as flows in the field write them, run end to end on the session's Temporal server.

- Alibaba's samples leave a loop on `$.end == "true"` while the function answers `{"end": true}`,
  and branch on `$.audited == "true"` against a JSON boolean.
- A third-party generator emits choices with only a `default`.
- Keys are Chinese, Italian or Russian words, read with the dot shorthand (RFC 9535).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.worker.conftest import RunFlow
from translator import compile_text, validate_text

FUNCTIONS = Path(__file__).parent / "fixtures" / "choices" / "functions.yaml"
ARN = "acs:fc:::services/samples/functions"

PAGED_LOOP = f"""\
version: v1
type: flow
steps:
  - type: task
    name: fetchPage
    resourceArn: {ARN}/page
    inputMappings:
      - {{target: page, source: $local.page}}
      - {{target: pages, source: $input.pages}}
  - type: choice
    name: lastPage
    inputMappings:
      - {{target: end, source: $local.end}}
      - {{target: page, source: $local.page}}
    choices:
      - condition: CONDITION
        goto: finished
      - condition: $.page >= 10
        goto: runaway
    default:
      goto: fetchPage
  - type: succeed
    name: finished
  - type: fail
    name: runaway
    error: LoopNeverEnded
"""


@pytest.mark.parametrize(
    "condition",
    ['$.end == "true"', "'$.end == `true`'", "'\"true\" == $.end'", '$.end != "false"'],
)
async def test_a_loop_ends_when_a_boolean_meets_the_string_true(
    run_flow: RunFlow, condition: str
) -> None:
    outcome = await run_flow(
        "paged", {"pages": 3}, text=PAGED_LOOP.replace("CONDITION", condition), functions=FUNCTIONS
    )
    assert (outcome.status, outcome.error) == ("Succeeded", None)
    assert outcome.output == {"page": 3, "end": True}
    assert outcome.types("fetchPage").count("TaskSucceeded") == 3


AUDIT = f"""\
version: v1
type: flow
steps:
  - type: task
    name: review
    resourceArn: {ARN}/audit
    inputMappings:
      - {{target: text, source: $input.text}}
  - type: choice
    name: verdict
    inputMappings:
      - {{target: audited, source: $local.audited}}
    choices:
      - condition: $.audited == "true"
        steps:
          - type: pass
            name: publish
            outputMappings:
              - {{target: result, source: published}}
    default:
      steps:
        - type: pass
          name: reject
          outputMappings:
            - {{target: result, source: rejected}}
"""


@pytest.mark.parametrize(("text", "result"), [("hello", "published"), ("spam!", "rejected")])
async def test_an_audit_verdict_branches_on_the_string_true(
    run_flow: RunFlow, text: str, result: str
) -> None:
    outcome = await run_flow("audit", {"text": text}, text=AUDIT, functions=FUNCTIONS)
    assert outcome.status == "Succeeded"
    assert outcome.output is not None and outcome.output["result"] == result


DEFAULT_ONLY = f"""\
version: v1
type: flow
steps:
  - type: choice
    name: route
    default:
      steps:
        - type: task
          name: work
          resourceArn: {ARN}/echo
          inputMappings:
            - {{target: job, source: $input.job}}
      goto: done
  - type: fail
    name: skipped
    error: DefaultNotTaken
  - type: succeed
    name: done
"""


async def test_a_choice_with_only_a_default_validates_compiles_and_runs_it(
    run_flow: RunFlow,
) -> None:
    result = validate_text(DEFAULT_ONLY, "generated.yaml")
    assert result.errors == []
    assert "choice 'route' has no choices: its default always runs" in [
        d.message for d in result.warnings
    ]
    graph = compile_text(DEFAULT_ONLY)
    route = graph["steps"][0]
    assert route["choices"] == [] and route["default"] is not None

    outcome = await run_flow("generated", {"job": 7}, text=DEFAULT_ONLY, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Succeeded", None)
    assert outcome.output == {"job": 7}
    assert "TaskSucceeded:work" in outcome.trail()
    assert "StepEntered:skipped" not in outcome.trail()


NON_ASCII_KEYS = f"""\
version: v1
type: flow
inputMappings:
  - {{target: 城市, source: $input.城市}}
  - {{target: città, source: $input.città}}
  - {{target: 列表, source: $input.列表}}
  - {{target: 秒, source: $input.设置.秒}}
steps:
  - type: choice
    name: 选择
    inputMappings:
      - {{target: 城市, source: $input.城市}}
    choices:
      - condition: $.城市 == "杭州" && $.città != "Roma"
        steps:
          - type: pass
            name: 杭州
            outputMappings:
              - {{target: 分支, source: 杭州}}
    default:
      steps:
        - type: pass
          name: 其他
          outputMappings:
            - {{target: 分支, source: 其他}}
  - type: foreach
    name: 每个
    inputMappings:
      - {{target: 列表, source: $input.列表}}
    iterationMapping:
      collection: $.列表
      item: 项
    steps:
      - type: task
        name: 回声
        resourceArn: {ARN}/echo
        inputMappings:
          - {{target: ключ, source: $input.项.ключ}}
    outputMappings:
      - {{target: ключи, source: "$local[*].ключ"}}
  - type: wait
    name: 等待
    inputMappings:
      - {{target: 秒, source: $input.秒}}
    duration: $.秒
"""


@pytest.mark.parametrize(("city", "branch"), [("杭州", "杭州"), ("上海", "其他")])
async def test_non_ascii_keys_read_with_the_dot_shorthand_everywhere(
    run_flow: RunFlow, city: str, branch: str
) -> None:
    flow_input = {
        "城市": city,
        "città": "Milano",
        "列表": [{"ключ": "ß"}, {"ключ": "😀"}],
        "设置": {"秒": 30},
    }
    outcome = await run_flow("keys", flow_input, text=NON_ASCII_KEYS, functions=FUNCTIONS)
    assert (outcome.status, outcome.error) == ("Succeeded", None)
    assert outcome.output is not None
    assert outcome.output["分支"] == branch
    assert outcome.output["ключи"] == ["ß", "😀"]
    waited = [_moment(e["Time"]) for e in outcome.events if e["StepName"] == "等待"]
    assert (waited[-1] - waited[0]).total_seconds() >= 30  # `duration: $.秒` was read


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
