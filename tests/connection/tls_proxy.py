"""A real TLS endpoint in front of the session's dev server: nginx terminating TLS (and
checking client certificates or an API key) and passing gRPC on in plaintext, as a TLS load
balancer or Temporal Cloud's front end does.

The certificates are made here with `trustme` (a throwaway CA per session). nginx is Debian's
`nginx-light` (HTTP/2, SSL, gRPC proxy); `.ci/run` installs it when it is missing, and the
tests that need it skip, naming the reason, only when no nginx can be found.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import trustme

API_KEY = "fnf-test-api-key-7c1e"
"""The key the API-key endpoint accepts (`authorization: Bearer <key>`, as Temporal Cloud)."""

SERVER_NAME = "temporal.fnf.test"
"""The only name on the `named` endpoint's certificate: reaching it by IP needs the override."""


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    other_ca: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    """A client certificate signed by `other_ca`, which the mTLS endpoint does not trust."""
    stranger_key: Path


@dataclass(frozen=True)
class TlsProxy:
    """host:port of each endpoint, all in front of one plaintext Temporal."""

    tls: str
    mtls: str
    named: str
    api_key: str
    files: TlsFiles
    process: subprocess.Popen[bytes]
    log: Path


def nginx_binary() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_certificates(folder: Path) -> tuple[TlsFiles, dict[str, Path]]:
    ca, other = trustme.CA(), trustme.CA()
    files = TlsFiles(
        ca=folder / "ca.pem",
        other_ca=folder / "other-ca.pem",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
        stranger_cert=folder / "stranger.pem",
        stranger_key=folder / "stranger.key",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    other.cert_pem.write_to_path(str(files.other_ca))
    client = ca.issue_cert("fnf-worker@example.test")
    client.cert_chain_pems[0].write_to_path(str(files.client_cert))
    client.private_key_pem.write_to_path(str(files.client_key))
    stranger = other.issue_cert("stranger@example.test")
    stranger.cert_chain_pems[0].write_to_path(str(files.stranger_cert))
    stranger.private_key_pem.write_to_path(str(files.stranger_key))
    served = {}
    for name, hosts in (("ip", ("127.0.0.1", "localhost")), ("named", (SERVER_NAME,))):
        cert = ca.issue_cert(*hosts)
        chain, key = folder / f"server-{name}.pem", folder / f"server-{name}.key"
        chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key))
        served[name] = chain
    return files, served


def _server(port: int, cert: Path, upstream: str, extra: str = "") -> str:
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {cert.with_suffix(".key")};
        {extra}
        location / {{
            grpc_pass grpc://{upstream};
        }}
    }}"""


def start_proxy(upstream: str, folder: Path) -> TlsProxy:
    """nginx with four TLS endpoints in front of `upstream` (a plaintext Temporal)."""
    binary = nginx_binary()
    assert binary is not None
    files, served = _write_certificates(folder)
    ports = {name: _free_port() for name in ("tls", "mtls", "named", "api_key")}
    mtls = f"ssl_client_certificate {files.ca}; ssl_verify_client on;"
    # A wrong or missing key gets gRPC's UNAUTHENTICATED in a trailers-only answer, as a real
    # front end sends it.
    api_key = f"""
        if ($http_authorization != "Bearer {API_KEY}") {{
            return 200;
        }}"""
    refuse = """
        default_type application/grpc;
        add_header grpc-status 16 always;
        add_header grpc-message "Request unauthorized" always;"""
    servers = [
        _server(ports["tls"], served["ip"], upstream),
        _server(ports["mtls"], served["ip"], upstream, mtls),
        _server(ports["named"], served["named"], upstream),
        _api_key_server(ports["api_key"], served["ip"], upstream, api_key, refuse),
    ]
    log = folder / "nginx.log"
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(
        f"""
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {log} info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    grpc_read_timeout 300s;
    grpc_send_timeout 300s;
    client_body_timeout 300s;
    keepalive_timeout 300s;
    http2_recv_timeout 300s;
    http2_idle_timeout 300s;
    client_max_body_size 0;
    {"".join(servers)}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(folder), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    addresses = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    _wait_listening(process, list(ports.values()), log)
    return TlsProxy(**addresses, files=files, process=process, log=log)


def _api_key_server(port: int, cert: Path, upstream: str, check: str, refuse: str) -> str:
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {cert.with_suffix(".key")};
        location / {{
            {check.replace("return 200;", "rewrite ^ /unauthorized last;")}
            grpc_pass grpc://{upstream};
        }}
        location = /unauthorized {{
            internal;
            {refuse}
            return 200;
        }}
    }}"""


def _wait_listening(process: subprocess.Popen[bytes], ports: list[int], log: Path) -> None:
    deadline = time.monotonic() + 20
    for port in ports:
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"nginx did not start: {text[-2000:]}")
            time.sleep(0.05)


def stop_proxy(proxy: TlsProxy) -> None:
    proxy.process.terminate()
    try:
        proxy.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proxy.process.kill()
        proxy.process.wait()
