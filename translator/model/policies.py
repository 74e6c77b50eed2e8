"""Task `retry` and `catch` policies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from translator.model.base import FDLModel

ErrorName = Annotated[str, Field(min_length=1, max_length=128)]

MAX_INTERVAL_SECONDS = 86_400


class RetryPolicy(FDLModel):
    """Retry on the listed errors; delay n = min(interval * multiplier^(n-1), maxInterval)."""

    errors: list[ErrorName] = Field(min_length=1)
    intervalSeconds: float = Field(default=1, gt=0, le=MAX_INTERVAL_SECONDS)
    maxIntervalSeconds: float = Field(default=MAX_INTERVAL_SECONDS, gt=0, le=MAX_INTERVAL_SECONDS)
    maxAttempts: int = Field(default=3, ge=0, le=10_000)
    multiplier: float = Field(default=2, ge=1, le=100)


class CatchPolicy(FDLModel):
    """After retries are spent, jump to the sibling step `goto` when the error is listed."""

    errors: list[ErrorName] = Field(min_length=1)
    goto: str = Field(min_length=1)
