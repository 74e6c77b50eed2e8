"""FnF's request signature (Alibaba RPC signature v1), verified the way FnF verifies it.

Both Python SDKs sign every FnF call with HMAC-SHA1 (the tea SDK too: its FnF client pins
the RPC "v2" code path, not ACS3-HMAC-SHA256):

    pct(s)        = RFC 3986 percent-encoding of UTF-8 `s`, leaving only A-Z a-z 0-9 - _ . ~
    canonicalized = "&".join(pct(k) + "=" + pct(v) for k, v in sorted(params))
    StringToSign  = METHOD + "&" + pct("/") + "&" + pct(canonicalized)
    Signature     = base64(HMAC-SHA1(key=AccessKeySecret + "&", msg=StringToSign))

`params` is every query and form parameter except `Signature`, decoded (so form `+` is a
space) and including blank values: the legacy SDK signs an empty `SignatureType=`. The Host
header and the path are not signed, which is what lets a facade on 127.0.0.1 accept requests
signed for `cn-hangzhou.fnf.aliyuncs.com`.

Beyond the signature itself, a request is refused when its `Timestamp` (UTC,
`YYYY-MM-DDTHH:MM:SSZ`) is more than `max_skew` (15 minutes, as Alibaba allows) away from
the server's clock, and when its `SignatureNonce` was already used within that window, so a
captured request cannot be replayed. Verification can be switched off with `allow_unsigned`
for local use; it is on unless explicitly disabled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote

from api.protocol.access_keys import AccessKeys
from api.protocol.errors import (
    invalid_access_key_id,
    invalid_argument,
    missing_required_params,
    request_time_too_skewed,
    signature_nonce_used,
    signature_not_match,
)
from api.protocol.nonces import NonceCache, UsedNonce
from api.protocol.rpc import RpcCall

DEFAULT_MAX_SKEW: Final = timedelta(minutes=15)
SIGNATURE_METHOD: Final = "HMAC-SHA1"
SIGNATURE_VERSION: Final = "1.0"
ENV_ALLOW_UNSIGNED: Final = "FNF_ALLOW_UNSIGNED"
TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"

_TIMESTAMP: Final = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?Z")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"", "0", "false", "no", "off"})


def pct(value: str) -> str:
    """RFC 3986 percent-encoding (UTF-8): everything but A-Z a-z 0-9 - _ . ~ is escaped."""
    return quote(value, safe="-_.~")


def canonicalize(signed: Mapping[str, str]) -> str:
    return "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(signed.items()))


def string_to_sign(method: str, signed: Mapping[str, str]) -> str:
    return f"{method.upper()}&{pct('/')}&{pct(canonicalize(signed))}"


def sign(text: str, secret: str) -> str:
    """base64(HMAC-SHA1(secret + "&", text)); the "&" is where an STS token secret would go."""
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_timestamp(raw: str) -> datetime:
    """`YYYY-MM-DDTHH:MM:SSZ` (fractional seconds tolerated) as an aware UTC datetime."""
    match = _TIMESTAMP.fullmatch(raw)
    if match is not None:
        try:
            return datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    raise invalid_argument(
        f"Timestamp '{raw}' is invalid: use UTC in the form YYYY-MM-DDThh:mm:ssZ."
    )


def verify(
    call: RpcCall,
    method: str,
    keys: AccessKeys,
    now: datetime,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    *,
    nonces: NonceCache | None = None,
    allow_unsigned: bool = False,
) -> str | None:
    """Check `call`'s signature; return the AccessKey ID it was signed with.

    Returns None without checking anything when `allow_unsigned` is set. Otherwise raises
    FnFError: MissingRequiredParams for an absent Signature, AccessKeyId, Timestamp or
    SignatureNonce; InvalidArgument for an unsupported signing method or a malformed
    Timestamp; InvalidAccessKeyID (403) for an unknown key; RequestTimeTooSkewed (403) when
    the Timestamp is further than `max_skew` from `now`; SignatureNotMatch (403); and
    SignatureNonceUsed (400) for a nonce seen before, when a `nonces` cache is given. The
    nonce is recorded only once the signature is known good, so forged requests cannot
    burn nonces.
    """
    if allow_unsigned:
        return None
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    signed = call.signed
    if call.signature is None:
        raise missing_required_params("Signature")
    if call.access_key_id is None:
        raise missing_required_params("AccessKeyId")
    signature_method = signed.get("SignatureMethod", SIGNATURE_METHOD)
    if signature_method != SIGNATURE_METHOD:
        raise invalid_argument(
            f"SignatureMethod '{signature_method}' is not supported; use {SIGNATURE_METHOD}."
        )
    signature_version = signed.get("SignatureVersion", SIGNATURE_VERSION)
    if signature_version != SIGNATURE_VERSION:
        raise invalid_argument(
            f"SignatureVersion '{signature_version}' is not supported; use {SIGNATURE_VERSION}."
        )

    secret = keys.secret_for(call.access_key_id)
    if secret is None:
        raise invalid_access_key_id(call.access_key_id)

    raw_timestamp = signed.get("Timestamp", "")
    if raw_timestamp == "":
        raise missing_required_params("Timestamp")
    timestamp = parse_timestamp(raw_timestamp)
    if abs(now - timestamp) > max_skew:
        raise request_time_too_skewed(raw_timestamp, now.astimezone(UTC).strftime(TIMESTAMP_FORMAT))
    nonce = signed.get("SignatureNonce", "")
    if nonce == "":
        raise missing_required_params("SignatureNonce")

    expected_input = string_to_sign(method, signed)
    expected = sign(expected_input, secret)
    if not hmac.compare_digest(expected.encode(), call.signature.encode()):
        raise signature_not_match(expected_input)

    if nonces is not None and not nonces.remember(
        call.access_key_id, nonce, expires=timestamp + max_skew, now=now
    ):
        raise signature_nonce_used(nonce)
    return call.access_key_id


def allow_unsigned_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """FNF_ALLOW_UNSIGNED: 1/true/yes/on disables verification; unset, 0/false/no/off keep it."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_ALLOW_UNSIGNED, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{ENV_ALLOW_UNSIGNED} must be true or false, got {raw!r}")


