"""The console's login session: a signed cookie, and the CSRF token that goes with it.

The console is under the API's one authentication policy (`api.auth_policy`): a person proves
they hold an AccessKey pair once, on the login page, and the browser then carries a cookie
signed with that pair's secret, so no server-side state is needed, every `fnf api` process
accepts the same cookie, and removing the key from FNF_ACCESS_KEYS ends its sessions.

    cookie = base64url(access_key_id) "." expires "." nonce "." hex(HMAC-SHA256(secret, ...))

POST forms carry a token derived from the same session (HMAC with a different label), which
a page of another site cannot read; the cookie is also SameSite=Strict (RFC 6265bis §8.8), so
the browser does not send it with another site's request at all. In the local-only mode
(FNF_ALLOW_UNSIGNED=true) there is no login; the token is then derived from a secret this
process made at start.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final

from api.protocol.access_keys import AccessKeys

COOKIE: Final = "fnf_console"
LOGIN_COOKIE: Final = "fnf_console_login"
"""Double-submit token of the login form (there is no session yet to derive one from)."""
LIFETIME_SECONDS: Final = 12 * 3600
LOCAL_USER: Final = "(local mode)"


@dataclass(frozen=True)
class Session:
    access_key_id: str
    expires: int
    csrf: str


def _mac(secret: str, label: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"{label}\n{payload}".encode(), hashlib.sha256).hexdigest()


class ConsoleSessions:
    """Issues and checks console cookies against the API's AccessKey table."""

    def __init__(self, keys: AccessKeys) -> None:
        self.keys = keys
        self.local_secret = secrets.token_hex(32)

    def login(self, access_key_id: str, secret: str, now: float | None = None) -> str | None:
        """The cookie value for a correct pair, else None (the same answer for an unknown ID
        and a wrong secret, compared in constant time)."""
        known = self.keys.secret_for(access_key_id)
        expected = known if known is not None else secrets.token_hex(16)
        if not hmac.compare_digest(expected.encode(), secret.encode()) or known is None:
            return None
        expires = int(now if now is not None else time.time()) + LIFETIME_SECONDS
        encoded = base64.urlsafe_b64encode(access_key_id.encode()).decode().rstrip("=")
        payload = f"{encoded}.{expires}.{secrets.token_hex(8)}"
        return f"{payload}.{_mac(known, 'fnf-console-session', payload)}"

    def verify(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or cookie.count(".") != 3:
            return None
        payload, signature = cookie.rsplit(".", 1)
        encoded, expires_text, _nonce = payload.split(".")
        try:
            access_key_id = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            expires = int(expires_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        secret = self.keys.secret_for(access_key_id)
        if secret is None or expires < (now if now is not None else time.time()):
            return None
        if not hmac.compare_digest(_mac(secret, "fnf-console-session", payload), signature):
            return None
        return Session(access_key_id, expires, _mac(secret, "fnf-console-csrf", payload))

    def local(self) -> Session:
        """The session of the local-only mode: no login, a per-process CSRF token."""
        return Session(LOCAL_USER, 0, _mac(self.local_secret, "fnf-console-csrf", "local"))

    def login_token(self) -> str:
        return secrets.token_hex(16)


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
