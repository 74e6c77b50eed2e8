"""One configuration story (DESIGN 12): `FNF_*` environment variables, read by pydantic-settings.

The same names appear in docker-compose.yml, the CLI's options and the README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from worker.interpreter.context import (
    DEFAULT_ATTEMPT_REPORT_AFTER,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_STEP_DATA_LIMIT,
    DEFAULT_STEPS_PER_ACTIVATION,
)
from worker.limits import (
    DEFAULT_CONTINUE_AS_NEW_AT,
    DEFAULT_FOREACH_BATCH_SIZE,
    DEFAULT_FOREACH_BATCH_THRESHOLD,
    DEFAULT_NESTED_HANDOVER_STEPS,
    DEFAULT_REDRIVE_MAX_AGE,
    DEFAULT_REDRIVE_MAX_COUNT,
    RedriveLimits,
)


class Settings(BaseSettings):
    # An empty variable is unset, as docker-compose passes `${FNF_X:-}` on (and as the AccessKey,
    # MNS and FNF_ALLOW_UNSIGNED readers already treat it).
    model_config = SettingsConfigDict(
        env_prefix="FNF_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    temporal_address: str | None = Field(
        default=None, description="host:port of Temporal; unset starts the embedded dev server"
    )
    temporal_tls: bool | None = Field(
        default=None,
        description="TLS to Temporal (unset: on when a CA, client certificate, server name or "
        "API key is given)",
    )
    temporal_tls_ca: Path | None = Field(
        default=None, description="PEM file of the CA that signed Temporal's certificate"
    )
    temporal_tls_cert: Path | None = Field(
        default=None, description="PEM client certificate, for a server that requires mTLS"
    )
    temporal_tls_key: Path | None = Field(
        default=None, description="PEM private key of FNF_TEMPORAL_TLS_CERT"
    )
    temporal_tls_server_name: str | None = Field(
        default=None, description="name to check Temporal's certificate against (SNI)"
    )
    temporal_api_key: str | None = Field(
        default=None, description="Temporal Cloud API key (implies TLS)", repr=False
    )
    namespace: str = "default"
    namespaces_file: Path | None = Field(
        default=None,
        description="YAML mapping of AccessKey ID to Temporal namespace, for one API serving "
        "several teams",
    )
    task_queue: str = "fnf"
    functions: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="function registries: files or folders of them, separated by os.pathsep",
    )
    mns_endpoint: str | None = Field(default=None, description="MNS endpoint for queue tasks")
    mns_access_key_id: str = ""
    mns_access_key_secret: str = Field(default="", repr=False)
    heartbeat_timeout: float = Field(default=DEFAULT_HEARTBEAT_TIMEOUT, gt=0)
    continue_as_new_at: int = Field(default=DEFAULT_CONTINUE_AS_NEW_AT, ge=100)
    event_data_limit: int = Field(
        default=DEFAULT_STEP_DATA_LIMIT,
        ge=0,
        validation_alias=AliasChoices("FNF_EVENT_DATA_LIMIT", "FNF_STEP_DATA_LIMIT"),
        description="bytes of JSON one event's data may take: a step's input, its output, its "
        "local, each (0: no limit)",
    )
    foreach_batch_threshold: int = Field(
        default=DEFAULT_FOREACH_BATCH_THRESHOLD,
        ge=0,
        description="a foreach over more items runs them in batches of child runs (0: never)",
    )
    foreach_batch_size: int = Field(
        default=DEFAULT_FOREACH_BATCH_SIZE, ge=1, le=5000, description="items per batch child"
    )
    nested_handover_steps: int = Field(
        default=DEFAULT_NESTED_HANDOVER_STEPS,
        ge=1,
        description="steps a nested sequence runs before a long history hands its rest over",
    )
    attempt_report_after: float = Field(
        default=DEFAULT_ATTEMPT_REPORT_AFTER,
        ge=0,
        description="seconds a task attempt runs before its TaskStarted is reported",
    )
    inline_steps_per_activation: int = Field(
        default=DEFAULT_STEPS_PER_ACTIVATION,
        ge=10,
        description="steps one workflow activation runs before the flow yields to Temporal",
    )
    redrive_max_count: int = Field(
        default=DEFAULT_REDRIVE_MAX_COUNT,
        ge=0,
        description="redrives one execution may have (RedriveExecution; 0: none)",
    )
    redrive_max_age: float = Field(
        default=DEFAULT_REDRIVE_MAX_AGE,
        ge=0,
        description="seconds after its close an execution may still be redriven",
    )
    dev_server_db: Path | None = Field(
        default=None, description="database file of the embedded dev server (unset: in memory)"
    )
    dev_server_ui_port: int | None = None
    api_task_queue: str = Field(
        default="fnf-api", description="task queue of flow definitions and schedule starts"
    )
    region: str = Field(default="cn-hangzhou", description="the region the API answers as")
    allow_unsigned: bool = Field(
        default=False, description="accept API calls without a signature (local use only)"
    )
    temporal_ui_url: str | None = Field(
        default=None,
        description="the Temporal Web UI's base URL; the console links each execution to it",
    )
    access_keys_file: Path | None = Field(
        default=None, description="AccessKey pairs for signed calls (besides FNF_ACCESS_KEYS)"
    )
    mns_sealing_key: str | None = Field(
        default=None,
        repr=False,
        description="secret (32+ characters) the MNS push signing key is sealed with in "
        "Temporal; the same for every `fnf api` of a deployment (api/mns/sealing.py)",
    )
    mns_sealing_key_file: Path | None = Field(
        default=None,
        description="file holding FNF_MNS_SEALING_KEY (unset: mns-sealing.key beside the "
        "embedded dev server's database, made once)",
    )
    mns_replace_signing_key: bool = Field(
        default=False,
        description="replace an MNS push signing key this process cannot open (its sealing "
        "key was lost) with a new one; for one start",
    )
    deployment_name: str | None = Field(
        default=None,
        description="Temporal Worker Deployment of the interpreter workers (with FNF_BUILD_ID): "
        "worker versioning, executions auto-upgrade to the current version",
    )
    build_id: str | None = Field(
        default=None,
        validate_default=True,
        description="this release's Build ID in FNF_DEPLOYMENT_NAME (e.g. the fnf-temporal "
        "version)",
    )
    max_concurrent_activities: int = Field(default=500, ge=1)
    sticky_queue_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds before a dead worker's cached executions move to other workers",
    )

    @field_validator("functions", mode="before")
    @classmethod
    def _registries(cls, value: Any) -> Any:
        """FNF_FUNCTIONS names one registry or several, separated like PATH (`:` on Unix);
        the command line gives a path or a list of them."""
        if value is None:
            return []
        if isinstance(value, str | Path):
            return [Path(part) for part in str(value).split(os.pathsep) if part.strip()]
        return value

    @field_validator("build_id")
    @classmethod
    def _with_deployment(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A Worker Deployment Version is a deployment name and a Build ID (Temporal "Worker
        Versioning"): one without the other names no version."""
        if (value is None) != (info.data.get("deployment_name") is None):
            raise ValueError(
                "FNF_DEPLOYMENT_NAME and FNF_BUILD_ID go together: set both (worker "
                "versioning) or neither"
            )
        return value

    def redrive_limits(self) -> RedriveLimits:
        return RedriveLimits(self.redrive_max_count, self.redrive_max_age)

    def run_options(self) -> dict[str, Any]:
        """The FlowRun fields an execution takes from this configuration when it starts."""
        return {
            "heartbeat_timeout": self.heartbeat_timeout,
            "continue_as_new_at": self.continue_as_new_at,
            "step_data_limit": self.event_data_limit,
            "attempt_report_after": self.attempt_report_after,
            "steps_per_activation": self.inline_steps_per_activation,
            "foreach_batch_threshold": self.foreach_batch_threshold,
            "foreach_batch_size": self.foreach_batch_size,
            "nested_handover_steps": self.nested_handover_steps,
        }
