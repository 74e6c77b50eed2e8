"""Typed requests of FnF's actions: one pydantic model per action (models), the parameter
types both wire forms share (fields), and refusals as FnF's error codes (errors).

`parse_request` is the one entrance: the RPC form and the JSON form both call it, so a
parameter is checked the same however it came, before any action handler runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from api.protocol.errors import FnFError, action_not_supported, invalid_argument
from api.requests.errors import fnf_error
from api.requests.fields import check_json_value, check_text, json_kind
from api.requests.models import REQUEST_MODELS, ActionRequest


def parse_request(action: str, raw: Mapping[str, Any]) -> dict[str, str]:
    """Validate `raw` (RPC: all text; JSON form: JSON values) against `action`'s model.

    Returns the parameters as canonical text, the form the action handlers read: integers in
    decimal, flags as `true`/`false`, JSON documents as JSON text. Raises FnFError
    (ActionNotSupported, MissingRequiredParams, InvalidArgument)."""
    model = REQUEST_MODELS.get(action)
    if model is None:
        raise action_not_supported(action)
    try:
        request = model.model_validate(dict(raw))
    except ValidationError as error:
        raise fnf_error(error) from None
    except (RecursionError, ValueError, TypeError) as error:  # pragma: no cover - defensive
        raise invalid_argument(f"The request of {action} is malformed: {error}") from None
    return as_params(request)


def as_params(request: ActionRequest) -> dict[str, str]:
    """The validated request as text parameters; only the parameters the caller gave."""
    params = {
        name: _canonical(getattr(request, name), name)
        for name in request.model_fields_set
        if name in type(request).model_fields
    }
    for name, value in (request.model_extra or {}).items():
        params[name] = _canonical(value, name)
    return params


def _canonical(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return check_text_param(value, name)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        try:
            check_json_value(value, name)
        except ValueError as error:
            raise invalid_argument(str(error)) from None
        return json.dumps(value, ensure_ascii=False)
    raise invalid_argument(f"{name} must not be a JSON {json_kind(value)}.")


def check_text_param(value: str, name: str) -> str:
    try:
        return check_text(value, name)
    except ValueError as error:
        raise invalid_argument(str(error)) from None


__all__ = ["REQUEST_MODELS", "ActionRequest", "FnFError", "as_params", "parse_request"]
