"""The AccessKey table the facade verifies signatures against.

SDK users already hold an AccessKey ID and secret and sign every request with them, so the
facade accepts the same pairs, configured in either of two places (both may be used; a file
entry wins over an environment entry with the same ID):

* `FNF_ACCESS_KEYS`: comma-separated `id:secret` pairs, e.g. `testAK:testSecret,ci:s3cr3t`.
  Whitespace around pairs is ignored; the secret is everything after the first colon.
* a YAML or JSON file mapping each ID to its secret (`{"testAK": "testSecret"}`, or YAML
  `testAK: testSecret`), named by `FNF_ACCESS_KEYS_FILE` or passed to `from_file`.

Secrets never appear in `repr`, so the table can be logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

import yaml

from translator.text_files import read_text
from translator.yaml_nesting import safe_load as nesting_limited_load

ENV_KEYS: Final = "FNF_ACCESS_KEYS"
ENV_KEYS_FILE: Final = "FNF_ACCESS_KEYS_FILE"


class AccessKeys:
    """An immutable AccessKey ID -> secret table."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._secrets: dict[str, str] = dict(secrets or {})
        for key_id, secret in self._secrets.items():
            if not key_id or not secret:
                raise ValueError("AccessKey IDs and secrets must be non-empty")

    @classmethod
    def parse(cls, text: str) -> AccessKeys:
        """Parse the `id1:secret1,id2:secret2` format of FNF_ACCESS_KEYS."""
        secrets: dict[str, str] = {}
        for number, item in enumerate(text.split(","), start=1):
            pair = item.strip()
            if not pair:
                continue
            key_id, colon, secret = pair.partition(":")
            if not colon or not key_id.strip() or not secret.strip():
                raise ValueError(  # naming the entry by position: its text may be a secret
                    f"{ENV_KEYS}: expected comma-separated id:secret pairs, entry {number} "
                    "is not one"
                )
            secrets[key_id.strip()] = secret.strip()
        return cls(secrets)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> AccessKeys:
        """Load a YAML or JSON mapping of AccessKey ID to secret (JSON is valid YAML)."""
        try:
            data = nesting_limited_load(read_text(path))
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML or JSON{_where(error)}") from None
        except OSError as error:
            raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
        except ValueError as error:  # not UTF-8, or a value PyYAML cannot build
            raise ValueError(f"{path} cannot be read: {error}") from None
        if data is None:
            return cls()
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f"{path}: expected a mapping of AccessKey ID to secret (strings)")
        return cls(data)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AccessKeys:
        """FNF_ACCESS_KEYS plus the file named by FNF_ACCESS_KEYS_FILE, if either is set."""
        env = os.environ if environ is None else environ
        keys = cls.parse(env.get(ENV_KEYS, ""))
        file = env.get(ENV_KEYS_FILE, "").strip()
        if file:
            keys = keys.merged(cls.from_file(file))
        return keys

    def merged(self, other: AccessKeys) -> AccessKeys:
        """A table with both sets of keys; `other` wins on a shared ID."""
        return AccessKeys({**self._secrets, **other._secrets})

    def first_pair(self) -> tuple[str, str] | None:
        """Some (ID, secret) of the table, for a process that calls itself (fnf api's worker)."""
        return next(iter(sorted(self._secrets.items())), None)

    def ids(self) -> list[str]:
        """Every AccessKey ID of the table, in name order."""
        return sorted(self._secrets)

    def secret_for(self, access_key_id: str) -> str | None:
        return self._secrets.get(access_key_id)

    def __contains__(self, access_key_id: object) -> bool:
        return access_key_id in self._secrets

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"AccessKeys(ids={sorted(self._secrets)})"


def _where(error: yaml.YAMLError) -> str:
    """Where and what PyYAML found wrong, without the snippet of the line it quotes (that line
    may hold a secret)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if isinstance(problem, str) and problem.startswith("found duplicate key"):
        problem = "an AccessKey ID given twice (one secret would be silently lost)"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{where}: {problem}" if problem else where
