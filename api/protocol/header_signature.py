"""The signature of the JSON form (`POST /actions/<Action>`) and of any other non-RPC route.

The SDKs sign RPC calls by putting signing parameters into the query string (see
`signature`); a JSON body has no such place, so the JSON form carries them in three headers,
in the shape MNS already uses (`Authorization: MNS <id>:<signature>`):

    Authorization:   FNF-HMAC-SHA256 <AccessKeyId>:<Signature>
    x-fnf-timestamp: 2026-11-29T19:40:00Z            (UTC, the RPC Timestamp format)
    x-fnf-nonce:     <unique per request, 1-128 printable ASCII characters>

    StringToSign = "FNF-HMAC-SHA256" LF METHOD LF resource LF timestamp LF nonce LF body
    Signature    = lower-case hex of HMAC-SHA256(key=AccessKeySecret, msg=StringToSign)

`resource` is the request target as sent (raw path, plus `?` and the raw query when there is
one), `body` the exact request bytes. The shape follows Alibaba's V3 signature
(ACS3-HMAC-SHA256: a UTC `x-acs-date`, an `x-acs-signature-nonce`, lower-case hex of
HMAC-SHA256, 15 minutes of allowed skew; "V3 request structure and signature" in the Alibaba
Cloud SDK docs) without its canonical-header sorting and body pre-hash, so that one `printf`
piped into `openssl dgst -sha256 -hmac` signs a curl call.
Timestamp window and nonce replay rules are the RPC signature's: 15 minutes either way, a
nonce accepted once per AccessKey while its request is inside the window.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from api.protocol.access_keys import AccessKeys
from api.protocol.errors import (
    Code,
    FnFError,
    invalid_access_key_id,
    invalid_argument,
    request_time_too_skewed,
    signature_nonce_used,
    signature_not_match,
)
from api.protocol.nonces import NonceCache, UsedNonce
from api.protocol.signature import DEFAULT_MAX_SKEW, TIMESTAMP_FORMAT, parse_timestamp

ALGORITHM: Final = "FNF-HMAC-SHA256"
AUTHORIZATION: Final = "authorization"
TIMESTAMP_HEADER: Final = "x-fnf-timestamp"
NONCE_HEADER: Final = "x-fnf-nonce"
MAX_NONCE_LENGTH: Final = 128
MAX_ECHO: Final = 200
"""How much of a client's own header value an error message quotes back."""

_NONCE: Final = re.compile(rf"[\x21-\x7e]{{1,{MAX_NONCE_LENGTH}}}")
_SIGNATURE: Final = re.compile(r"[0-9a-fA-F]{64}")


def string_to_sign(method: str, resource: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    head = "\n".join((ALGORITHM, method.upper(), resource, timestamp, nonce, ""))
    return head.encode("utf-8") + body


def sign(secret: str, method: str, resource: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the StringToSign, keyed with the AccessKey secret."""
    text = string_to_sign(method, resource, timestamp, nonce, body)
    return hmac.new(secret.encode("utf-8"), text, hashlib.sha256).hexdigest()


def signed_headers(
    access_key_id: str,
    secret: str,
    method: str,
    resource: str,
    body: bytes,
    *,
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The three headers that sign one request: what `fnf call` and the tests send."""
    timestamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    nonce = nonce or secrets.token_hex(16)
    signature = sign(secret, method, resource, timestamp, nonce, body)
    return {
        "Authorization": f"{ALGORITHM} {access_key_id}:{signature}",
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
    }


@dataclass(frozen=True)
class Credentials:
    """What the three headers claim, checked for shape but not yet for truth."""

    access_key_id: str
    signature: str
    timestamp: str
    nonce: str


def missing_required_header(name: str) -> FnFError:
    return FnFError(Code.MISSING_REQUIRED_HEADER, f"The HTTP header '{name}' must be specified.")


def read_credentials(headers: Mapping[str, str]) -> Credentials:
    """The claimed credentials; FnFError (400) when a header is absent or malformed.

    `headers` must have lower-case names. Values are quoted back truncated, so an oversized
    header cannot blow up the error body.
    """
    authorization = headers.get(AUTHORIZATION, "").strip()
    if not authorization:
        raise missing_required_header("Authorization")
    scheme, _, credential = authorization.partition(" ")
    key_id, colon, signature = credential.strip().rpartition(":")
    if scheme != ALGORITHM or not colon or not key_id or not _SIGNATURE.fullmatch(signature):
        raise invalid_argument(
            f"The Authorization header '{authorization[:MAX_ECHO]}' is not "
            f"'{ALGORITHM} <AccessKeyId>:<64 hex digits of HMAC-SHA256>'."
        )
    timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not timestamp:
        raise missing_required_header(TIMESTAMP_HEADER)
    nonce = headers.get(NONCE_HEADER, "").strip()
    if not nonce:
        raise missing_required_header(NONCE_HEADER)
    if not _NONCE.fullmatch(nonce):
        raise invalid_argument(
            f"The {NONCE_HEADER} header must be 1-{MAX_NONCE_LENGTH} printable ASCII "
            "characters without spaces."
        )
    return Credentials(key_id, signature.lower(), timestamp[:MAX_ECHO], nonce)


@dataclass
class HeaderSignatureChecker:
    """Verifies the JSON form's headers against the facade's keys and shared nonce cache."""

    keys: AccessKeys
    nonces: NonceCache
    max_skew: timedelta = DEFAULT_MAX_SKEW

    def verify(
        self,
        method: str,
        resource: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
    ) -> str:
        """The AccessKey ID that signed the request, or FnFError with FnF's code and status.

        Checked in the RPC signature's order: key, timestamp window, signature, then the
        nonce, recorded only once the signature is good so forgeries cannot burn nonces.
        """
        now = datetime.now(UTC) if now is None else now
        claimed = read_credentials(headers)
        secret = self.keys.secret_for(claimed.access_key_id)
        if secret is None:
            raise invalid_access_key_id(claimed.access_key_id[:MAX_ECHO])
        timestamp = parse_timestamp(claimed.timestamp)
        if abs(now - timestamp) > self.max_skew:
            raise request_time_too_skewed(claimed.timestamp, now.strftime(TIMESTAMP_FORMAT))
        expected = sign(secret, method, resource, claimed.timestamp, claimed.nonce, body)
        if not hmac.compare_digest(expected, claimed.signature):
            head = string_to_sign(method, resource, claimed.timestamp, claimed.nonce, b"")
            raise signature_not_match(
                f"{head.decode('utf-8', 'replace')!r} followed by the {len(body)}-byte body"
            )
        if not self.nonces.remember(
            claimed.access_key_id, claimed.nonce, expires=timestamp + self.max_skew, now=now
        ):
            raise signature_nonce_used(claimed.nonce)
        return claimed.access_key_id

    def accept(
        self,
        method: str,
        resource: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
    ) -> UsedNonce:
        """`verify`, then the nonce the request used, for the durable record."""
        access_key_id = self.verify(method, resource, headers, body, now)
        claimed = read_credentials(headers)
        expires = parse_timestamp(claimed.timestamp) + self.max_skew
        return UsedNonce(access_key_id, claimed.nonce, expires)


__all__ = [
    "ALGORITHM",
    "NONCE_HEADER",
    "TIMESTAMP_HEADER",
    "Credentials",
    "HeaderSignatureChecker",
    "read_credentials",
    "sign",
    "signed_headers",
    "string_to_sign",
]
