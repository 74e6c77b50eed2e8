"""Secure connections to Temporal (worker/connection.py) against a real TLS endpoint: nginx
terminating TLS in front of the dev server (tests/connection/tls_proxy.py), with a CA made by
trustme. Each way a connection is secured works, and each way it can be wrong is one `error:`
line from the command, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from tests.connection.tls_proxy import API_KEY, SERVER_NAME, TlsProxy
from translator.text_files import MAX_CHARACTERS
from worker.connection import TemporalSecurity, connect_temporal
from worker.settings import Settings

FNF = str(Path(sys.executable).with_name("fnf"))


async def _answers(address: str, **settings: Any) -> None:
    """Connect as the settings say and make one real call through the endpoint."""
    resolved = TemporalSecurity.from_settings(Settings(temporal_address=address, **settings))
    client = await connect_temporal(address, "default", resolved)
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace="default")
    )
    assert described.namespace_info.name == "default"


async def test_tls_with_a_private_ca(tls_proxy: TlsProxy) -> None:
    await _answers(tls_proxy.tls, temporal_tls_ca=tls_proxy.files.ca)


async def test_mutual_tls_with_a_client_certificate(tls_proxy: TlsProxy) -> None:
    files = tls_proxy.files
    await _answers(
        tls_proxy.mtls,
        temporal_tls_ca=files.ca,
        temporal_tls_cert=files.client_cert,
        temporal_tls_key=files.client_key,
    )


async def test_server_name_override(tls_proxy: TlsProxy) -> None:
    """The certificate names only temporal.fnf.test; the address is an IP."""
    await _answers(
        tls_proxy.named, temporal_tls_ca=tls_proxy.files.ca, temporal_tls_server_name=SERVER_NAME
    )


async def test_api_key_sent_as_bearer(tls_proxy: TlsProxy) -> None:
    await _answers(tls_proxy.api_key, temporal_tls_ca=tls_proxy.files.ca, temporal_api_key=API_KEY)


def _worker_error(address: str, *options: str, env: dict[str, str] | None = None) -> str:
    """`fnf worker` that cannot connect: exit 2 and exactly one `error:` line on stderr."""
    done = subprocess.run(
        [FNF, "worker", "--address", address, "--task-queue", "tls-never", *options],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_wrong_ca_is_one_line(tls_proxy: TlsProxy) -> None:
    line = _worker_error(tls_proxy.tls, "--tls-ca", str(tls_proxy.files.other_ca))
    assert "not signed by a CA in FNF_TEMPORAL_TLS_CA" in line
    assert str(tls_proxy.files.other_ca) in line


def test_missing_client_certificate_is_one_line(tls_proxy: TlsProxy) -> None:
    line = _worker_error(tls_proxy.mtls, "--tls-ca", str(tls_proxy.files.ca))
    assert "requires a client certificate (mTLS)" in line
    assert "FNF_TEMPORAL_TLS_CERT" in line


def test_untrusted_client_certificate_is_one_line(tls_proxy: TlsProxy) -> None:
    files = tls_proxy.files
    line = _worker_error(
        tls_proxy.mtls,
        *("--tls-ca", str(files.ca)),
        *("--tls-cert", str(files.stranger_cert), "--tls-key", str(files.stranger_key)),
    )
    assert "the server refused the client certificate (FNF_TEMPORAL_TLS_CERT)" in line


def test_name_not_on_the_certificate_is_one_line(tls_proxy: TlsProxy) -> None:
    line = _worker_error(tls_proxy.named, "--tls-ca", str(tls_proxy.files.ca))
    assert "not valid for the address's host (it names temporal.fnf.test)" in line
    assert "FNF_TEMPORAL_TLS_SERVER_NAME" in line


def test_refused_api_key_is_one_line(tls_proxy: TlsProxy) -> None:
    ca = {"FNF_TEMPORAL_TLS_CA": str(tls_proxy.files.ca)}
    line = _worker_error(tls_proxy.api_key, env={**ca, "FNF_TEMPORAL_API_KEY": "not-the-key"})
    assert "the API key was refused (Unauthenticated: Request unauthorized)" in line
    missing = _worker_error(tls_proxy.api_key, "--tls", env=ca)
    assert "requires credentials" in missing and "FNF_TEMPORAL_API_KEY" in missing


def test_tls_to_a_plaintext_server_is_one_line(
    tls_proxy: TlsProxy, dev_server_address: str
) -> None:
    line = _worker_error(dev_server_address, "--tls-ca", str(tls_proxy.files.ca))
    assert "does not speak TLS" in line


def test_plaintext_to_a_tls_server_is_one_line(tls_proxy: TlsProxy) -> None:
    line = _worker_error(tls_proxy.tls)
    assert "expect TLS?" in line and "FNF_TEMPORAL_TLS=true" in line


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--tls-ca", "{missing}"], "FNF_TEMPORAL_TLS_CA: no file {missing}"),
        (["--tls-ca", "{folder}"], "FNF_TEMPORAL_TLS_CA: cannot read {folder}: Is a directory"),
        (["--tls-ca", "{not_pem}"], "FNF_TEMPORAL_TLS_CA: {not_pem} holds no PEM certificate"),
        # Read with the bound every file fnf reads has (was: read whole, /dev/zero for ever).
        (
            ["--tls-key", "{huge}", "--tls-cert", "{cert}"],
            "FNF_TEMPORAL_TLS_KEY: cannot read {huge}: larger than 16 Mi bytes",
        ),
        (["--tls-cert", "{cert}"], "FNF_TEMPORAL_TLS_CERT is set without FNF_TEMPORAL_TLS_KEY"),
        (["--no-tls", "--tls-ca", "{cert}"], "FNF_TEMPORAL_TLS_CA is set but FNF_TEMPORAL_TLS is"),
    ],
)
def test_unusable_settings_are_one_line_before_connecting(
    tls_proxy: TlsProxy, tmp_path: Path, options: list[str], expected: str
) -> None:
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello\n")
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as sparse:
        sparse.truncate(MAX_CHARACTERS + 1)  # no disk space: 16 Mi + 1 NULs
    paths = {
        "missing": str(tmp_path / "nope.pem"),
        "folder": str(tmp_path),
        "not_pem": str(not_pem),
        "huge": str(huge),
        "cert": str(tls_proxy.files.client_cert),
    }
    line = _worker_error(tls_proxy.tls, *(option.format(**paths) for option in options))
    assert expected.format(**paths) in line
