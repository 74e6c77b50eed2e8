"""docker-compose publishes every port on loopback unless FNF_BIND names another interface: a
port published as plain `8080:8080` listens on every interface of the host."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[1] / "docker-compose.yml"
LOOPBACK_DEFAULT = "${FNF_BIND:-127.0.0.1}:"


def test_every_published_port_binds_loopback_by_default() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    published = [
        (name, str(port)) for name, service in services.items() for port in service.get("ports", [])
    ]
    assert published, "the compose file publishes the API port"
    for name, port in published:
        assert port.startswith(LOOPBACK_DEFAULT), f"{name} publishes {port} on every interface"
    assert any(port.endswith(":8080:8080") for _, port in published)
