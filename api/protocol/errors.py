"""FnF's error codes, their HTTP statuses, and the JSON error body both SDKs parse.

The codes, statuses and message templates are FnF's own (Alibaba's published API metadata
for fnf 2019-03-15). Callers key on them: the legacy SDK puts `Code` into
`ServerException.get_error_code()`, the tea SDK into `code`, and workers branch on exactly
those strings (for example `TaskAlreadyCompleted` after a redelivered task message). A code
that FnF answers with one status must never come back with another, so a status is looked up
from the code rather than chosen at each raise site.

Two traps shape this module:

* The legacy SDK special-cases the pair (400, `SignatureDoesNotMatch`): it indexes
  `Message.split(':')[1]` and crashes on a message without a colon. FnF's own code is
  `SignatureNotMatch` with 403, so `SignatureDoesNotMatch` is refused outright.
* Both SDKs treat statuses below 400 as success (the tea SDK parses 3xx as a result), so an
  error must carry a 4xx or 5xx status.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Code(StrEnum):
    """The error codes the facade answers with, spelled exactly as FnF spells them."""

    # Common to every action.
    ACTION_NOT_SUPPORTED = "ActionNotSupported"
    API_VERSION_NOT_SUPPORTED = "APIVersionNotSupported"
    ENTITY_TOO_LARGE = "EntityTooLarge"
    INVALID_ARGUMENT = "InvalidArgument"
    MISSING_REQUIRED_HEADER = "MissingRequiredHeader"
    MISSING_REQUIRED_PARAMS = "MissingRequiredParams"
    ACCESS_DENIED = "AccessDenied"
    INVALID_ACCESS_KEY_ID = "InvalidAccessKeyID"
    REQUEST_TIME_TOO_SKEWED = "RequestTimeTooSkewed"
    SIGNATURE_NOT_MATCH = "SignatureNotMatch"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    RESOURCE_THROTTLED = "ResourceThrottled"
    INTERNAL_SERVER_ERROR = "InternalServerError"
    # Not in FnF's table: Alibaba Cloud's common server error for a temporary failure.
    SERVICE_UNAVAILABLE = "ServiceUnavailable"
    # Not in FnF's table: the Alibaba API gateway's code for a replayed SignatureNonce.
    SIGNATURE_NONCE_USED = "SignatureNonceUsed"
    # Action-specific.
    FLOW_NOT_EXISTS = "FlowNotExists"
    FLOW_ALREADY_EXISTS = "FlowAlreadyExists"
    EXECUTION_NOT_EXISTS = "ExecutionNotExists"
    EXECUTION_ALREADY_EXISTS = "ExecutionAlreadyExists"
    EXECUTION_ALREADY_COMPLETED = "ExecutionAlreadyCompleted"
    # Not in FnF's table: RedriveExecution's refusal (Step Functions' code for it).
    EXECUTION_NOT_REDRIVABLE = "ExecutionNotRedrivable"
    SCHEDULE_NOT_EXISTS = "ScheduleNotExists"
    SCHEDULE_ALREADY_EXISTS = "ScheduleAlreadyExists"
    TASK_ALREADY_COMPLETED = "TaskAlreadyCompleted"
    TASK_INVALID_STATE = "TaskInvalidState"
    CONCURRENT_UPDATE_ERROR = "ConcurrentUpdateError"
    PRECONDITION_FAILED = "PreconditionFailed"


STATUS_BY_CODE: Final[dict[str, int]] = {
    Code.ACTION_NOT_SUPPORTED: 400,
    Code.API_VERSION_NOT_SUPPORTED: 400,
    # FnF answers an oversized payload with 400, not 413.
    Code.ENTITY_TOO_LARGE: 400,
    Code.INVALID_ARGUMENT: 400,
    Code.MISSING_REQUIRED_HEADER: 400,
    Code.MISSING_REQUIRED_PARAMS: 400,
    Code.ACCESS_DENIED: 403,
    Code.INVALID_ACCESS_KEY_ID: 403,
    Code.REQUEST_TIME_TOO_SKEWED: 403,
    Code.SIGNATURE_NOT_MATCH: 403,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.RESOURCE_THROTTLED: 429,
    Code.INTERNAL_SERVER_ERROR: 500,
    Code.SERVICE_UNAVAILABLE: 503,
    Code.SIGNATURE_NONCE_USED: 400,
    Code.FLOW_NOT_EXISTS: 404,
    Code.FLOW_ALREADY_EXISTS: 409,
    Code.EXECUTION_NOT_EXISTS: 404,
    # StartExecution on a finished same-name execution: 400, not 409.
    Code.EXECUTION_ALREADY_EXISTS: 400,
    Code.EXECUTION_ALREADY_COMPLETED: 400,
    Code.EXECUTION_NOT_REDRIVABLE: 400,
    Code.SCHEDULE_NOT_EXISTS: 404,
    Code.SCHEDULE_ALREADY_EXISTS: 409,
    Code.TASK_ALREADY_COMPLETED: 400,
    Code.TASK_INVALID_STATE: 409,
    Code.CONCURRENT_UPDATE_ERROR: 409,
    Code.PRECONDITION_FAILED: 412,
}

_FORBIDDEN_CODES: Final = frozenset({"SignatureDoesNotMatch"})


def status_for(code: str) -> int | None:
    """FnF's HTTP status for `code`, or None when FnF does not document the code."""
    return STATUS_BY_CODE.get(code)


