"""The whole FDL document: `version`, `type: flow`, `steps`, and the flow-level options."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from translator.model.base import FDLModel
from translator.model.mappings import Mappings
from translator.model.steps import ONE_YEAR_SECONDS, Step

SUPPORTED_VERSIONS = ("v1", "v1beta1")


class FlowDocument(FDLModel):
    """`v1beta1` is accepted as `v1`: official samples use it and the service ran them."""

    version: Literal["v1", "v1beta1"]
    type: Literal["flow"]
    steps: list[Step] = Field(min_length=1)
    inputMappings: Mappings | None = None
    outputMappings: Mappings | None = None
    timeoutSeconds: int | None = Field(default=None, ge=1, le=ONE_YEAR_SECONDS)