@dataclass
class SignatureChecker:
    """The verification settings of one facade: keys, skew, nonce cache, and the opt-out."""

    keys: AccessKeys
    allow_unsigned: bool = False
    max_skew: timedelta = DEFAULT_MAX_SKEW
    nonces: NonceCache = field(default_factory=NonceCache)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SignatureChecker:
        """Keys from FNF_ACCESS_KEYS / FNF_ACCESS_KEYS_FILE, opt-out from FNF_ALLOW_UNSIGNED."""
        return cls(
            keys=AccessKeys.from_env(environ),
            allow_unsigned=allow_unsigned_from_env(environ),
        )

    def verify(self, call: RpcCall, method: str, now: datetime | None = None) -> str | None:
        return verify(
            call,
            method,
            self.keys,
            datetime.now(UTC) if now is None else now,
            self.max_skew,
            nonces=self.nonces,
            allow_unsigned=self.allow_unsigned,
        )

    def accept(self, call: RpcCall, method: str, now: datetime | None = None) -> UsedNonce | None:
        """`verify`, then the nonce the request used, for the durable record (None unsigned)."""
        now = datetime.now(UTC) if now is None else now
        access_key_id = self.verify(call, method, now)
        if access_key_id is None:
            return None
        timestamp = parse_timestamp(call.signed["Timestamp"])
        return UsedNonce(access_key_id, call.signed["SignatureNonce"], timestamp + self.max_skew)


__all__ = [
    "DEFAULT_MAX_SKEW",
    "AccessKeys",
    "NonceCache",
    "SignatureChecker",
    "allow_unsigned_from_env",
    "canonicalize",
    "parse_timestamp",
    "pct",
    "sign",
    "string_to_sign",
    "verify",
]
