"""How every fnf-temporal process reaches Temporal: one place for the address, TLS (a CA,
a client certificate for mTLS, a server name) and Temporal Cloud API keys.

`fnf worker`, `fnf api`, `fnf run`, `fnf task`, `fnf dev` and the benchmarks all connect through
`connect_temporal`, so a cluster that needs TLS needs it set once (`FNF_TEMPORAL_TLS*`,
`FNF_TEMPORAL_API_KEY`) and every process honours it. The settings map onto what temporalio's
`Client.connect` takes (`tls=TLSConfig(...)`, `api_key=`; Temporal's "Connect to Temporal Cloud"
guide and the SDK's `TLSConfig` reference): an API key is sent as `authorization: Bearer <key>`
and implies TLS, as Temporal Cloud requires.

Certificate files are read once, when the settings are resolved (`TemporalSecurity.from_settings`),
so a worker does not read them again per connection, and a missing or unreadable file is one line
before anything starts. A connection that fails is one line too (`TemporalUnreachable`), naming
the cause the TLS layer or the server gave in the settings' own terms (wrong CA, no client
certificate, a name not on the certificate, a refused API key, TLS against a plaintext port or
the reverse) instead of the Rust transport's nested error.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from temporalio.client import Client, PayloadLimitsConfig, TLSConfig

from translator.text_files import read_bytes
from worker.settings import Settings

CONNECT_TIMEOUT_SECONDS: Final = 10.0

MEMO_WARN_BYTES: Final = 1024 * 1024
"""temporalio warns (TMPRL1103) of every memo over 2 KiB, the server's `limit.memoSize.warn`.
fnf-temporal's memos are larger by design (a flow's record with its definition, DESIGN 1; an
execution's input up to 8 KiB for ListExecutions), so that warning came with every such
CreateFlow and StartExecution, in colour, with nothing a user could do. It now comes only for
a memo past half of the server's refusal limit (`limit.memoSize.error`, 2 MiB)."""


class ConnectionSettingsError(ValueError):
    """A TLS or API key setting that cannot be used (one line, before anything connects)."""


class TemporalUnreachable(RuntimeError):
    """Temporal could not be reached; the message is one line naming the cause. `specific`:
    the cause is one of the settings' own (TLS, credentials), not an address nobody answers."""

    def __init__(self, message: str, specific: bool = False) -> None:
        super().__init__(message)
        self.specific = specific


