"""What an attacker who knows a run id can compute: the secrets `workflow.random()` draws.

Temporal's core SDK seeds a run's `workflow.random()` with SipHash-1-3 (keys 0, 0) of the run's
original run id, hashed the way Rust hashes a `str` (its UTF-8 bytes, then a 0xFF byte); the
Python SDK then draws from `random.Random(seed)`. The run id is no secret: GetExecutionHistory's
NextToken is `<EventId>:<run id>`. Task tokens minted from that generator were forgeable; tests
use this module to forge them and prove that today's tokens are not.

SipHash: Aumasson and Bernstein, "SipHash: a fast short-input PRF" (2012); SipHash-1-3 is the
variant with one compression round and three finalization rounds.
"""

from __future__ import annotations

import random

from worker.callbacks.tokens import TaskToken

_MASK = (1 << 64) - 1


def _rotate(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _sip_round(v: list[int]) -> None:
    v[0] = (v[0] + v[1]) & _MASK
    v[1] = _rotate(v[1], 13) ^ v[0]
    v[0] = _rotate(v[0], 32)
    v[2] = (v[2] + v[3]) & _MASK
    v[3] = _rotate(v[3], 16) ^ v[2]
    v[0] = (v[0] + v[3]) & _MASK
    v[3] = _rotate(v[3], 21) ^ v[0]
    v[2] = (v[2] + v[1]) & _MASK
    v[1] = _rotate(v[1], 17) ^ v[2]
    v[2] = _rotate(v[2], 32)


def siphash13(data: bytes, key0: int = 0, key1: int = 0) -> int:
    v = [
        key0 ^ 0x736F6D6570736575,
        key1 ^ 0x646F72616E646F6D,
        key0 ^ 0x6C7967656E657261,
        key1 ^ 0x7465646279746573,
    ]
    whole = len(data) - len(data) % 8
    last = ((len(data) & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    words = [int.from_bytes(data[i : i + 8], "little") for i in range(0, whole, 8)]
    for word in [*words, last]:
        v[3] ^= word
        _sip_round(v)
        v[0] ^= word
    v[2] ^= 0xFF
    for _ in range(3):
        _sip_round(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def randomness_seed(run_id: str) -> int:
    """The seed of `workflow.random()` in a run started with this run id."""
    return siphash13(run_id.encode() + b"\xff")


def predicted_secrets(run_id: str, draws: int = 8) -> list[str]:
    """The first `draws` 128-bit secrets `workflow.random()` gives in that run."""
    generator = random.Random(randomness_seed(run_id))
    return [f"{generator.getrandbits(128):032x}" for _ in range(draws)]


def forged_tokens(real: TaskToken, run_id: str, draws: int = 8) -> list[str]:
    """Tokens for the same task as `real`, each with a secret predicted from the run id."""
    return [
        TaskToken(real.flow, real.execution, real.step_event_id, secret).encode()
        for secret in predicted_secrets(run_id, draws)
    ]
