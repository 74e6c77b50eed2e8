"""docker-compose.yml is a valid Compose file, and a safe one: checked against the Compose
Specification's JSON schema (compose-spec.json, kept beside this test; see SOURCE.md) and
against what went wrong before: floating image tags, a data volume the Temporal image's user
could not write, services started before what they need answered, default secrets, and a
function registry with only one example's functions."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.compose.compose_file import (
    ROOT,
    SCHEMA,
    MissingVariable,
    interpolate,
    interpolated,
    raw,
)

KEYS = {
    "FNF_ACCESS_KEYS": "composeKey:composeSecret",
    "FNF_MNS_ACCESS_KEY_ID": "composeKey",
    "FNF_MNS_ACCESS_KEY_SECRET": "composeSecret",
    "FNF_MNS_SEALING_KEY": "composeSealingKey-composeSealingKey",
}
SECRETS = sorted(KEYS)


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = interpolated(KEYS)["services"]
    return found


@pytest.mark.parametrize("form", ["as written", "interpolated"])
def test_the_file_follows_the_compose_specification(form: str) -> None:
    document = raw() if form == "as written" else interpolated(KEYS)
    errors = sorted(validator().iter_errors(document), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_what_compose_refuses() -> None:
    """The check can fail: a misspelt key and a wrong depends_on condition are refused."""
    for broken in (
        {"services": {"api": {"image": "x:1", "restrat": "always"}}},
        {"services": {"api": {"image": "x:1", "depends_on": {"db": {"condition": "healthy"}}}}},
    ):
        assert list(validator().iter_errors(broken))


def test_every_image_is_pinned() -> None:
    for name, service in services().items():
        image = service.get("image")
        assert image, f"{name} names its image"
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and any(c.isdigit() for c in tag), f"{name}: {image} floats"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    base = next(line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM "))
    assert base.split(":")[1][:1].isdigit() and base.count(".") >= 2, base  # e.g. 3.11.11-slim


def test_every_secret_is_required_and_has_no_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for variable in SECRETS:
        assert f"${{{variable}:?" in text, f"{variable} is not required"
        missing = {key: value for key, value in KEYS.items() if key != variable}
        with pytest.raises(MissingVariable, match=variable):
            interpolated(missing)
        with pytest.raises(MissingVariable, match=variable):
            interpolated({**missing, variable: ""})  # empty is as good as unset
    assert "FNF_ACCESS_KEYS:-" not in text and "SECRET:-" not in text


def test_services_wait_for_what_they_need_to_answer() -> None:
    found = services()
    assert found["temporal"]["depends_on"] == {
        "temporal-data": {"condition": "service_completed_successfully"}
    }
    assert found["api"]["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert {
        dependency: rule["condition"] for dependency, rule in found["worker"]["depends_on"].items()
    } == {
        "temporal": "service_healthy",
        "api": "service_healthy",
    }
    for name, service in found.items():
        for dependency, rule in service.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in found[dependency], f"{name} waits on {dependency}"


def test_temporal_data_is_a_volume_its_user_can_write() -> None:
    """The Temporal CLI image runs as uid 1000 and is FROM scratch: a fresh named volume is
    root's, so a one-shot service hands it to 1000 before Temporal starts."""
    found = services()
    temporal, init = found["temporal"], found["temporal-data"]
    db = next(
        arg.split("=", 1)[1] for arg in temporal["command"] if arg.startswith("--db-filename")
    )
    mount = next(volume for volume in temporal["volumes"] if volume.startswith("temporal-data:"))
    folder = mount.split(":")[1]
    assert db.startswith(folder + "/")
    assert f"temporal-data:{folder}" in init["volumes"]
    assert init["command"][:3] == ["chown", "-R", "1000:1000"] and init["command"][3] == folder
    assert "temporal-data" in raw()["volumes"]


def test_the_worker_serves_every_examples_functions() -> None:
    registry_path = services()["worker"]["environment"]["FNF_FUNCTIONS"]
    assert registry_path == "/app/examples/functions.yaml"
    assert "./examples:/app/examples:ro" in services()["worker"]["volumes"]
    combined = yaml.safe_load((ROOT / "examples" / "functions.yaml").read_text())["functions"]
    for registry in sorted((ROOT / "examples").glob("*/functions.yaml")):
        for name, entry in yaml.safe_load(registry.read_text())["functions"].items():
            expected = {**entry, "handler": f"{registry.parent.name}/{entry['handler']}"}
            assert combined.get(name) == expected, f"{registry}: {name}"


def test_interpolation_follows_the_specification() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("${SET}/${UNSET}/$SET/$$SET", env) == "value//value/$SET"
    assert interpolate("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", env) == "d||d"
    assert interpolate("${EMPTY?m}", env) == ""
    with pytest.raises(MissingVariable, match="UNSET: why"):
        interpolate("${UNSET?why}", env)
