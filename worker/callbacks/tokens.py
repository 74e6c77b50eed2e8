"""Task tokens (DESIGN 8): opaque to users, parseable by us, unguessable.

A token is base64url of `v1#<flow>#<execution>#<stepEventId>#<secret>`, the shape FnF's own
tokens have (`v1#WaitForCallbackWorkflow#69f71f89-…#2#S1dx…=`). Flow and execution give the
workflow to report to, and are parsed with the one name grammar (translator/names.py), so every
execution the product can start (a UUID-named one, StartSyncExecution's `name:<uuid>`) can be
reported to; `#` occurs in no name, so the five fields split unambiguously. `secret` is 128
random bits from the operating system's random source, minted per attempt by a local activity
(worker/activities/task_secrets.py, so replay reads the same ones back from history) and kept
only in the workflow's state and history; nothing a client sees predicts it. (Runs started
before that drew it from `workflow.random()`, whose seed is derived from the run id.) The
workflow's Update validator accepts a report only when the secret matches a task it is waiting
on, which makes a token verifiable by the one party that must check it, without a key shared
between processes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from translator.names import EXECUTION, FLOW

VERSION = "v1"
_SECRET = re.compile(r"[0-9a-f]{32}")
MAX_TOKEN_CHARS = 1024


class InvalidTaskToken(ValueError):
    """The text is not a task token this service issued."""


@dataclass(frozen=True)
class TaskToken:
    flow: str
    execution: str
    step_event_id: int
    secret: str

    def encode(self) -> str:
        text = f"{VERSION}#{self.flow}#{self.execution}#{self.step_event_id}#{self.secret}"
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def decode(cls, token: str) -> TaskToken:
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidTaskToken("the task token is empty or too long")
        try:
            text = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            raise InvalidTaskToken("the task token is not valid base64") from None
        parts = text.split("#")
        if len(parts) != 5 or parts[0] != VERSION:
            raise InvalidTaskToken("the task token has an unknown format")
        _, flow, execution, event_id, secret = parts
        valid = (
            FLOW.is_valid(flow)
            and EXECUTION.is_valid(execution)
            and event_id.isdigit()
            and _SECRET.fullmatch(secret)
        )
        if not valid:
            raise InvalidTaskToken("the task token has an unknown format")
        return cls(flow, execution, int(event_id), secret)
