"""DescribeRegions answers the regions the caller is served in (api/tenancy.py); map runs are
not supported."""

from __future__ import annotations

from typing import Any

from api.actions.context import ApiContext
from api.actions.params import Params
from api.services.failures import ServiceError


async def describe_regions(ctx: ApiContext, params: Params) -> dict[str, Any]:
    served = ctx.regions or (ctx.region,)
    regions = [{"RegionId": r, "LocalName": r, "RegionEndpoint": ""} for r in served]
    return {"Regions": {"Region": regions}}


def not_supported(action: str) -> Any:
    async def handler(ctx: ApiContext, params: Params) -> dict[str, Any]:
        raise ServiceError(
            "ActionNotSupported",
            f"The requested API operation '{action}' is incorrect. Please check.",
        )

    return handler
