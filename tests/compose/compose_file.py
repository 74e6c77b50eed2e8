"""docker-compose.yml as Compose reads it: the YAML, with variables interpolated as the Compose
Specification's "Interpolation" section defines them (`${VAR}`, `${VAR:-default}`,
`${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `$$` for a literal `$`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = Path(__file__).with_name("compose-spec.json")

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    """A `${VAR?message}` or `${VAR:?message}` whose variable is unset (or empty, with `:`)."""


def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def interpolated(env: Mapping[str, str]) -> dict[str, Any]:
    """The file with every string interpolated from `env`, as `docker compose config` does."""
    value: dict[str, Any] = _walk(raw(), env)
    return value


def _walk(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, list):
        return [_walk(item, env) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, env) for key, item in value.items()}
    return value


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        present = name in env
        usable = present and (env[name] != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            return env[name] if usable else arg
        if op in ("?", ":?"):
            if not usable:
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    return _VARIABLE.sub(replace, text)
