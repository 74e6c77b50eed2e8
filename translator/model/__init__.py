"""Pydantic models of the FDL document, one class per step type."""

from translator.model.base import FDLModel
from translator.model.flow import SUPPORTED_VERSIONS, FlowDocument
from translator.model.mappings import MappingEntry, Mappings
from translator.model.policies import CatchPolicy, RetryPolicy
from translator.model.steps import (
    STEP_TYPES,
    Branch,
    ChoiceDefault,
    ChoiceOption,
    ChoiceStep,
    FailStep,
    ForeachStep,
    IterationMapping,
    ParallelStep,
    PassStep,
    Step,
    SucceedStep,
    TaskStep,
    WaitStep,
)

__all__ = [
    "STEP_TYPES",
    "SUPPORTED_VERSIONS",
    "Branch",
    "CatchPolicy",
    "ChoiceDefault",
    "ChoiceOption",
    "ChoiceStep",
    "FDLModel",
    "FailStep",
    "FlowDocument",
    "ForeachStep",
    "IterationMapping",
    "MappingEntry",
    "Mappings",
    "ParallelStep",
    "PassStep",
    "RetryPolicy",
    "Step",
    "SucceedStep",
    "TaskStep",
    "WaitStep",
]
