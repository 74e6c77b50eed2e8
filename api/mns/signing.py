"""Signed HTTP pushes: what lets a subscriber tell the facade's pushes from anyone else's POST.

MNS signs every push to an HTTP endpoint (MNS docs, "Verify HTTP push message signatures"):

    Authorization           base64(RSA-SHA1(private key, StringToSign)), PKCS #1 v1.5
                            (`sha1WithRSAEncryption`, RFC 3447), no `MNS id:` prefix
    x-mns-signing-cert-url  base64 of the URL of the X.509 certificate holding the public key
    StringToSign            METHOD \\n Content-MD5 \\n Content-Type \\n Date \\n
                            x-mns-* headers (lower-case names, sorted, `name:value\\n` each)
                            the request's path and query as sent

which is the string MNS's own request signatures use (`worker.connectors.mns.string_to_sign`),
signed with a key pair instead of an AccessKey secret. The subscriber fetches the certificate,
takes its public key and checks the signature; it should also check that the Date is recent.

Real MNS serves its certificate from Alibaba's OSS; the facade makes its own key pair (RSA
2048, a self-signed certificate), once per deployment: the first API process that needs it
proposes one to the deployment's FnFMnsRegistry workflow, which keeps the first proposal for
good (Temporal is the only store, DESIGN 1), so every process and restart signs with the same
key. The private key goes there sealed with the deployment's sealing key (`api.mns.sealing`),
bound to its certificate's fingerprint, so Temporal's history, Web UI and Queries never show
it. A key an older version kept in clear is rotated on first use: the new key is sealed, the
old certificate is no longer served (its key was readable, so pushes it signs must stop
verifying). The certificate is served, without authentication (it holds no secret), at
`/mns/certificates/<fingerprint>.pem` of the API; the fingerprint (SHA-256 of the certificate)
in the path lets a subscriber pin it.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from typing import Final

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from api.mns.registry import Registry
from api.mns.registry_entity import SigningKeyRecord, SigningKeyReplacement
from api.mns.sealing import SealingError, SealingKey
from worker.connectors.mns import content_md5, string_to_sign

CERTIFICATE_ROOT: Final = "/mns/certificates/"
"""Where the API serves its push certificate (public: see `api.auth_policy`)."""
CERT_URL_HEADER: Final = "x-mns-signing-cert-url"
KEY_BITS: Final = 2048
CERTIFICATE_LIFETIME: Final = timedelta(days=3650)
SUBJECT: Final = "fnf-temporal MNS push signing"
SEALED_WHAT: Final = "MNS push signing key"
ROTATION_ROUNDS: Final = 3
ENV_REPLACE: Final = "FNF_MNS_REPLACE_SIGNING_KEY"
REPLACE_HINT: Final = (
    f" (if the deployment's sealing key is lost, start one `fnf api` with {ENV_REPLACE}=true: "
    "it makes a new push signing key, whose certificate subscribers fetch anew)"
)


@dataclass(frozen=True)
class SigningKey:
    """A loaded key pair: signs pushes, and names its certificate by fingerprint."""

    private_key: rsa.RSAPrivateKey
    certificate_pem: str
    fingerprint: str
    """SHA-256 of the certificate's DER bytes, hex."""

    @classmethod
    def from_record(cls, record: SigningKeyRecord, sealing: SealingKey) -> SigningKey:
        """The record's key pair, its private key unsealed; SealingError (one line, no key
        material) when it cannot be opened or does not match its certificate."""
        try:
            certificate = x509.load_pem_x509_certificate(record.certificate_pem.encode())
        except ValueError:
            raise SealingError(f"the {SEALED_WHAT}'s certificate is not PEM") from None
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        if record.in_clear:
            pem = record.private_key_pem.encode()
        else:
            pem = sealing.open(record.sealed_private_key, SEALED_WHAT, fingerprint)
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise SealingError(f"the {SEALED_WHAT} is not a PEM private key") from None
        public = certificate.public_key()
        if not isinstance(key, rsa.RSAPrivateKey) or not _same_key(key, public):
            raise SealingError(f"the {SEALED_WHAT} is not the RSA key of its certificate")
        return cls(key, record.certificate_pem, fingerprint)

    def certificate_url(self, api_base_url: str) -> str:
        return f"{api_base_url.rstrip('/')}{CERTIFICATE_ROOT}{self.fingerprint}.pem"

    def sign(self, text: str) -> str:
        """base64 of the RSA-SHA1 PKCS #1 v1.5 signature of `text` (UTF-8)."""
        signature = self.private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return base64.b64encode(signature).decode("ascii")


