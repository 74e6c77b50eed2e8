"""Sealing: how the MNS facade keeps a secret in Temporal without anyone reading it there.

Temporal is the project's only shared store (DESIGN 1), so the deployment's push signing key
(`api.mns.signing`) lives in the FnFMnsRegistry workflow, where every `fnf api` process finds
it. But whatever a workflow keeps is in clear in its history, its Update inputs, its
continue-as-new input and its Query results: readable by anyone with the Temporal Web UI or
`temporal workflow show`. So the private key goes there sealed: AES-256-GCM (NIST SP 800-38D)
with a 96-bit random nonce, its associated data naming what the text is (a sealed key cannot
be passed off as another), under a key that never reaches Temporal.

The sealing key is derived (HKDF-SHA256, RFC 5869) from a secret of the deployment:

    FNF_MNS_SEALING_KEY        the secret itself (at least 32 characters), e.g. from
                               `openssl rand -base64 32`; every `fnf api` of a deployment needs
                               the same one
    FNF_MNS_SEALING_KEY_FILE   a file holding it (one line); it must exist
    neither                    `mns-sealing.key` beside the embedded dev server's database
                               (`.fnf/` of `fnf dev` and `fnf api`), made once with a random
                               secret, mode 0600

A sealed text names the sealing key's id (a digest that tells keys apart and reveals nothing of
them), so a process holding another key says so instead of failing vaguely.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENV_SEALING_KEY: Final = "FNF_MNS_SEALING_KEY"
ENV_SEALING_KEY_FILE: Final = "FNF_MNS_SEALING_KEY_FILE"
DEFAULT_FILE_NAME: Final = "mns-sealing.key"
MIN_SECRET_CHARS: Final = 32
MAX_FILE_BYTES: Final = 4096
PREFIX: Final = "fnf-sealed-v1"
NONCE_BYTES: Final = 12
_KEY_INFO: Final = b"fnf-temporal sealing key v1"
_ID_INFO: Final = b"fnf-temporal sealing key id v1"


class SealingError(ValueError):
    """A sealing key that cannot be had, or a sealed text that cannot be opened: one line that
    names where the key came from and never holds a secret."""


@dataclass(frozen=True)
class SealingKey:
    key: bytes = field(repr=False)
    key_id: str
    """16 hex digits of an HKDF output of its own: tells sealing keys apart, reveals nothing."""
    source: str
    """Where the secret came from (a variable's name or a file's path), for messages."""

    @classmethod
    def from_secret(cls, secret: str, source: str) -> SealingKey:
        text = secret.strip()
        if len(text) < MIN_SECRET_CHARS:
            raise SealingError(
                f"{source}: the sealing key must be at least {MIN_SECRET_CHARS} characters, "
                f"got {len(text)} (make one with `openssl rand -base64 32`)"
            )
        material = text.encode("utf-8")
        return cls(_derive(material, _KEY_INFO, 32), _derive(material, _ID_INFO, 8).hex(), source)

    @classmethod
    def from_file(cls, path: Path) -> SealingKey:
        """The secret of an existing file (its first line)."""
        try:
            with path.open("rb") as file:
                raw = file.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise SealingError(f"{path}: no such sealing key file") from None
        except IsADirectoryError:
            raise SealingError(f"{path}: is a folder, not a sealing key file") from None
        except OSError as error:
            raise SealingError(f"{path}: cannot read the sealing key ({error.strerror})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise SealingError(f"{path}: not a sealing key file (over {MAX_FILE_BYTES} bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SealingError(f"{path}: not a sealing key file (not UTF-8 text)") from None
        lines = text.strip().splitlines()
        return cls.from_secret(lines[0] if lines else "", str(path))

    @classmethod
    def create_or_read(cls, path: Path) -> SealingKey:
        """The file's key; a new random one, written with mode 0600, when there is no file.
        Processes starting together agree: the key is written to a private temporary file,
        then linked to `path` (link(2) fails if `path` exists), so no one reads half a file."""
        if path.exists():
            return cls.from_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        except OSError as error:
            raise SealingError(
                f"{path}: cannot create the sealing key file ({error.strerror}); set "
                f"{ENV_SEALING_KEY} or {ENV_SEALING_KEY_FILE}"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp: mode 0600
                file.write(secrets.token_urlsafe(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError as error:
            raise SealingError(
                f"{path}: cannot create the sealing key file ({error.strerror}); set "
                f"{ENV_SEALING_KEY} or {ENV_SEALING_KEY_FILE}"
            ) from None
        finally:
            os.unlink(temporary)
        return cls.from_file(path)

    @classmethod
    def configured(cls, secret: str | None, file: Path | None, default_file: Path) -> SealingKey:
        """FNF_MNS_SEALING_KEY, else FNF_MNS_SEALING_KEY_FILE, else `default_file` (made once)."""
        if secret:
            return cls.from_secret(secret, ENV_SEALING_KEY)
        if file is None:
            return cls.create_or_read(default_file)
        try:
            return cls.from_file(file)
        except SealingError as error:
            raise SealingError(f"{ENV_SEALING_KEY_FILE}: {error}") from None

    @classmethod
    def ephemeral(cls) -> SealingKey:
        """A random key of this process only: for embedding one process (and tests); what it
        seals cannot be opened after a restart."""
        return cls.from_secret(secrets.token_urlsafe(32), "a key of this process only")

    def seal(self, plaintext: bytes, context: str, binding: str = "") -> str:
        """`fnf-sealed-v1:<key id>:<base64(nonce + ciphertext + tag)>`; `context` (what the
        text is, named in messages) and `binding` (what it belongs to) are authenticated, not
        stored: opening needs both again."""
        nonce = os.urandom(NONCE_BYTES)
        associated = self._associated(context, binding)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext, associated)
        return f"{PREFIX}:{self.key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, sealed: str, context: str, binding: str = "") -> bytes:
        prefix, _, rest = sealed.partition(":")
        key_id, _, body = rest.partition(":")
        if prefix != PREFIX or not key_id or not body:
            raise SealingError(f"the sealed {context} is not a text this version seals")
        if key_id != self.key_id:
            raise SealingError(
                f"the {context} was sealed with another sealing key (id {key_id}) than this "
                f"process has (id {self.key_id}, from {self.source}); give every `fnf api` of "
                f"the deployment the same {ENV_SEALING_KEY} or {ENV_SEALING_KEY_FILE}"
            )
        try:
            raw = base64.b64decode(body, validate=True)
            return AESGCM(self.key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._associated(context, binding)
            )
        except (binascii.Error, InvalidTag, ValueError):
            raise SealingError(
                f"the sealed {context} is damaged or was changed (its authentication failed)"
            ) from None

    def _associated(self, context: str, binding: str) -> bytes:
        return f"{PREFIX}\n{context}\n{binding}".encode()


def _derive(material: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(material)
