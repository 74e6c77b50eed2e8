"""The FDL interpreter: walks a FlowGraph inside a Temporal workflow.

Layers: `sequence.py` runs one `steps:` list (data flow, jumps, catch); `steps/` holds one
executor per step type; `events.py` records the FnF-shaped history; `data.py` the pure data rules.
Everything here is workflow code: deterministic, no I/O, time only from `workflow.now()`.
"""
