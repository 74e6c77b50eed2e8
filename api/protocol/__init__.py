"""The FnF RPC wire format (API 2019-03-15), independent of what any action does.

One module per concern, so each can be checked against what the SDKs actually send:

* `rpc`: merge query string and form body into an `RpcCall`, capped in size;
  `params`: typed readers for the action's string parameters;
* `signature` (+ `access_keys`, `nonces`): RPC signature v1, timestamp skew, nonce replay;
* `errors`: FnF's codes with their HTTP statuses; `responses`: the JSON answers;
* `absolute_form`: accept proxy-style request targets (legacy SDK through HTTP_PROXY).
"""

from api.protocol.absolute_form import AbsoluteFormMiddleware
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import Code, FnFError, error_body, status_for
from api.protocol.nonces import NonceCache
from api.protocol.params import (
    json_object_param,
    optional_bool,
    optional_int,
    optional_name,
    optional_str,
    required_name,
    required_str,
    validate_name,
)
from api.protocol.responses import error_response, host_id, new_request_id, ok
from api.protocol.rpc import API_VERSION, DEFAULT_MAX_REQUEST_BYTES, RpcCall, read_rpc_params
from api.protocol.signature import SignatureChecker, verify

__all__ = [
    "API_VERSION",
    "DEFAULT_MAX_REQUEST_BYTES",
    "AbsoluteFormMiddleware",
    "AccessKeys",
    "Code",
    "FnFError",
    "NonceCache",
    "RpcCall",
    "SignatureChecker",
    "error_body",
    "error_response",
    "host_id",
    "json_object_param",
    "new_request_id",
    "ok",
    "optional_bool",
    "optional_int",
    "optional_name",
    "optional_str",
    "read_rpc_params",
    "required_name",
    "required_str",
    "status_for",
    "validate_name",
    "verify",
]
