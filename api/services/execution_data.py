"""What an execution records at start so that ListExecutions can answer its data from visibility.

ListExecutions documents FlowDefinition, Input and Output on every item (omitted only with
MetadataOnly). Reading them from each execution's history costs a describe and a history page
per item, so a page of 100 took a few hundred calls. Instead StartExecution writes two facts
into the execution's memo, which visibility returns with the list itself:

- `input`: the execution's input as JSON text, when it is at most MEMO_INPUT_BYTES (a page of
  100 memos must stay well under gRPC's 4 MB message limit);
- `definitionSha256`: the SHA-256 of the pinned definition text. Executions of one flow share
  a few definitions, so the text is kept once per process (DefinitionCache), seeded with the
  flow's current definition; an unknown hash costs one history read per page, not one per item.

Executions started before these facts were recorded, sub-flow children (the worker starts
them) and inputs over the bound are read from their history, as before.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

INPUT_MEMO = "input"
DEFINITION_MEMO = "definitionSha256"
MEMO_INPUT_BYTES = 8 * 1024
"""Inputs up to this many bytes of JSON ride in the memo; larger ones are read from history."""

DEFINITIONS_KEPT = 256
"""Definition texts a process keeps by hash (each at most a flow definition's size)."""


def definition_key(definition: str) -> str:
    return hashlib.sha256(definition.encode("utf-8", "surrogatepass")).hexdigest()


def input_text(flow_input: Any) -> str:
    """The Input field's text, as DescribeExecution writes it."""
    return json.dumps(flow_input, ensure_ascii=False)


def data_memo(definition: str, flow_input: Any) -> dict[str, str]:
    """The memo entries StartExecution adds for ListExecutions."""
    memo = {DEFINITION_MEMO: definition_key(definition)}
    text = input_text(flow_input)
    if len(text.encode("utf-8", "surrogatepass")) <= MEMO_INPUT_BYTES:
        memo[INPUT_MEMO] = text
    return memo


@dataclass
class DefinitionCache:
    """Definition texts by their SHA-256, least recently used dropped first."""

    limit: int = DEFINITIONS_KEPT
    _texts: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def remember(self, definition: str) -> str:
        key = definition_key(definition)
        self._texts[key] = definition
        self._texts.move_to_end(key)
        while len(self._texts) > self.limit:
            self._texts.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text


@dataclass(frozen=True)
class MemoData:
    """The data facts one execution's memo holds (each None when it was not recorded)."""

    definition_key: str | None
    input: str | None

    @classmethod
    def of(cls, memo: dict[str, Any]) -> MemoData:
        key, text = memo.get(DEFINITION_MEMO), memo.get(INPUT_MEMO)
        return cls(
            key if isinstance(key, str) and key else None,
            text if isinstance(text, str) else None,
        )
