"""MNS request signatures, verified with the very code the project's MNS client signs with.

    Authorization: MNS <AccessKeyId>:base64(HMAC-SHA1(AccessKeySecret, StringToSign))
    StringToSign = METHOD\\n content-md5\\n content-type\\n date\\n x-mns-* headers, resource

The resource is the request target exactly as sent (`/queues/q/messages?waitseconds=2`), so it
is taken from the ASGI scope's raw path and raw query string: decoding and re-encoding could
change a byte and break a valid signature. The key table is the FnF API's (`AccessKeys`): one
pair signs both protocols, as on Alibaba Cloud.

Besides the signature, a request is refused when its Date is more than 15 minutes away from
the server's clock (MNS's TimeExpired) and when a `content-md5` does not match the body.
Verification is skipped entirely with `allow_unsigned`, like the FnF side's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

from api.mns.wire import MnsApiError
from api.protocol.access_keys import AccessKeys
from worker.connectors.mns import sign, string_to_sign

MAX_SKEW: Final = timedelta(minutes=15)
SCHEME: Final = "MNS "


def canonical_resource(raw_path: bytes, query_string: bytes) -> str:
    """The request URI as the client sent it: raw path, and `?` + raw query if any."""
    path = raw_path.decode("latin-1")
    return f"{path}?{query_string.decode('latin-1')}" if query_string else path


@dataclass(frozen=True)
class MnsAuthenticator:
    keys: AccessKeys
    allow_unsigned: bool = False
    max_skew: timedelta = MAX_SKEW

    def verify(
        self,
        method: str,
        headers: Mapping[str, str],
        resource: str,
        body: bytes,
        now: datetime | None = None,
    ) -> str | None:
        """The AccessKey ID the request was signed with; None when unsigned use is allowed.

        `headers` must have lower-case names. Raises MnsApiError with MNS's codes.
        """
        if self.allow_unsigned:
            return None
        authorization = headers.get("authorization", "")
        key_id, colon, signature = authorization.removeprefix(SCHEME).partition(":")
        if not authorization.startswith(SCHEME) or not colon or not key_id or not signature:
            raise MnsApiError(
                400,
                "InvalidAuthorizationHeader",
                "The Authorization header must be 'MNS <AccessKeyId>:<Signature>'.",
            )
        secret = self.keys.secret_for(key_id)
        if secret is None:
            raise MnsApiError(
                403, "InvalidAccessKeyId", f"The access Id you provided is not exist: {key_id}."
            )
        date = headers.get("date", "")
        if not date:
            raise MnsApiError(400, "MissingDateHeader", "The Date header is required.")
        self._check_date(date, datetime.now(UTC) if now is None else now)
        md5 = headers.get("content-md5", "")
        content_type = headers.get("content-type", "")
        expected = sign(secret, method, md5, content_type, date, dict(headers), resource)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            text = string_to_sign(method, md5, content_type, date, dict(headers), resource)
            raise MnsApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                f"provided. Check your key and signing method. StringToSign: {text!r}",
            )
        if md5 and not digest_matches(md5, body):
            raise MnsApiError(400, "InvalidDegist", "The content-md5 does not match the body.")
        return key_id

    def _check_date(self, date: str, now: datetime) -> None:
        try:
            sent = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise MnsApiError(
                400, "InvalidArgument", f"The Date header {date!r} is not an RFC 1123 date."
            ) from None
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        if abs(now - sent) > self.max_skew:
            raise MnsApiError(408, "TimeExpired", "The http request you sent is expired.")


def digest_matches(header: str, body: bytes) -> bool:
    """The SDK sends base64 of the HEX digest; RFC 1864's base64 of the raw digest is accepted
    too, since other clients follow the RFC."""
    digest = hashlib.md5(body)
    accepted = (
        base64.b64encode(digest.hexdigest().encode("ascii")).decode("ascii"),
        base64.b64encode(digest.digest()).decode("ascii"),
    )
    return header.strip() in accepted
