"""The FnF error codes the services raise; the app answers them as FnF does (JSON, status by
code, see api/protocol/errors.py)."""

from __future__ import annotations

from api.protocol.errors import FnFError, status_for


class ServiceError(FnFError):
    """An FnF error raised below the wire layer. Codes FnF's table lacks (the newer API's
    alias errors) get the status their name implies."""

    def __init__(self, code: str, message: str) -> None:
        status = status_for(code)
        if status is None:
            status = 404 if code.endswith("NotExists") else 409 if "Already" in code else 400
        super().__init__(code, message, status)


def flow_not_exists(flow: str) -> ServiceError:
    return ServiceError("FlowNotExists", f"Flow  {flow} does not exist.")  # FnF's two spaces


def execution_not_exists(flow: str, execution: str) -> ServiceError:
    return ServiceError(
        "ExecutionNotExists", f"Execution {execution} for flow {flow} does not exist."
    )


def execution_already_exists(flow: str, execution: str) -> ServiceError:
    return ServiceError(
        "ExecutionAlreadyExists", f"Execution {execution} for flow {flow} already exists."
    )


def execution_already_completed(flow: str, execution: str) -> ServiceError:
    return ServiceError(
        "ExecutionAlreadyCompleted",
        f"Execution '{execution}' for flow '{flow}' has already completed.",
    )


def execution_not_redrivable(flow: str, execution: str, why: str) -> ServiceError:
    """RedriveExecution refused: the execution runs, succeeded, has no redrive point, or is
    over FNF_REDRIVE_MAX_COUNT / FNF_REDRIVE_MAX_AGE (Step Functions' ExecutionNotRedrivable)."""
    return ServiceError(
        "ExecutionNotRedrivable",
        f"Execution '{execution}' for flow '{flow}' cannot be redriven: it {why}.",
    )


def invalid_argument(message: str) -> ServiceError:
    return ServiceError("InvalidArgument", message)
