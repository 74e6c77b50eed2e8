"""Which region a request is for: the endpoint it was sent to, else its RegionId.

On Alibaba Cloud each region is its own Serverless Workflow endpoint (`<region>.fnf.aliyuncs.com`,
the table on FnF's "Endpoints" page; DescribeRegions answers each region with its endpoint), and
flow names are unique within a region only. The official SDKs name the region in two ways:
the tea SDK (alibabacloud_fnf20190315) only through the host it calls, resolved from its
`region_id` as `<region>.fnf.aliyuncs.com` (its endpoint map) or `fnf.<region>.aliyuncs.com`
(its "regional" endpoint rule), and sends no RegionId; the legacy SDK sends `RegionId` in every
call. So the host decides when it has one of those forms (the request really went to that
region's endpoint, through DNS or a proxy), then RegionId; a call with neither (an endpoint like
`127.0.0.1:8080`) is for the API's own region, FNF_REGION.
"""

from __future__ import annotations

import re
from typing import Final

REGION: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
"""A region ID: lower-case words joined by `-` (cn-hangzhou, ap-southeast-1, us-west-1)."""
REGION_LONGEST: Final = 64
ENDPOINT_PREFIXES: Final = ("fnf", "fnf-vpc")


def is_region(value: str) -> bool:
    return len(value) <= REGION_LONGEST and REGION.fullmatch(value) is not None


def host_region(host: str | None) -> str | None:
    """The region an FnF endpoint host names (`cn-shanghai.fnf.example.com`,
    `fnf.cn-shanghai.aliyuncs.com`), or None for any other host."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    labels = name.lower().rstrip(".").split(".")
    if len(labels) < 3:
        return None
    if labels[1] == "fnf" and is_region(labels[0]):
        return labels[0]
    if labels[0] in ENDPOINT_PREFIXES and is_region(labels[1]):
        return labels[1]
    return None


def request_region(host: str | None, region_id: str | None) -> str | None:
    """The region a request names (the host's, else its RegionId), or None for neither."""
    return host_region(host) or (region_id or None)
