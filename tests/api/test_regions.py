"""Regions through both official SDKs (api/tenancy.py, api/protocol/regions.py), against a real
`fnf api` subprocess whose namespaces file gives one AccessKey a namespace per region.

The tea SDK names its region only by the endpoint it resolves from `region_id`
(`cn-shanghai.fnf.aliyuncs.com`); it reaches `fnf api` through `http_proxy`, unchanged, as a
program written for Alibaba Cloud would. The legacy SDK sends `RegionId` to an endpoint added
for its region. A region a key is not served in is refused; regions are as isolated as the
service's own: the same flow name is another flow in another region."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from alibabacloud_fnf20190315 import models as tea_models
from alibabacloud_fnf20190315.client import Client as TeaClient
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315.CreateFlowRequest import CreateFlowRequest
from aliyunsdkfnf.request.v20190315.DescribeFlowRequest import DescribeFlowRequest

from tests.api.conftest import free_port

KEYS = {"teamB": "secretB", "ops": "secretOps"}
HOME, OTHER, NOWHERE = "cn-hangzhou", "cn-shanghai", "cn-beijing"


def flow(description: str) -> str:
    return f"version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: {description}\n"


@dataclass(frozen=True)
class Api:
    port: int
    namespaces: dict[str, str]


@pytest.fixture(scope="module")
def api(dev_server_address: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("regions")
    tag = uuid.uuid4().hex[:6]
    namespaces = {HOME: f"rb-hz-{tag}", OTHER: f"rb-sh-{tag}"}
    mapping = folder / "namespaces.yaml"
    mapping.write_text(
        f"teamB:\n  {HOME}: {namespaces[HOME]}\n  {OTHER}: {namespaces[OTHER]}\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {
        **os.environ,
        "FNF_ACCESS_KEYS": ",".join(f"{key}:{secret}" for key, secret in KEYS.items()),
        "FNF_NAMESPACES_FILE": str(mapping),
        "FNF_REGION": HOME,
        "FNF_TASK_QUEUE": f"regions-{tag}",
        "FNF_API_TASK_QUEUE": f"regions-api-{tag}",
    }
    log = folder / "api.log"
    with log.open("ab") as out:
        command = ["api", "--address", dev_server_address, "--port", str(port), "--no-worker"]
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *command], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, f"fnf api exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "fnf api did not start"
            time.sleep(0.2)
        yield Api(port, namespaces)
    finally:
        process.terminate()
        process.wait(timeout=30)


class Refused(Exception):
    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.status, self.message = code, status, message


Call = Callable[..., dict[str, Any]]


def tea(api: Api, region: str, key: str = "teamB") -> Call:
    """The tea SDK as written for Alibaba Cloud: a region and no endpoint; only the proxy
    sends its calls to `fnf api`."""
    client = TeaClient(
        Config(
            access_key_id=key,
            access_key_secret=KEYS[key],
            region_id=region,
            protocol="http",
            http_proxy=f"http://127.0.0.1:{api.port}",
        )
    )

    def call(action: str, **params: Any) -> dict[str, Any]:
        request = getattr(tea_models, f"{action}Request")().from_map(params)
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in action).lstrip("_")
        try:
            return dict(getattr(client, snake)(request).body.to_map())
        except Exception as error:
            code = str(getattr(error, "code", ""))
            status = int(getattr(error, "status_code", 0) or 0)
            raise Refused(code, status, str(getattr(error, "message", error))) from None

    return call


def legacy_describe(api: Api, region: str, name: str, key: str = "teamB") -> dict[str, Any]:
    client = AcsClient(key, KEYS[key], region, timeout=10)
    client.add_endpoint(region, "fnf", f"127.0.0.1:{api.port}")
    request = DescribeFlowRequest()
    request.set_Name(name)
    try:
        return dict(json.loads(client.do_action_with_exception(request)))
    except ServerException as error:
        raise Refused(
            error.get_error_code(), error.get_http_status(), error.get_error_msg()
        ) from None


def legacy_create(api: Api, region: str, name: str, definition: str) -> None:
    client = AcsClient("teamB", KEYS["teamB"], region, timeout=10)
    client.add_endpoint(region, "fnf", f"127.0.0.1:{api.port}")
    request = CreateFlowRequest()
    request.set_Name(name)
    request.set_Definition(definition)
    request.set_Description("")
    request.set_Type("FDL")
    client.do_action_with_exception(request)


def test_a_flow_lives_in_its_region_only(api: Api) -> None:
    name = f"r_{uuid.uuid4().hex[:6]}"
    home, other = tea(api, HOME), tea(api, OTHER)
    home("CreateFlow", Name=name, Definition=flow("InHangzhou"), Description="", Type="FDL")
    with pytest.raises(Refused) as missing:
        other("DescribeFlow", Name=name)
    assert (missing.value.code, missing.value.status) == ("FlowNotExists", 404)
    other("CreateFlow", Name=name, Definition=flow("InShanghai"), Description="", Type="FDL")
    assert "InHangzhou" in home("DescribeFlow", Name=name)["Definition"]
    assert "InShanghai" in other("DescribeFlow", Name=name)["Definition"]
    # the legacy SDK names the region with RegionId: the same two flows
    assert "InShanghai" in legacy_describe(api, OTHER, name)["Definition"]
    assert "InHangzhou" in legacy_describe(api, HOME, name)["Definition"]


def test_the_legacy_sdk_writes_where_the_tea_sdk_reads(api: Api) -> None:
    name = f"l_{uuid.uuid4().hex[:6]}"
    legacy_create(api, OTHER, name, flow("ByLegacy"))
    assert "ByLegacy" in tea(api, OTHER)("DescribeFlow", Name=name)["Definition"]
    with pytest.raises(Refused) as missing:
        tea(api, HOME)("DescribeFlow", Name=name)
    assert missing.value.code == "FlowNotExists"


@pytest.mark.parametrize("sdk", ["tea", "legacy"])
def test_a_region_the_key_is_not_served_in_is_refused(api: Api, sdk: str) -> None:
    for key, region in (("teamB", NOWHERE), ("ops", OTHER)):
        with pytest.raises(Refused) as refused:
            if sdk == "tea":
                tea(api, region, key)("DescribeFlow", Name="anything")
            else:
                legacy_describe(api, region, "anything", key)
        assert (refused.value.code, refused.value.status) == ("InvalidArgument", 400)
        assert region in refused.value.message
    # an unmapped key is served in the API's own region, in FNF_NAMESPACE
    with pytest.raises(Refused) as missing:
        tea(api, HOME, "ops")("DescribeFlow", Name=f"none_{uuid.uuid4().hex[:6]}")
    assert missing.value.code == "FlowNotExists"


def test_describe_regions_lists_the_caller_s_regions(api: Api) -> None:
    listed = tea(api, OTHER)("DescribeRegions")["Regions"]["Region"]
    assert [region["RegionId"] for region in listed] == [HOME, OTHER]
    alone = tea(api, HOME, "ops")("DescribeRegions")["Regions"]["Region"]
    assert [region["RegionId"] for region in alone] == [HOME]


def test_a_region_id_outside_the_grammar_is_refused_not_echoed(api: Api) -> None:
    """What the legacy SDK lets through (its own check is `[a-zA-Z0-9_-]+`) but is no
    region ID is refused without being written back."""
    for hostile in ("CN-HANGZHOU", "cn_hangzhou", "-", "cn-", "x" * 70 + "-1"):
        with pytest.raises(Refused) as refused:
            legacy_describe(api, hostile, "anything")
        assert (refused.value.code, refused.value.status) == ("InvalidArgument", 400), hostile
        assert refused.value.message.startswith("The RegionId given is not served"), hostile
