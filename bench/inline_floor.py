"""The floor under inline steps: what the hand-written loop costs once it keeps what an FnF
history must keep, with no interpreter at all.

    python bench/inline_floor.py                      # loop:1000,loop:3000,loop:100000
    python bench/inline_floor.py --workloads loop:100000 --repeats 5 --json floor.json

`inline_steps.py` compares fnf-temporal's choice loop with `handwritten.CountingLoop`, a
`while` loop that copies dicts and records nothing. FnF's GetExecutionHistory, though, answers
every step's events with their data: StepEntered carries the step's input, StepExited its input
and the container's local after it (the event shapes of spec/API.md), each within the per-event
quota. So any engine running FDL, compiled or interpreted, does per step at least what
`recorded` does here: build the step's input, keep one record holding it and the local with an
EventId and a time, and know the two sizes against the quota. `recorded` is that work written
by hand for this one flow (no parsing, no mapping or condition evaluation, no calls): a lower
bound, not a design.

Both sides run in this process, plain CPython (no Temporal, no sandbox), alternating, on the
same workload as `inline_steps.py loop:N`, and both are checked against its expected local.
The ratio `recorded / hand` is the least an inline step can cost against the hand-written side
while keeping FnF's history; fnf-temporal's own figure is `inline_steps.py`'s workflow CPU per
step.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from handwritten import CountingLoop
from inline_steps import digits_of, loop_steps

DEFAULT_WORKLOADS = "loop:1000,loop:3000,loop:100000"
EVENT_TIME = "2026-11-30T00:00:00.000Z"
"""One Time for every record: formatting the workflow clock is the engine's cost, not the
floor's (the real log formats it once per activation)."""
QUOTA = 32 * 1024
"""FnF's per-event data quota, bytes (FNF_EVENT_DATA_LIMIT's default)."""


def hand(flow_input: dict[str, Any], target: list[int]) -> dict[str, Any]:
    """`handwritten.CountingLoop.run` itself: its coroutine never awaits, so one send runs it."""
    coroutine = CountingLoop().run({"input": flow_input, "target": target})
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: dict[str, Any] = done.value
        return result
    raise AssertionError("CountingLoop awaited something")


class Recorder:
    """The least an FnF history needs of one step: a record of its input and the local after
    it, an EventId range, a Time, and their sizes within the quota (kept incrementally)."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.next_id = 1

    def step(self, name: str, events: int, value: Any, local: Any, sizes: tuple[int, int]) -> None:
        if sizes[0] > QUOTA or sizes[1] > QUOTA:
            raise ValueError(f"{name}: over the quota")
        self.records.append((self.next_id, name, EVENT_TIME, value, local))
        self.next_id += events


def recorded(flow_input: dict[str, Any], target: list[int]) -> dict[str, Any]:
    """The loop of `inline_steps.loop_flow`, step by step as FDL defines its data: the choice
    `loop` takes the flow input + local as its input; the option's pass step (`set<d>`, or
    `zero<d>` and the nested choice `carry<d+1>`) runs in the option's sequence, whose local
    starts empty; the choice's output (its local) is merged into the flow's local."""
    keys = [f"d{place}" for place in range(len(target))]
    log = Recorder()
    step = log.step
    blob_size = len(json.dumps(flow_input["blob"]))
    local: dict[str, Any] = {"blob": flow_input["blob"], **dict.fromkeys(keys, 0)}
    size = blob_size + 8 + sum(len(key) + 4 for key in keys) + 1  # {"blob":..,"d0":0,..}
    step("init", 4, flow_input, local, (size, size))
    while True:
        value = {**flow_input, **local}
        if all(value[key] == digit for key, digit in zip(keys, target, strict=True)):
            step("loop", 4, value, local, (size, size))
            break
        step("loop", 2, value, None, (size, 0))  # StepEntered, StepStarted
        option: dict[str, Any] = {}
        place = 0
        while value[keys[place]] == 9:
            update = {keys[place]: 0}
            option = {**option, **update}
            step(f"zero{place}", 4, value, option, (size, len(keys[place]) + 6))
            place += 1
            step(f"carry{place}", 2, value, None, (size, 0))
        key = keys[place]
        update = {key: value[key] + 1}
        option = {**option, **update}
        step(f"set{place}", 4, value, option, (size, len(key) + 6))
        for carried in range(place, 0, -1):
            step(f"carry{carried}", 2, value, option, (size, size))  # closed: local = option
        before = len(str(value[key]))
        local = {**local, **option}
        size += len(str(local[key])) - before
        step("loop", 2, value, local, (size, size))  # StepSucceeded, StepExited
    step("done", 4, local, local, (size, size))
    return local


SIDES: dict[str, Callable[[dict[str, Any], list[int]], dict[str, Any]]] = {
    "hand": hand,
    "recorded": recorded,
}


def measure(side: str, iterations: int, blob: str) -> float:
    """CPU seconds of one run of `side` with the garbage collector off (the engine hands its
    records over every few thousand steps; this floor keeps them all), its result checked."""
    target = digits_of(iterations, len(str(iterations)))
    flow_input = {"blob": blob}
    expected = {"blob": blob, **{f"d{place}": digit for place, digit in enumerate(target)}}
    gc.collect()
    gc.disable()  # 200,000 kept records make the collector's passes the floor's biggest cost
    try:
        started = time.process_time()
        result = SIDES[side](flow_input, target)
        elapsed = time.process_time() - started
    finally:
        gc.enable()
    if result != expected:
        raise SystemExit(f"{side} loop:{iterations} returned {result!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blob-kb", type=int, default=0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    blob = "x" * (args.blob_kb * 1024)
    figures = []
    for spec in args.workloads.split(","):
        kind, _, size = spec.partition(":")
        if kind != "loop":
            raise SystemExit(f"unknown workload {spec!r} (loop:N)")
        iterations = int(size)
        steps = loop_steps(iterations)
        times: dict[str, list[float]] = {side: [] for side in SIDES}
        for repeat in range(args.repeats):
            order = list(SIDES) if repeat % 2 == 0 else list(reversed(SIDES))
            for side in order:
                times[side].append(measure(side, iterations, blob))
        per_step = {side: statistics.median(t) / steps * 1e6 for side, t in times.items()}
        ratio = per_step["recorded"] / per_step["hand"]
        figures.append({"workload": spec, "steps": steps, "us_per_step": per_step, "ratio": ratio})
        print(
            f"{spec:>13} {steps:>7} steps | hand {per_step['hand']:6.2f} us/step"
            f" | recorded {per_step['recorded']:6.2f} us/step | ratio {ratio:5.2f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
