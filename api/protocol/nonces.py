"""Remembering recent SignatureNonces, so a captured request cannot be replayed.

A signed request stays valid while its Timestamp is within the allowed skew of the server's
clock; within that window the only thing that tells a replay from the original is the
SignatureNonce both SDKs put in every request. A nonce therefore has to be remembered until
its request's Timestamp falls out of the window, and no longer.

Two layers remember it. `NonceCache` is this process's memory: bounded (past `max_entries`
the oldest nonces are dropped first) and lost on restart, it is the fast first check that
refuses a replay to the same process without a round trip. A `NonceLedger` is the durable
record shared by every API process and kept across restarts (`api.store.nonces` keeps it in
Temporal, DESIGN 1); the authentication policy asks it about every nonce the cache has not
seen, and only its answer accepts a request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

DEFAULT_MAX_ENTRIES: Final = 100_000


@dataclass(frozen=True)
class UsedNonce:
    """A nonce of a request whose signature was good, and when its Timestamp leaves the
    window (after which the timestamp check refuses the request anyway)."""

    access_key_id: str
    nonce: str
    expires: datetime


class NonceLedgerUnavailable(Exception):
    """The durable record could not be reached, so whether a nonce is fresh is unknown."""


class NonceLedger(Protocol):
    async def record(self, used: UsedNonce, now: datetime) -> bool:
        """Record the nonce until it expires; False when it was recorded already.
        Raises NonceLedgerUnavailable when the answer cannot be known."""
        ...


class NonceCache:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._expiry: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, access_key_id: str, nonce: str, expires: datetime, now: datetime) -> bool:
        """Record the nonce until `expires`; False if it was already recorded and unexpired."""
        key = (access_key_id, nonce)
        with self._lock:
            self._evict(now)
            seen = self._expiry.get(key)
            if seen is not None and seen > now:
                return False
            self._expiry[key] = expires
            self._expiry.move_to_end(key)
            while len(self._expiry) > self._max_entries:
                self._expiry.popitem(last=False)
            return True

    def forget(self, access_key_id: str, nonce: str) -> None:
        """Drop a nonce whose request was not served after all (its durable record failed),
        so that the client may send it once more."""
        with self._lock:
            self._expiry.pop((access_key_id, nonce), None)

    def __len__(self) -> int:
        return len(self._expiry)

    def _evict(self, now: datetime) -> None:
        # Entries arrive roughly in expiry order, so expired ones collect at the front.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                return
            del self._expiry[key]