@dataclass(frozen=True)
class TemporalSecurity:
    """TLS and credentials of one Temporal connection, with the files' contents already read.

    `tls` off and no API key is a plaintext connection (the dev server, a cluster on a private
    network)."""

    tls: bool = False
    server_root_ca_cert: bytes | None = None
    client_cert: bytes | None = None
    client_private_key: bytes | None = field(default=None, repr=False)
    server_name: str | None = None
    api_key: str | None = field(default=None, repr=False)
    ca_source: str = ""
    """Where the CA came from, for error messages (a path, or "the system's trust store")."""

    @classmethod
    def from_settings(cls, settings: Settings) -> TemporalSecurity:
        """Resolve FNF_TEMPORAL_TLS* and FNF_TEMPORAL_API_KEY. TLS is on when asked for, or when
        a CA, client certificate, server name or API key is given (unless FNF_TEMPORAL_TLS is
        false, which only an API key may combine with: a local proxy that adds TLS itself)."""
        files = {
            "FNF_TEMPORAL_TLS_CA": settings.temporal_tls_ca,
            "FNF_TEMPORAL_TLS_CERT": settings.temporal_tls_cert,
            "FNF_TEMPORAL_TLS_KEY": settings.temporal_tls_key,
        }
        implied = [name for name, path in files.items() if path is not None]
        if settings.temporal_tls_server_name:
            implied.append("FNF_TEMPORAL_TLS_SERVER_NAME")
        if settings.temporal_tls is False and implied:
            raise ConnectionSettingsError(
                f"{implied[0]} is set but FNF_TEMPORAL_TLS is off; turn TLS on or unset it"
            )
        if (settings.temporal_tls_cert is None) != (settings.temporal_tls_key is None):
            given, missing = (
                ("FNF_TEMPORAL_TLS_CERT", "FNF_TEMPORAL_TLS_KEY")
                if settings.temporal_tls_key is None
                else ("FNF_TEMPORAL_TLS_KEY", "FNF_TEMPORAL_TLS_CERT")
            )
            raise ConnectionSettingsError(
                f"{given} is set without {missing}: a client certificate needs its private key"
            )
        api_key = settings.temporal_api_key or None
        tls = settings.temporal_tls
        if tls is None:
            tls = bool(implied) or api_key is not None
        ca = settings.temporal_tls_ca
        return cls(
            tls=tls,
            server_root_ca_cert=_pem(ca, "FNF_TEMPORAL_TLS_CA", "CERTIFICATE"),
            client_cert=_pem(settings.temporal_tls_cert, "FNF_TEMPORAL_TLS_CERT", "CERTIFICATE"),
            client_private_key=_pem(settings.temporal_tls_key, "FNF_TEMPORAL_TLS_KEY", "KEY"),
            server_name=settings.temporal_tls_server_name or None,
            api_key=api_key,
            ca_source=f"FNF_TEMPORAL_TLS_CA ({ca})" if ca else "the system's trust store",
        )

    def connect_options(self) -> dict[str, Any]:
        """The keyword arguments of temporalio's `Client.connect` for this connection."""
        options: dict[str, Any] = {}
        if self.tls:
            options["tls"] = TLSConfig(
                server_root_ca_cert=self.server_root_ca_cert,
                domain=self.server_name,
                client_cert=self.client_cert,
                client_private_key=self.client_private_key,
            )
        if self.api_key is not None:
            options["api_key"] = self.api_key
        return options

    def describe(self) -> str:
        """How this connection is secured, for a command's start-up line."""
        if not self.tls:
            return "plaintext" + (", API key" if self.api_key else "")
        parts = ["TLS"]
        if self.client_cert:
            parts.append("client certificate")
        if self.api_key:
            parts.append("API key")
        return ", ".join(parts)


PLAINTEXT: Final = TemporalSecurity()
"""An embedded dev server's connection: local, no TLS."""


def _pem(path: Path | None, setting: str, kind: str) -> bytes | None:
    """The file's bytes, or a one-line error naming the setting and the path."""
    if path is None:
        return None
    try:
        data = read_bytes(path.expanduser())
    except FileNotFoundError:
        raise ConnectionSettingsError(f"{setting}: no file {path}") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConnectionSettingsError(f"{setting}: cannot read {path}: {reason}") from None
    if b"-----BEGIN " not in data or kind.encode() not in data:
        raise ConnectionSettingsError(f"{setting}: {path} holds no PEM {kind.lower()}")
    return data


async def connect_temporal(
    address: str,
    namespace: str,
    security: TemporalSecurity = PLAINTEXT,
    *,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
    **client_options: Any,
) -> Client:
    """A client of the Temporal at `address`, secured as `security` says; TemporalUnreachable
    (one line, the cause in the settings' terms) when it cannot be reached."""
    limits = PayloadLimitsConfig(memo_warn_size=MEMO_WARN_BYTES)
    options = {"payload_limits": limits, **security.connect_options(), **client_options}
    try:
        return await asyncio.wait_for(
            Client.connect(address, namespace=namespace, **options), timeout
        )
    except TimeoutError:
        raise TemporalUnreachable(
            f"cannot reach Temporal at {address} (namespace {namespace}): no answer within "
            f"{timeout:g} s"
        ) from None
    except (RuntimeError, OSError) as failed:
        reason, specific = explain_failure(str(failed), security)
        raise TemporalUnreachable(
            f"cannot reach Temporal at {address} (namespace {namespace}): {reason}", specific
        ) from None


def explain_failure(message: str, security: TemporalSecurity) -> tuple[str, bool]:
    """The cause of a failed connect in one line, and whether it is a specific one. temporalio
    reports the Rust client's error (rustls' certificate errors, tonic's transport errors, or
    the first call's gRPC status); the patterns below are the ones a TLS endpoint in front of
    Temporal gives (tests/connection)."""
    for explain in _EXPLANATIONS:
        reason = explain(message, security)
        if reason is not None:
            return reason, True
    if "ConnectionRefused" in message:
        return "connection refused (nothing listens there)", False
    first = message.splitlines()[0] if message else "unknown error"
    return first.removeprefix("Failed client connect: "), False


