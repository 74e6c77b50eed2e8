"""resourceArn and action parsing, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from translator.resources import ResourceError, parse_action, parse_resource_arn

VALID: list[tuple[str, dict[str, Any]]] = [
    (
        "acs:fc:::services/fnf-demo/functions/StartJob",
        {"kind": "fc", "service": "fnf-demo", "qualifier": None, "function": "StartJob"},
    ),
    (
        "acs:fc:cn-hangzhou:1234567890:services/fnf-demo/functions/GetJobStatus",
        {
            "kind": "fc",
            "region": "cn-hangzhou",
            "account": "1234567890",
            "function": "GetJobStatus",
        },
    ),
    (
        "acs:fc:::services/fnf-demo.online/functions/provision",
        {"kind": "fc", "service": "fnf-demo", "qualifier": "online", "function": "provision"},
    ),
    (
        "acs:fc:::services/fnf-demo.1/functions/provision",
        {"kind": "fc", "service": "fnf-demo", "qualifier": "1"},
    ),
    ("acs:mns:::/queues/fnf-demo/messages", {"kind": "mns-queue", "queue": "fnf-demo"}),
    (
        "acs:mns:cn-shanghai:123:/topics/my-topic/messages",
        {"kind": "mns-topic", "topic": "my-topic", "region": "cn-shanghai", "account": "123"},
    ),
    ("acs:fnf:::flow/subflow_demo_child", {"kind": "fnf-flow", "flow": "subflow_demo_child"}),
]

INVALID = [
    ("acs:fc:::services/demo/function/x", "expected acs:fc:{region}:{account}:services/"),
    ("acs:fc:::services//functions/x", "expected acs:fc:"),
    ("acs:fc:::services/demo./functions/x", "expected acs:fc:"),
    ("acs:fc:CN:::services/demo/functions/x", "expected acs:fc:"),
    ("acs:mns:::/queue/demo/messages", "expected acs:mns:"),
    ("acs:mns:::/topics/demo", "expected acs:mns:"),
    ("acs:fnf:::flows/x", "expected acs:fnf:"),
    ("acs:oss:::bucket", "unsupported service"),
    # Alibaba's own examples, copied with their placeholders: say what to write instead
    (
        "acs:fc:{region}:{account}:services/fnf_test/functions/toUpperCase",
        "'{region}' is a placeholder from the documentation",
    ),
    ("acs:fc:cn-shanghai:18807708****3420:services/fnf_test/functions/hello", "'18807708****3420'"),
    ("acs:mns:<region>:<account>:/queues/q/messages", "or leave both empty (acs:mns:::/...)"),
    ("acs:fnf:cn-hangzhou:{account}:flow/child", "'{account}' is a placeholder"),
    ("arn:aws:lambda:us-east-1:1:function:x", "unsupported service"),
    ("", "unsupported service"),
]


@pytest.mark.parametrize(("arn", "expected"), VALID)
def test_valid_arn_is_split_into_parts(arn: str, expected: dict[str, Any]) -> None:
    resource = parse_resource_arn(arn)
    assert resource["arn"] == arn
    for key, value in expected.items():
        assert resource.get(key) == value, key


@pytest.mark.parametrize(("arn", "fragment"), INVALID)
def test_invalid_arn_explains_the_expected_form(arn: str, fragment: str) -> None:
    with pytest.raises(ResourceError) as raised:
        parse_resource_arn(arn)
    assert fragment in str(raised.value)
    assert f"'{arn}'" in str(raised.value)


def test_action_names_service_and_api() -> None:
    resource = parse_action("ocr:RecognizeIdentityCard")
    assert (resource["kind"], resource["service"], resource["action"]) == (
        "action",
        "ocr",
        "RecognizeIdentityCard",
    )


@pytest.mark.parametrize("action", ["ocr", "ocr:", ":Api", "ocr/Api", "ocr:Api:x"])
def test_invalid_action(action: str) -> None:
    with pytest.raises(ResourceError, match="expected \\{serviceName\\}:\\{ApiName\\}"):
        parse_action(action)