def _same_key(key: rsa.RSAPrivateKey, public: object) -> bool:
    return (
        isinstance(public, rsa.RSAPublicKey)
        and key.public_key().public_numbers() == public.public_numbers()
    )


def new_signing_key(sealing: SealingKey) -> SigningKeyRecord:
    """A fresh RSA key and a self-signed certificate for it (from the OS random source), the
    key sealed for the registry."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    return SigningKeyRecord(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        sealed_private_key=sealing.seal(private_pem, SEALED_WHAT, fingerprint),
    )


class SigningKeys:
    """The deployment's push signing key, read from (or first proposed to) its registry, then
    kept in memory (unsealed with `sealing`, the deployment's sealing key)."""

    def __init__(
        self, registry: Registry, sealing: SealingKey, *, replace_unopenable: bool = False
    ) -> None:
        self._registry = registry
        self._sealing = sealing
        self._replace_unopenable = replace_unopenable
        self._key: SigningKey | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> SigningKey:
        if self._key is None:
            async with self._lock:
                if self._key is None:
                    self._key = await self._opened(await self._kept_sealed())
        return self._key

    async def _opened(self, record: SigningKeyRecord) -> SigningKey:
        """The record's key; one that cannot be opened (a lost or other sealing key, a damaged
        record) is a SealingError, or, with `replace_unopenable`, is replaced by a new key."""
        try:
            return SigningKey.from_record(record, self._sealing)
        except SealingError as error:
            if not self._replace_unopenable:
                raise SealingError(f"{error}{REPLACE_HINT}") from None
        proposal = await asyncio.to_thread(new_signing_key, self._sealing)
        replacement = SigningKeyReplacement(record.certificate_pem, proposal, unopenable=True)
        return SigningKey.from_record(
            await self._registry.replace_signing_key(replacement), self._sealing
        )

    async def check(self) -> None:
        """At start-up: SealingError when the registry keeps a key this process cannot open
        (another sealing key); a key an older version kept in clear is replaced now rather than
        at the first push. Proposes nothing to a registry without a key."""
        record = await self._registry.signing_key()
        if record is not None:
            await self.current()

    async def _kept_sealed(self) -> SigningKeyRecord:
        """The registry's record, after proposing one (none yet) or replacing a clear one."""
        record = await self._registry.signing_key()
        for _ in range(ROTATION_ROUNDS):
            if record is not None and not record.in_clear:
                return record
            proposal = await asyncio.to_thread(new_signing_key, self._sealing)
            if record is None:
                record = await self._registry.adopt_signing_key(proposal)
            else:
                replacement = SigningKeyReplacement(record.certificate_pem, proposal)
                record = await self._registry.replace_signing_key(replacement)
        if record is None or record.in_clear:
            raise SealingError(f"the registry keeps giving back an unsealed {SEALED_WHAT}")
        return record


def signed_push_headers(
    key: SigningKey,
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    api_base_url: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """`headers` (lower-case names, with content-type) plus Date, Content-MD5, the certificate
    URL and the Authorization that signs them, for a POST of `body` to `endpoint`."""
    signed = {
        **headers,
        "date": formatdate((now or datetime.now(UTC)).timestamp(), usegmt=True),
        "content-md5": content_md5(body),
        CERT_URL_HEADER: base64.b64encode(key.certificate_url(api_base_url).encode()).decode(),
    }
    text = string_to_sign(
        "POST",
        signed["content-md5"],
        signed.get("content-type", ""),
        signed["date"],
        signed,
        push_resource(endpoint),
    )
    signed["authorization"] = key.sign(text)
    return signed


def push_resource(endpoint: str) -> str:
    """The request target the endpoint's server sees: the path (percent-encoded as httpx sends
    it) and `?query` if any."""
    return httpx.URL(endpoint).raw_path.decode("ascii")