def _wrong_ca(message: str, security: TemporalSecurity) -> str | None:
    if "InvalidCertificate(UnknownIssuer)" in message or "UnknownIssuer" in message:
        return (
            "the server's TLS certificate is not signed by a CA in "
            f"{security.ca_source}; set FNF_TEMPORAL_TLS_CA to the CA that signed it"
        )
    if "InvalidCertificate(Expired" in message:
        return "the server's TLS certificate has expired"
    return None


def _wrong_name(message: str, security: TemporalSecurity) -> str | None:
    if "NotValidForName" not in message:
        return None
    names = re.findall(r'DnsName\(\\?"([^"\\]+)', message)
    on_it = f" (it names {', '.join(names)})" if names else ""
    asked = f" {security.server_name}" if security.server_name else " the address's host"
    return (
        f"the server's TLS certificate is not valid for{asked}{on_it}; set "
        "FNF_TEMPORAL_TLS_SERVER_NAME to a name on the certificate"
    )


def _plaintext_server(message: str, security: TemporalSecurity) -> str | None:
    if not security.tls:
        return None
    if "InvalidContentType" in message or "CorruptMessage" in message:
        return (
            "the server does not speak TLS (a plaintext port?); unset FNF_TEMPORAL_TLS or use "
            "the cluster's TLS address"
        )
    return None


def _client_certificate(message: str, security: TemporalSecurity) -> str | None:
    """A server that verifies client certificates refuses a client without one in the TLS
    handshake (an alert) or, behind a proxy such as nginx, with HTTP 400."""
    refused = any(
        sign in message
        for sign in (
            "CertificateRequired",
            "HandshakeFailure",
            "BadCertificate",
            "UnknownCA",
            "status: 400 Bad Request",
        )
    )
    if not (security.tls and refused):
        return None
    return _without_certificate(security)


def _without_certificate(security: TemporalSecurity) -> str:
    if security.client_cert is None:
        return (
            "the server requires a client certificate (mTLS); set FNF_TEMPORAL_TLS_CERT and "
            "FNF_TEMPORAL_TLS_KEY"
        )
    return (
        "the server refused the client certificate (FNF_TEMPORAL_TLS_CERT); it must be signed "
        "by a CA the server trusts"
    )


def _closed_after_handshake(message: str, security: TemporalSecurity) -> str | None:
    """A TLS server that checks client certificates after the handshake may just close the
    connection: say what the likely cause is, as a question."""
    closed = "connection closed" in message or "ConnectionReset" in message
    if not (security.tls and closed):
        return None
    if security.client_cert is None:
        return (
            "the server closed the connection after the TLS handshake (does it require a client "
            "certificate? set FNF_TEMPORAL_TLS_CERT and FNF_TEMPORAL_TLS_KEY)"
        )
    return (
        "the server closed the connection after the TLS handshake (is the client "
        "certificate one it trusts?)"
    )


def _credentials(message: str, security: TemporalSecurity) -> str | None:
    code = re.search(r"code: (Unauthenticated|PermissionDenied)", message)
    if code is None:
        return None
    said = re.search(r'message: "([^"]*)"', message)
    detail = f" ({code.group(1)}: {said.group(1)})" if said else f" ({code.group(1)})"
    if security.api_key is None:
        return f"the server requires credentials{detail}; set FNF_TEMPORAL_API_KEY"
    return f"the API key was refused{detail}; check FNF_TEMPORAL_API_KEY"


def _tls_server(message: str, security: TemporalSecurity) -> str | None:
    """Plaintext HTTP/2 to a TLS port: the server closes the connection at the first bytes."""
    if security.tls:
        return None
    closed = ("connection closed", "invalid compression flag", "h2 protocol error", "GoAway")
    if any(sign in message for sign in closed):
        return (
            "the server closed the connection (does it expect TLS?); set FNF_TEMPORAL_TLS=true, "
            "with FNF_TEMPORAL_TLS_CA for a private CA"
        )
    return None


_EXPLANATIONS: Final = (
    _wrong_ca,
    _wrong_name,
    _plaintext_server,
    _client_certificate,
    _closed_after_handshake,
    _credentials,
    _tls_server,
)
