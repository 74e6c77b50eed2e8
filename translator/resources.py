"""What a task step talks to: FC functions, MNS queues and topics, sub-flows, API actions.

`parse_resource_arn` splits an ARN into its parts so the worker never re-parses strings, and
explains a malformed ARN by the form its service prefix promises.
"""

from __future__ import annotations

import re
from typing import Literal, NotRequired, TypedDict

from translator import names

ResourceKind = Literal["fc", "mns-queue", "mns-topic", "fnf-flow", "action"]


class Resource(TypedDict):
    kind: ResourceKind
    arn: str
    region: str
    account: str
    service: NotRequired[str]
    qualifier: NotRequired[str | None]
    function: NotRequired[str]
    queue: NotRequired[str]
    topic: NotRequired[str]
    flow: NotRequired[str]
    action: NotRequired[str]


_REGION = r"(?P<region>[a-z0-9-]*)"
_ACCOUNT = r"(?P<account>[0-9]*)"

_FC = re.compile(
    rf"acs:fc:{_REGION}:{_ACCOUNT}:services/(?P<service>{names.FC_SERVICE.regex})"
    r"(?:\.(?P<qualifier>[A-Za-z0-9_-]{1,128}))?"
    rf"/functions/(?P<function>{names.FC_FUNCTION.regex})"
)
_MNS = re.compile(
    rf"acs:mns:{_REGION}:{_ACCOUNT}:/(?:queues/(?P<queue>{names.QUEUE.regex})"
    rf"|topics/(?P<topic>{names.TOPIC.regex}))/messages"
)
_FNF = re.compile(rf"acs:fnf:{_REGION}:{_ACCOUNT}:flow/(?P<flow>{names.FLOW.regex})")
_SHAPES = (
    (
        re.compile(r"acs:fc:[^:]*:[^:]*:services/([^/.]+)(?:\.[^/]*)?/functions/(.+)"),
        (names.FC_SERVICE, names.FC_FUNCTION),
    ),
    (re.compile(r"acs:mns:[^:]*:[^:]*:/queues/(.+)/messages"), (names.QUEUE,)),
    (re.compile(r"acs:mns:[^:]*:[^:]*:/topics/(.+)/messages"), (names.TOPIC,)),
    (re.compile(r"acs:fnf:[^:]*:[^:]*:flow/(.+)"), (names.FLOW,)),
)
"""Each form with its names left loose, to tell a malformed name from a malformed ARN."""
_ACTION = re.compile(r"(?P<service>[A-Za-z][A-Za-z0-9_-]*):(?P<api>[A-Za-z][A-Za-z0-9]*)")

_FORMS = {
    "fc": "acs:fc:{region}:{account}:services/{service}[.{qualifier}]/functions/{function}",
    "mns": "acs:mns:{region}:{account}:/queues/{queue}/messages "
    "or acs:mns:{region}:{account}:/topics/{topic}/messages",
    "fnf": "acs:fnf:{region}:{account}:flow/{flowName}",
}


_EMPTY_FIELDS = {"fc": "acs:fc:::services/", "mns": "acs:mns:::/", "fnf": "acs:fnf:::flow/"}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>|[0-9]*\*+[0-9]*")
"""How Alibaba's pages write a region or account they leave to the reader: `{region}`,
`<account>`, or an account ID masked with asterisks (`18807708****3420`)."""


def _placeholder(fields: list[str]) -> str | None:
    """The first region or account field that is a documentation placeholder, quoted."""
    for field in fields:
        if _PLACEHOLDER.fullmatch(field):
            return f"'{field}'"
    return None


class ResourceError(ValueError):
    pass


def parse_resource_arn(arn: str) -> Resource:
    """Split a task's resourceArn, or raise ResourceError saying which form was expected."""
    if match := _FC.fullmatch(arn):
        return Resource(
            kind="fc",
            arn=arn,
            region=match["region"],
            account=match["account"],
            service=match["service"],
            qualifier=match["qualifier"],
            function=match["function"],
        )
    if match := _MNS.fullmatch(arn):
        base = Resource(
            kind="mns-queue" if match["queue"] else "mns-topic",
            arn=arn,
            region=match["region"],
            account=match["account"],
        )
        if match["queue"]:
            base["queue"] = match["queue"]
        else:
            base["topic"] = match["topic"]
        return base
    if match := _FNF.fullmatch(arn):
        return Resource(
            kind="fnf-flow",
            arn=arn,
            region=match["region"],
            account=match["account"],
            flow=match["flow"],
        )
    raise ResourceError(_explain(arn))


def parse_action(action: str) -> Resource:
    """`ocr:RecognizeIdentityCard` -> an API-style integration resolved by the registry."""
    if not (match := _ACTION.fullmatch(action)):
        raise ResourceError(f"invalid action '{action}': expected {{serviceName}}:{{ApiName}}")
    return Resource(
        kind="action",
        arn=action,
        region="",
        account="",
        service=match["service"],
        action=match["api"],
    )


def _explain(arn: str) -> str:
    for shape, grammars in _SHAPES:
        if match := shape.fullmatch(arn):
            for grammar, value in zip(grammars, match.groups(), strict=True):
                if not grammar.is_valid(value):
                    return f"invalid resourceArn '{arn}': {grammar.explain(value)}"
    parts = arn.split(":")
    service = parts[1] if len(parts) > 1 and parts[0] == "acs" else None
    if service in _FORMS and (placeholder := _placeholder(parts[2:4])):
        return (
            f"invalid resourceArn '{arn}': {placeholder} is a placeholder from the documentation: "
            "write a region ID (such as cn-hangzhou) and a numeric account ID there, or leave "
            f"both empty ({_EMPTY_FIELDS[service]}...)"
        )
    if service in _FORMS:
        return f"invalid resourceArn '{arn}': expected {_FORMS[service]}"
    known = ", ".join(f"acs:{name}" for name in _FORMS)
    return f"invalid resourceArn '{arn}': unsupported service (expected one of {known})"
