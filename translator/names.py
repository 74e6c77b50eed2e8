"""Every kind of name the product accepts, generates, encodes or parses, defined once.

A `NameGrammar` is three plain facts (the characters a name may start with, the characters
that may follow, the longest name) plus, for executions, one optional generated suffix. The
regular expression, the error message and the test strategy are all derived from those facts,
so no caller keeps a pattern of its own.

Sources and decisions:

- Flows, executions and schedules: Serverless Workflow's "Limits" page (naming rules) and the
  StartExecution, StartSyncExecution and CreateSchedule parameter docs: letters, digits, `_`
  and `-`, 1-128 characters, case-sensitive, starting with a letter or `_`.
- Executions also start with a digit. The service names an execution itself when StartExecution
  or a sub-flow gives no name, with a UUID (`69f71f89-3329-42c4-b508-b41617432db1`, seen in its
  task tokens and in DescribeExecution), and then accepts that name in DescribeExecution,
  StopExecution, GetExecutionHistory and task-token reports; about 10 UUIDs in 16 start with a
  digit. A grammar that refused them would strand every such execution, so the execution
  grammar widens the documented first character to digits, and nothing else: a leading `-`
  stays refused (no generated name has one, and `fnf run --execution -x` would read it as an
  option).
- StartSyncExecution names its execution `{ExecutionName}:{UUID}` (its parameter doc), so an
  execution name may end in `:` and a UUID. What a client gives StartSyncExecution is the stem
  without that suffix (`EXECUTION_STEM`), so the generated name always fits `EXECUTION`.
- Scheduled executions are named `scheduled-exec-<yyyyMMdd>T<HHmmss>Z-<uuid>`: a stem.
- Flow versions are the decimal numbers PublishFlowVersion hands out (`1`, `2`, ...); aliases
  follow the flow rule, whose leading letter or `_` keeps an alias apart from a version number
  in a `Qualifier`.
- MNS queues, topics and subscriptions: MNS's CreateQueue, CreateTopic and Subscribe docs and the
  ROS resource docs: letters, digits and `-`, starting with a letter or digit, at most 256
  characters (the newest console page says 120 for queues; the larger limit refuses no name
  MNS ever accepted).
- Function Compute services and functions: FC's naming rule, the same as the flow rule.

None of these names contains `/`, `#`, `"`, `\\` or whitespace, and only execution names contain
`:`, which is what makes the encoders built on them (workflow ids `<flow>/<execution>`, task
tokens `v1#<flow>#<execution>#...`, schedule ids `fnf-schedule:<flow>:<schedule>`, MNS paths and
visibility queries) unambiguous.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

LETTERS = string.ascii_letters
DIGITS = string.digits
WORD = LETTERS + DIGITS + "_-"
"""Letters, digits, `_` and `-`: the documented alphabet of FnF names."""

UUID_SUFFIX = ":[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
"""`:<uuid>`, what StartSyncExecution appends to the name it is given (the only suffix)."""
_SOME_SUFFIX = ":00000000-0000-0000-0000-000000000000"
"""A suffix of that form, to complete a partial one with."""


class InvalidName(ValueError):
    """A value that is not a name of the kind asked for; the message says why and the rule."""


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(char) for char in chars) + "]"


@dataclass(frozen=True)
class NameGrammar:
    kind: str
    """What the name names, for messages: `flow`, `execution`, `MNS queue`, ..."""
    first: str
    """The characters a name may start with."""
    rest: str
    """The characters that may follow the first."""
    max_length: int
    """The longest stem (the suffix, if any, comes on top)."""
    rule: str
    """The rule in words, as the error message states it."""
    suffix: str = ""
    """A regular expression for an optional generated ending (`:<uuid>`), or nothing."""
    regex: str = field(init=False)
    """The grammar as a regular expression without anchors, for use inside larger patterns."""
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stem = f"{_char_class(self.first)}{_char_class(self.rest)}{{0,{self.max_length - 1}}}"
        regex = f"{stem}(?:{self.suffix})?" if self.suffix else stem
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "_compiled", re.compile(regex))

    @property
    def longest(self) -> int:
        """The longest name of this kind, suffix included."""
        return self.max_length + (len(_SOME_SUFFIX) if self.suffix else 0)

    def is_valid(self, value: object) -> bool:
        return isinstance(value, str) and self._compiled.fullmatch(value) is not None

    def check(self, value: object, label: str | None = None) -> str:
        """`value` unchanged when it is a valid name, else InvalidName saying what is wrong."""
        if self.is_valid(value):
            assert isinstance(value, str)
            return value
        raise InvalidName(self.explain(value, label))

    def explain(self, value: object, label: str | None = None) -> str:
        what = label or f"{self.kind} name"
        if isinstance(value, str) and value.isprintable():
            shown = f"'{_shorten(value)}'"
        else:
            shown = repr(value)
        return f"{what} {shown} is invalid: {self.rule}"

    def may_start(self, prefix: str) -> bool:
        """Whether some valid name starts with `prefix` (ListExecutions' ExecutionNamePrefix)."""
        if prefix == "":
            return True
        stem, colon, ending = prefix.partition(":")
        if not self._stem_prefix(stem, complete=bool(colon)):
            return False
        if not colon:
            return True
        completed = ":" + ending + _SOME_SUFFIX[1 + len(ending) :]
        return bool(self.suffix) and re.fullmatch(self.suffix, completed) is not None

    def _stem_prefix(self, stem: str, complete: bool) -> bool:
        if len(stem) > self.max_length or (complete and not stem):
            return False
        if stem and stem[0] not in self.first:
            return False
        return all(char in self.rest for char in stem[1:])


def _shorten(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + f"... ({len(value)} characters)"


_FNF_RULE = "1-128 letters, digits, '_' or '-', starting with a letter or '_'"

FLOW = NameGrammar("flow", LETTERS + "_", WORD, 128, f"use {_FNF_RULE}.")
SCHEDULE = NameGrammar("schedule", LETTERS + "_", WORD, 128, f"use {_FNF_RULE}.")
ALIAS = NameGrammar("flow alias", LETTERS + "_", WORD, 128, f"use {_FNF_RULE}.")
FLOW_VERSION = NameGrammar(
    "flow version", DIGITS[1:], DIGITS, 10, "a flow version is a number from 1 up."
)
EXECUTION_STEM = NameGrammar(
    "execution",
    LETTERS + DIGITS + "_",
    WORD,
    128,
    "use 1-128 letters, digits, '_' or '-', starting with a letter, a digit or '_'.",
)
EXECUTION = NameGrammar(
    "execution",
    LETTERS + DIGITS + "_",
    WORD,
    128,
    "use 1-128 letters, digits, '_' or '-', starting with a letter, a digit or '_' "
    "(StartSyncExecution's names end in ':' and a UUID).",
    suffix=UUID_SUFFIX,
)
_MNS_RULE = "use 1-256 letters, digits or '-', starting with a letter or a digit."
QUEUE = NameGrammar("MNS queue", LETTERS + DIGITS, LETTERS + DIGITS + "-", 256, _MNS_RULE)
TOPIC = NameGrammar("MNS topic", LETTERS + DIGITS, LETTERS + DIGITS + "-", 256, _MNS_RULE)
SUBSCRIPTION = NameGrammar(
    "MNS subscription", LETTERS + DIGITS, LETTERS + DIGITS + "-", 256, _MNS_RULE
)
FC_SERVICE = NameGrammar("FC service", LETTERS + "_", WORD, 128, f"use {_FNF_RULE}.")
FC_FUNCTION = NameGrammar("FC function", LETTERS + "_", WORD, 128, f"use {_FNF_RULE}.")

ALL: tuple[NameGrammar, ...] = (
    FLOW,
    EXECUTION,
    EXECUTION_STEM,
    SCHEDULE,
    FLOW_VERSION,
    ALIAS,
    QUEUE,
    TOPIC,
    SUBSCRIPTION,
    FC_SERVICE,
    FC_FUNCTION,
)


def sync_execution_name(stem: str, unique: str) -> str:
    """StartSyncExecution's `{ExecutionName}:{UUID}`; `unique` is a UUID's text."""
    return EXECUTION.check(f"{EXECUTION_STEM.check(stem)}:{unique}")
