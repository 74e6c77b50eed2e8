"""Serialization contexts asked of a sandboxed run directly (worker/sandbox.py says why).

This module extends temporalio's private sandbox instance (`_Instance`, temporalio 1.35):
worker/sandbox.py imports it lazily and falls back to the stock sandboxed runner when a
temporalio release no longer has the pieces it builds on, so only the speed depends on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.converter import SerializationContext
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

IN_SANDBOX = "__temporal_in_sandbox"
"""Where temporalio's sandboxed instance keeps the run's in-sandbox side."""


class _DirectContexts(_Instance):
    """A sandboxed run whose serialization and storage contexts are asked of its instance
    directly, not through a code string executed in the sandbox."""

    def _in_sandbox(self) -> Any:
        return getattr(self, "globals_and_locals", {}).get(IN_SANDBOX)

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        in_sandbox = self._in_sandbox()
        if in_sandbox is None:
            return super().get_serialization_context(command_info)
        context: SerializationContext | None = in_sandbox.get_serialization_context(command_info)
        return context

    def get_external_store_context(self, command_info: CommandInfo | None) -> Any:
        in_sandbox = self._in_sandbox()
        if in_sandbox is None:
            return super().get_external_store_context(command_info)
        return in_sandbox.get_external_store_context(command_info)


@dataclass(frozen=True)
class DirectContextsRunner(SandboxedWorkflowRunner):
    """Temporal's sandbox, its runs answering serialization contexts directly."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _DirectContexts(det, self.runner_class, self.restrictions)
