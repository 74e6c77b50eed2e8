"""GET /mns/certificates/<fingerprint>.pem: the certificate HTTP pushes are signed with.

A subscriber verifying a push (`api.mns.signing`) fetches the certificate its
`x-mns-signing-cert-url` header names. The route is public (`api.auth_policy`): a certificate
holds only the public key, and the subscriber has no AccessKey of ours. Any other name gets a
plain 404, so the route tells nothing but the one certificate in use.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from starlette.responses import Response

from api.mns.sealing import SealingError
from api.mns.signing import CERTIFICATE_ROOT, SigningKeys

PEM_TYPE: Final = "application/x-pem-file"


def add_certificate_route(router: APIRouter, keys: SigningKeys) -> None:
    @router.get(
        f"{CERTIFICATE_ROOT}{{name}}",
        summary="The X.509 certificate whose key signs MNS HTTP pushes",
        include_in_schema=True,
    )
    async def signing_certificate(name: str) -> Response:
        try:
            key = await keys.current()
        except SealingError as error:  # no key material in the message (api.mns.sealing)
            return Response(f"{error}\n", status_code=503, media_type="text/plain")
        if name != f"{key.fingerprint}.pem":
            return Response("No such certificate.\n", status_code=404, media_type="text/plain")
        return Response(key.certificate_pem, media_type=PEM_TYPE)
