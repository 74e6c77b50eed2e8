"""The deployment files name only settings the code reads, and every connection setting.

docker-compose.yml passes FNF_* variables to the api and worker containers; a misspelt name
would be ignored in silence (Settings ignores unknown variables), and a setting without a row
cannot be given to the containers at all. The known names are read from the code itself: the
Settings fields (their FNF_ names and aliases) and every `"FNF_..."` literal the packages read
from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from tests.compose.compose_file import ROOT, interpolated, raw
from worker.connection import TemporalSecurity
from worker.settings import Settings

KEYS = {
    "FNF_ACCESS_KEYS": "composeKey:composeSecret",
    "FNF_MNS_ACCESS_KEY_ID": "composeKey",
    "FNF_MNS_ACCESS_KEY_SECRET": "composeSecret",
    "FNF_MNS_SEALING_KEY": "composeSealingKey-composeSealingKey",
}
PACKAGES = ("api", "worker", "cli")
COMPOSE_ONLY = {"FNF_BIND"}
"""Variables Compose itself reads (published ports), never passed to a container."""
CONNECTION = {
    "FNF_TEMPORAL_ADDRESS",
    "FNF_NAMESPACE",
    "FNF_TEMPORAL_TLS",
    "FNF_TEMPORAL_TLS_CA",
    "FNF_TEMPORAL_TLS_CERT",
    "FNF_TEMPORAL_TLS_KEY",
    "FNF_TEMPORAL_TLS_SERVER_NAME",
    "FNF_TEMPORAL_API_KEY",
}


def settings_names() -> set[str]:
    found = set()
    for name, info in Settings.model_fields.items():
        found.add(f"FNF_{name.upper()}")
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            found |= {choice for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            found.add(alias)
    return found


def read_names() -> set[str]:
    """Every FNF_ variable the packages name in their source."""
    pattern = re.compile(r"[\"'](FNF_[A-Z0-9_]+)[\"']")
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found | settings_names()


def container_variables() -> dict[str, set[str]]:
    services = interpolated(KEYS)["services"]
    return {
        name: set(service.get("environment") or {})
        for name, service in services.items()
        if "fnf" in str(service.get("command", ""))
    }


def test_the_known_names_are_found() -> None:
    """The reader can fail: it finds the settings this test relies on, and nothing made up."""
    known = read_names()
    assert known >= CONNECTION
    assert {"FNF_ACCESS_KEYS", "FNF_MNS_TOPIC_SUBSCRIPTIONS", "FNF_NAMESPACES_FILE"} <= known
    assert "FNF_TEMPORAL_TLS_CERTIFICATE" not in known


def test_every_container_variable_is_a_setting() -> None:
    known = read_names()
    services = container_variables()
    assert set(services) == {"api", "worker"}
    for name, variables in services.items():
        unknown = {v for v in variables if v.startswith("FNF_")} - known
        assert not unknown, f"{name} passes variables no code reads: {sorted(unknown)}"


def test_every_interpolated_variable_is_a_setting_or_compose_s_own() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(FNF_[A-Z0-9_]+)", text))
    assert used, "the file reads its keys from the environment"
    unknown = used - read_names() - COMPOSE_ONLY
    assert not unknown, sorted(unknown)


def test_every_connection_setting_has_a_row() -> None:
    """TLS, mTLS and API keys reach both containers, and pass on what the user exported."""
    for name, variables in container_variables().items():
        assert variables >= CONNECTION, f"{name} lacks {sorted(CONNECTION - variables)}"
    given = {"FNF_TEMPORAL_API_KEY": "cloud-key", "FNF_TEMPORAL_ADDRESS": "ns.tmprl.cloud:7233"}
    worker = interpolated({**KEYS, **given})["services"]["worker"]["environment"]
    assert worker["FNF_TEMPORAL_API_KEY"] == "cloud-key"
    assert worker["FNF_TEMPORAL_ADDRESS"] == "ns.tmprl.cloud:7233"
    plain = interpolated(KEYS)["services"]["worker"]["environment"]
    assert plain["FNF_TEMPORAL_ADDRESS"] == "temporal:7233"


def test_the_empty_rows_leave_a_plaintext_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the containers get by default (every connection row empty) is the dev server's
    plaintext connection, not a refused setting: an empty variable is an unset one."""
    environment = interpolated(KEYS)["services"]["worker"]["environment"]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    security = TemporalSecurity.from_settings(Settings())
    assert (security.tls, security.api_key, security.client_cert) == (False, None, None)
    assert Settings().namespaces_file is None


def test_given_rows_reach_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    given = {
        "FNF_TEMPORAL_TLS_CA": str(ca),
        "FNF_TEMPORAL_TLS_SERVER_NAME": "temporal.example.com",
        "FNF_TEMPORAL_API_KEY": "cloud-key",
    }
    environment = interpolated({**KEYS, **given})["services"]["api"]["environment"]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    security = TemporalSecurity.from_settings(Settings())
    assert security.tls and security.api_key == "cloud-key"
    assert security.server_name == "temporal.example.com"
    assert security.server_root_ca_cert == ca.read_bytes()


def test_the_file_still_parses_as_written() -> None:
    assert raw()["services"]["api"]["environment"]["FNF_TEMPORAL_TLS_CA"] == (
        "${FNF_TEMPORAL_TLS_CA:-}"
    )
