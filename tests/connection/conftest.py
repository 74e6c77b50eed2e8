"""One nginx TLS proxy per session, in front of the session's dev server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connection.tls_proxy import TlsProxy, nginx_binary, start_proxy, stop_proxy


@pytest.fixture(scope="session")
def tls_proxy(
    dev_server_address: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsProxy]:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (`apt-get install nginx-light`; .ci/run does it)")
    proxy = start_proxy(dev_server_address, tmp_path_factory.mktemp("tls"))
    yield proxy
    stop_proxy(proxy)
