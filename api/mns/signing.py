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
key. The certificate is served, without authentication (it holds no secret), at
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
from api.mns.registry_entity import SigningKeyRecord
from worker.connectors.mns import content_md5, string_to_sign

CERTIFICATE_ROOT: Final = "/mns/certificates/"
"""Where the API serves its push certificate (public: see `api.auth_policy`)."""
CERT_URL_HEADER: Final = "x-mns-signing-cert-url"
KEY_BITS: Final = 2048
CERTIFICATE_LIFETIME: Final = timedelta(days=3650)
SUBJECT: Final = "fnf-temporal MNS push signing"


@dataclass(frozen=True)
class SigningKey:
    """A loaded key pair: signs pushes, and names its certificate by fingerprint."""

    private_key: rsa.RSAPrivateKey
    certificate_pem: str
    fingerprint: str
    """SHA-256 of the certificate's DER bytes, hex."""

    @classmethod
    def from_record(cls, record: SigningKeyRecord) -> SigningKey:
        key = serialization.load_pem_private_key(record.private_key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the MNS push signing key is not an RSA key")
        certificate = x509.load_pem_x509_certificate(record.certificate_pem.encode())
        return cls(key, record.certificate_pem, certificate.fingerprint(hashes.SHA256()).hex())

    def certificate_url(self, api_base_url: str) -> str:
        return f"{api_base_url.rstrip('/')}{CERTIFICATE_ROOT}{self.fingerprint}.pem"

    def sign(self, text: str) -> str:
        """base64 of the RSA-SHA1 PKCS #1 v1.5 signature of `text` (UTF-8)."""
        signature = self.private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return base64.b64encode(signature).decode("ascii")


def new_signing_key() -> SigningKeyRecord:
    """A fresh RSA key and a self-signed certificate for it (from the OS random source)."""
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
    return SigningKeyRecord(
        private_pem.decode("ascii"),
        certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


class SigningKeys:
    """The deployment's push signing key, read from (or first proposed to) its registry, then
    kept in memory."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._key: SigningKey | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> SigningKey:
        if self._key is None:
            async with self._lock:
                if self._key is None:
                    record = await self._registry.signing_key()
                    if record is None:
                        proposal = await asyncio.to_thread(new_signing_key)
                        record = await self._registry.adopt_signing_key(proposal)
                    self._key = SigningKey.from_record(record)
        return self._key


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
