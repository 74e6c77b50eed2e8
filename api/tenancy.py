"""Several teams on one `fnf api`: each AccessKey is bound to a Temporal namespace.

A Temporal namespace is the unit of isolation Temporal itself offers (workflow ids, visibility,
schedules, task queues and search attributes are all per namespace), so a team whose AccessKey
maps to namespace `team-a` creates, lists, starts, describes and reports only inside `team-a`:
the same flow or execution name in another namespace is another object, and a task token
names a workflow that does not exist in any other namespace. The map is a YAML (or JSON) file
like the AccessKey file, named by FNF_NAMESPACES_FILE:

    team-a-key: team-a
    team-b-key: team-b

An AccessKey the file does not name (and an unsigned call, with FNF_ALLOW_UNSIGNED) uses the
API's own namespace, FNF_NAMESPACE. The file is read once, when the API starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from api.actions.context import ApiContext
from api.protocol.access_keys import AccessKeys

NAMESPACE_LIMIT = 1000
"""Temporal's namespace names are at most 1000 characters (its `RegisterNamespace` checks)."""


class NamespaceMapError(ValueError):
    """A namespaces file that cannot be used (one line)."""


@dataclass(frozen=True)
class NamespaceMap:
    """AccessKey ID -> Temporal namespace, with `default` for every other caller."""

    default: str
    by_access_key: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path | None, default: str) -> NamespaceMap:
        if path is None:
            return cls(default)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise NamespaceMapError(f"FNF_NAMESPACES_FILE: cannot read {path}: {reason}") from None
        except yaml.YAMLError:
            raise NamespaceMapError(
                f"FNF_NAMESPACES_FILE: {path} is not valid YAML or JSON"
            ) from None
        except ValueError as error:  # not UTF-8, or a value PyYAML cannot build
            raise NamespaceMapError(
                f"FNF_NAMESPACES_FILE: {path} cannot be read: {error}"
            ) from None
        if data is None:
            data = {}
        if not isinstance(data, dict) or not all(
            isinstance(key, str) and key and isinstance(value, str) and _is_namespace(value)
            for key, value in data.items()
        ):
            raise NamespaceMapError(
                f"FNF_NAMESPACES_FILE: {path} must map each AccessKey ID to a namespace name "
                "(non-empty strings without spaces)"
            )
        return cls(default, dict(data))

    def namespace_for(self, access_key_id: str | None) -> str:
        if access_key_id is None:
            return self.default
        return self.by_access_key.get(access_key_id, self.default)

    def access_key_for(self, namespace: str, keys: AccessKeys) -> tuple[str, str] | None:
        """An (ID, secret) pair of `keys` whose calls are served in `namespace`, for a process
        that calls its own API there (`fnf api`'s worker sending MNS tasks to its facade); None
        when no key of the table is bound to it. Never a key of another namespace: its calls
        would land in that one."""
        for key_id in keys.ids():
            secret = keys.secret_for(key_id)
            if secret is not None and self.namespace_for(key_id) == namespace:
                return key_id, secret
        return None

    @property
    def namespaces(self) -> list[str]:
        """Every namespace served: the default first, then the mapped ones in name order."""
        others = sorted(set(self.by_access_key.values()) - {self.default})
        return [self.default, *others]


def _is_namespace(name: str) -> bool:
    return 0 < len(name) <= NAMESPACE_LIMIT and not any(char.isspace() for char in name)


TenantProvider = Callable[[str | None], Awaitable[ApiContext]]
"""The services a request is served with, chosen by the AccessKey ID that signed it."""


def tenant_provider(namespaces: NamespaceMap, contexts: Mapping[str, ApiContext]) -> TenantProvider:
    """Each request's ApiContext: the one of its AccessKey's namespace."""

    async def provide(access_key_id: str | None) -> ApiContext:
        return contexts[namespaces.namespace_for(access_key_id)]

    return provide
