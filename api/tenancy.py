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

Regions. On Alibaba Cloud each region is a separate Serverless Workflow endpoint whose flows
the other regions do not see (flow names are unique within a region), and a request is for the
region of the endpoint it reaches (api/protocol/regions.py). Here a region is one more key of
the map: an entry may name a namespace per region,

    team-a-key: team-a                # the API's own region (FNF_REGION) only
    team-b-key:
      cn-hangzhou: team-b
      cn-shanghai: team-b-shanghai

and a plain namespace is the key's namespace in FNF_REGION. A request for a region its AccessKey
has no namespace in is refused with InvalidArgument, as no endpoint of the service would answer
it with another region's flows; unmapped keys and unsigned calls are served in FNF_REGION only.
DescribeRegions lists the regions the caller is served in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from api.actions.context import ApiContext
from api.protocol.access_keys import AccessKeys
from api.protocol.errors import FnFError, invalid_argument
from api.protocol.regions import is_region
from translator.text_files import read_text
from translator.yaml_nesting import one_line
from translator.yaml_nesting import safe_load as nesting_limited_load

NAMESPACE_LIMIT = 1000
"""Temporal's namespace names are at most 1000 characters (its `RegisterNamespace` checks)."""


class NamespaceMapError(ValueError):
    """A namespaces file that cannot be used (one line)."""


@dataclass(frozen=True)
class NamespaceMap:
    """AccessKey ID -> region -> Temporal namespace, with `default` (in `home_region`) for
    every other caller."""

    default: str
    by_access_key: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    home_region: str = "cn-hangzhou"

    @classmethod
    def from_file(
        cls, path: Path | None, default: str, home_region: str = "cn-hangzhou"
    ) -> NamespaceMap:
        if path is None:
            return cls(default, home_region=home_region)
        try:
            data = nesting_limited_load(read_text(path))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise NamespaceMapError(f"FNF_NAMESPACES_FILE: cannot read {path}: {reason}") from None
        except yaml.YAMLError as error:
            raise NamespaceMapError(
                f"FNF_NAMESPACES_FILE: {path} is not valid YAML or JSON: {one_line(error)}"
            ) from None
        except ValueError as error:  # not UTF-8, or a value PyYAML cannot build
            raise NamespaceMapError(
                f"FNF_NAMESPACES_FILE: {path} cannot be read: {error}"
            ) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise NamespaceMapError(_SHAPE.format(path=path))
        by_key = {}
        for key, value in data.items():
            regions = _regions(value, home_region)
            if not (isinstance(key, str) and key) or regions is None:
                raise NamespaceMapError(_SHAPE.format(path=path) + f"; see the entry of {key!r}")
            by_key[key] = regions
        return cls(default, by_key, home_region)

    def namespace_for(self, access_key_id: str | None) -> str:
        """The caller's namespace where no region is named (the web console): the one in the
        API's region, else the first of its entry."""
        regions = self.by_access_key.get(access_key_id or "")
        if regions is None:
            return self.default
        return regions.get(self.home_region) or next(iter(regions.values()))

    def namespace_in(self, access_key_id: str | None, region: str) -> str | None:
        """The caller's namespace in `region`, or None where it is not served."""
        regions = self.by_access_key.get(access_key_id or "")
        if regions is None:
            return self.default if region == self.home_region else None
        return regions.get(region)

    def regions_of(self, access_key_id: str | None) -> list[str]:
        """The regions the caller is served in, the API's own first."""
        regions = self.by_access_key.get(access_key_id or "")
        if regions is None:
            return [self.home_region]
        return sorted(regions, key=lambda region: (region != self.home_region, region))

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
        mapped = {name for regions in self.by_access_key.values() for name in regions.values()}
        return [self.default, *sorted(mapped - {self.default})]


_SHAPE = (
    "FNF_NAMESPACES_FILE: {path} must map each AccessKey ID to a namespace name, or to a "
    "mapping of region IDs (such as cn-hangzhou) to namespace names (non-empty strings "
    "without spaces)"
)


def _regions(value: Any, home_region: str) -> dict[str, str] | None:
    """An entry's namespaces by region, or None when it is not a valid entry."""
    if isinstance(value, str):
        return {home_region: value} if _is_namespace(value) else None
    if not isinstance(value, dict) or not value:
        return None
    if all(
        isinstance(region, str)
        and is_region(region)
        and isinstance(name, str)
        and _is_namespace(name)
        for region, name in value.items()
    ):
        return dict(value)
    return None


def _is_namespace(name: str) -> bool:
    return 0 < len(name) <= NAMESPACE_LIMIT and not any(char.isspace() for char in name)


TenantProvider = Callable[[str | None], Awaitable[ApiContext]]
"""The services a request is served with, chosen by the AccessKey ID that signed it."""
RegionalProvider = Callable[[str | None, str | None], Awaitable[ApiContext]]
"""The same, for the region the request names (None: the API's own)."""


def tenant_provider(namespaces: NamespaceMap, contexts: Mapping[str, ApiContext]) -> TenantProvider:
    """Each request's ApiContext: the one of its AccessKey's namespace."""

    async def provide(access_key_id: str | None) -> ApiContext:
        return contexts[namespaces.namespace_for(access_key_id)]

    return provide


def regional_provider(
    namespaces: NamespaceMap, contexts: Mapping[str, ApiContext]
) -> RegionalProvider:
    """Each request's ApiContext: the one of its AccessKey's namespace in the request's
    region; InvalidArgument for a region the key is not served in."""

    async def provide(access_key_id: str | None, region: str | None) -> ApiContext:
        wanted = region or namespaces.home_region
        namespace = namespaces.namespace_in(access_key_id, wanted)
        if namespace is None:
            raise not_served(wanted, namespaces.regions_of(access_key_id))
        served = tuple(namespaces.regions_of(access_key_id))
        return replace(contexts[namespace], region=wanted, regions=served)

    return provide


def not_served(region: str, served: list[str]) -> FnFError:
    named = f"Region {region}" if is_region(region) else "The RegionId given"
    return invalid_argument(
        f"{named} is not served by this endpoint for this AccessKey (served: {', '.join(served)})."
    )
