"""Remembering recent SignatureNonces, so a captured request cannot be replayed.

A signed request stays valid while its Timestamp is within the allowed skew of the server's
clock; within that window the only thing that tells a replay from the original is the
SignatureNonce both SDKs put in every request. A nonce therefore has to be remembered until
its request's Timestamp falls out of the window, and no longer.

The cache lives in memory and is bounded: past `max_entries` the oldest nonces are dropped
first, which trades replay protection for memory only under a flood of distinct requests.
With several facade replicas a replay may reach a replica that has not seen the nonce; this
is an accepted limit of an in-memory cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Final

DEFAULT_MAX_ENTRIES: Final = 100_000


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

    def __len__(self) -> int:
        return len(self._expiry)

    def _evict(self, now: datetime) -> None:
        # Entries arrive roughly in expiry order, so expired ones collect at the front.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                return
            del self._expiry[key]
