"""NextToken for the lists Temporal pages (ListExecutions, ListFlows, ListSchedules).

Temporal's page token is opaque bytes; the API hands it out as URL-safe base64 text and takes it
back the same way. A token that is not such text is the caller's mistake, so it is answered with
InvalidArgument rather than a server error (one that decodes but that Temporal refuses is
answered the same way where the list is fetched).
"""

from __future__ import annotations

import base64
import binascii

from api.services.failures import invalid_argument


def encode_page_token(token: bytes | None) -> str | None:
    return base64.urlsafe_b64encode(token).decode() if token else None


def decode_page_token(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_argument(f"NextToken '{text}' is not valid") from None