class FnFError(Exception):
    """An FnF error answer: `code` and `message` go into the JSON body, `status` is HTTP's.

    The status defaults to FnF's status for the code; a code FnF does not document needs an
    explicit status, so a typo in a code fails loudly in tests instead of reaching a client.
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        code = str(code)
        if code in _FORBIDDEN_CODES:
            raise ValueError(
                f"{code} is not an FnF code (the legacy SDK mis-parses it); "
                "use SignatureNotMatch (403)"
            )
        if status is None:
            status = status_for(code)
            if status is None:
                raise ValueError(f"unknown FnF error code {code!r}: pass its HTTP status")
        if not 400 <= status <= 599:
            raise ValueError(f"an error needs a 4xx or 5xx status, got {status} for {code}")
        super().__init__(f"{code}: {message}")
        self.code: str = code
        self.message: str = message
        self.status: int = status

    def __repr__(self) -> str:
        return f"FnFError({self.code!r}, {self.message!r}, status={self.status})"


def error_body(error: FnFError, request_id: str, host_id: str) -> dict[str, str]:
    """The JSON object FnF answers an error with; both SDKs read `Code`, `Message`, `RequestId`."""
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
    }


# Constructors with FnF's message templates. Each names what the client got wrong, because
# the message is all an SDK user sees.


def action_not_supported(action: str) -> FnFError:
    return FnFError(
        Code.ACTION_NOT_SUPPORTED,
        f"The requested API operation '{action}' is incorrect. Please check.",
    )


def api_version_not_supported(version: str) -> FnFError:
    return FnFError(
        Code.API_VERSION_NOT_SUPPORTED,
        f"The requested API version '{version}' is not supported yet. Please check.",
    )


def entity_too_large(max_bytes: int) -> FnFError:
    return FnFError(
        Code.ENTITY_TOO_LARGE,
        f"The payload size exceeds maximum allowed size ({max_bytes} bytes).",
    )


def invalid_argument(message: str) -> FnFError:
    return FnFError(Code.INVALID_ARGUMENT, message)


def missing_required_params(name: str) -> FnFError:
    return FnFError(Code.MISSING_REQUIRED_PARAMS, f"The HTTP query '{name}' must be specified.")


def unsupported_media_type(content_type: str) -> FnFError:
    return FnFError(
        Code.UNSUPPORTED_MEDIA_TYPE,
        f"The content type must be application/x-www-form-urlencoded, got '{content_type}'.",
    )


def access_denied() -> FnFError:
    return FnFError(Code.ACCESS_DENIED, "The resources doesn't belong to you.")


def invalid_access_key_id(access_key_id: str) -> FnFError:
    return FnFError(Code.INVALID_ACCESS_KEY_ID, f"The AccessKey ID {access_key_id} is invalid.")


def request_time_too_skewed(request_time: str, current_time: str) -> FnFError:
    return FnFError(
        Code.REQUEST_TIME_TOO_SKEWED,
        f"The difference between the request time {request_time} and the current time "
        f"{current_time} is too large.",
    )


def signature_not_match(string_to_sign: str | None = None) -> FnFError:
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your access key and signing method."
    )
    if string_to_sign is not None:
        message += f" Server string to sign is: {string_to_sign}"
    return FnFError(Code.SIGNATURE_NOT_MATCH, message)


def signature_nonce_used(nonce: str) -> FnFError:
    return FnFError(
        Code.SIGNATURE_NONCE_USED, f"Specified signature nonce was used already: {nonce}."
    )


def resource_throttled() -> FnFError:
    return FnFError(Code.RESOURCE_THROTTLED, "The request is throttled. Please try again later.")


def internal_server_error() -> FnFError:
    return FnFError(Code.INTERNAL_SERVER_ERROR, "An internal error has occurred. Please retry.")


def service_unavailable(what: str) -> FnFError:
    """Alibaba Cloud's common answer for a temporary server failure (503, "Server errors"
    table of the Alibaba Cloud API docs); `what` says which part is unreachable."""
    return FnFError(
        Code.SERVICE_UNAVAILABLE,
        f"The request has failed due to a temporary failure of the server: {what}",
    )


def flow_not_exists(flow: str) -> FnFError:
    return FnFError(Code.FLOW_NOT_EXISTS, f"Flow  {flow} does not exist.")  # sic: FnF's 2 spaces


def flow_already_exists(flow: str) -> FnFError:
    return FnFError(Code.FLOW_ALREADY_EXISTS, f"Flow {flow} already exists.")


def execution_not_exists(flow: str, execution: str) -> FnFError:
    return FnFError(
        Code.EXECUTION_NOT_EXISTS, f"Execution {execution} for flow {flow} does not exist."
    )


def execution_already_exists(flow: str, execution: str) -> FnFError:
    return FnFError(
        Code.EXECUTION_ALREADY_EXISTS, f"Execution {execution} for flow {flow} already exists."
    )


def execution_already_completed(flow: str, execution: str) -> FnFError:
    return FnFError(
        Code.EXECUTION_ALREADY_COMPLETED,
        f"Execution '{execution}' for flow '{flow}' has already completed.",
    )


def schedule_not_exists(flow: str, schedule: str) -> FnFError:
    return FnFError(
        Code.SCHEDULE_NOT_EXISTS, f"The schedule {schedule} for flow {flow} does not exist."
    )


def schedule_already_exists(flow: str, schedule: str) -> FnFError:
    return FnFError(
        Code.SCHEDULE_ALREADY_EXISTS, f"The schedule {schedule} already exists in flow {flow}."
    )


def task_already_completed(task_token: str) -> FnFError:
    return FnFError(Code.TASK_ALREADY_COMPLETED, f"Task {task_token} has already completed.")


def task_invalid_state() -> FnFError:
    return FnFError(Code.TASK_INVALID_STATE, "Task is in an invalid state, please retry.")


def concurrent_update_error() -> FnFError:
    return FnFError(Code.CONCURRENT_UPDATE_ERROR, "Update conflict, please retry.")


def precondition_failed() -> FnFError:
    return FnFError(Code.PRECONDITION_FAILED, "The resource to be modified has been changed.")
