"""Sizes of flow data as compact UTF-8 JSON, measured once per value (FnF's per-event quota,
worker/interpreter/budget.py, needs a step's input and local at every step).

Flow data is never changed in place once a step has produced it (mappings share the values
they select, `merge` builds a new object), so a value's size can be remembered by identity.
A local that `merge` derives from a measured one is measured from the keys that changed only:
the size of a compact JSON object is additive over its members,

    size({k1: v1, ..., kn: vn}) = 1 + sum(size(json(ki)) + 1 + size(vi) + 1)   (n >= 1; {} is 2)

so a loop that carries a large `$local` pays for what each step changes, not for all of it.
The sizes are exactly what `len(json.dumps(value, ensure_ascii=False,
separators=(",", ":")).encode())` gives, so quota errors name the same byte counts.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

REMEMBERED = 256
"""Values whose size is kept (the oldest is forgotten first). A forgotten value is measured
again if it comes back: a cost, never a different answer."""

_SMALL_TEXT = 64
"""Strings up to this length are measured on the spot, not remembered."""

_FEW_MEMBERS = 32
"""Objects up to this many members are sized from their members when one is known."""

_TEXTS_KEPT = 4096
"""Short strings whose size is kept; all are forgotten when there are more."""


def compact(value: Any) -> str:
    """JSON as FnF's EventDetail writes it: compact, non-ASCII text kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ESCAPED = re.compile(r'["\\\x00-\x1f]')
"""Characters JSON writes escaped (RFC 8259 section 7); with non-ASCII text kept, every other
character is written as itself."""


def measured(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON, measured from scratch."""
    text = compact(value)
    return len(text) if text.isascii() else len(text.encode())


@dataclass
class JsonSizes:
    """Sizes of the values one run handles, remembered by identity (with the value itself,
    so that its id cannot be reused while it is remembered). `measured_bytes` counts the
    bytes serialised to measure, the work the sizes cost (worker/interpreter/work.py)."""

    known: OrderedDict[int, tuple[Any, int]] = field(default_factory=OrderedDict)
    """By id, oldest first. An OrderedDict forgets its oldest in constant time; a dict's
    `next(iter(...))` walks the slots its earlier deletions left empty (about 1 µs of a
    long run's every step). Same order, so the same values are forgotten."""
    measured_bytes: int = 0
    _texts: dict[str, int] = field(default_factory=dict)
    """Sizes of short strings met so far (`_short_text`)."""

    def size(self, value: Any) -> int:
        """Plain checks only (`type(...) is`): Temporal's sandbox wraps isinstance, which
        costs microseconds a call inside workflow code."""
        kind = type(value)
        if kind is str and len(value) <= _SMALL_TEXT:
            return self._short_text(value)
        if kind is int:
            return len(int.__repr__(value))
        if kind is bool:
            return 4 if value else 5
        if value is None:
            return 4
        if kind is float:
            return len(float.__repr__(value)) if math.isfinite(value) else len(compact(value))
        remembered = self.known.get(id(value))
        if remembered is not None and remembered[0] is value:
            return remembered[1]
        return self._remember(value, self._sized(value, kind))

    def _sized(self, value: Any, kind: type) -> int:
        """A value neither scalar nor remembered: an object sharing a measured value sized
        from its members, anything else measured whole."""
        if kind is dict and self._holds_known(value):
            return _from_body(sum(self._member(k, v) for k, v in value.items()), len(value))
        return self._measured(value)

    def _measured(self, value: Any) -> int:
        """`measured`, counted in `measured_bytes` (the work meter's)."""
        size = measured(value)
        self.measured_bytes += size
        return size

    def _short_text(self, text: str) -> int:
        """A short string's size (a member name, a small value), kept: loops meet the same
        few again and again. Pure, so keeping it changes no answer and no count."""
        size = self._texts.get(text)
        if size is None:
            if len(self._texts) >= _TEXTS_KEPT:
                self._texts.clear()
            size = self._texts[text] = _text_size(text)
        return size

    def _holds_known(self, value: dict[str, Any]) -> bool:
        """A small object sharing a value already measured (a mapping that picked it): sized
        from its members rather than serialised whole again."""
        known = self.known
        return len(value) <= _FEW_MEMBERS and any(id(item) in known for item in value.values())

    def merge(self, base: Any, update: Any) -> dict[str, Any]:
        """data.merge (top-level keys of `update` win), with the result's size derived from
        the operands' when one of them is known, walking only the smaller one's keys."""
        base_dict = base if type(base) is dict or isinstance(base, dict) else {}
        update_dict = update if type(update) is dict or isinstance(update, dict) else {}
        merged = dict(base_dict)
        merged.update(update_dict)
        try:
            size = self._derived(base_dict, update_dict, merged)
        except UnicodeEncodeError:  # a lone surrogate: measured (or not) when recorded
            size = None
        if size is not None:
            self._remember(merged, size)
        return merged

    def _derived(
        self, base: dict[str, Any], update: dict[str, Any], merged: dict[str, Any]
    ) -> int | None:
        """Values are sized in the same order as always (sizing may measure and remember
        them, which the work meter counts): a replaced member's old value, then its new one.
        A known operand's size is its remembered one (what `size` answers for it), and short
        strings and integers, most members of a loop's local, are sized here without a call."""
        known = self.known
        if base:
            entry = known.get(id(base))
            base_size = entry[1] if entry is not None and entry[0] is base else -1
        else:
            base_size = 0
        if base_size >= 0 and (len(update) <= len(base) or not self._is_known(update)):
            body = base_size - 1 if base else 0
            texts = self._texts
            size = self.size
            for key, item in update.items():
                if key in base:
                    old = size(base[key])
                    kind = type(item)
                    if kind is int:
                        body += len(int.__repr__(item)) - old
                    elif kind is str and len(item) <= _SMALL_TEXT and item in texts:
                        body += texts[item] - old
                    else:
                        body += size(item) - old  # the same member name, another value
                else:
                    key_size = texts.get(key) if type(key) is str else None
                    if key_size is None:
                        key_size = self._key_size(key)
                    body += key_size + size(item) + 2
            return _from_body(body, len(merged))
        if self._is_known(update) or not update:
            size = self.size
            body = size(update) - 1 if update else 0
            for key, item in base.items():
                if key not in update:
                    body += self._key_size(key) + size(item) + 2
            return _from_body(body, len(merged))
        return None

    def _is_known(self, value: dict[str, Any]) -> bool:
        remembered = self.known.get(id(value))
        return not value or (remembered is not None and remembered[0] is value)

    def _member(self, key: Any, item: Any) -> int:
        """`"key":item,` in bytes."""
        return self._key_size(key) + self.size(item) + 2

    def _key_size(self, key: Any) -> int:
        """A member name as JSON writes it (a name that is not a string becomes one)."""
        if type(key) is str and len(key) <= _SMALL_TEXT:
            return self._short_text(key)
        return _key_size(key)

    def _remember(self, value: Any, size: int) -> int:
        if len(self.known) >= REMEMBERED:
            self.known.popitem(last=False)
        self.known[id(value)] = (value, size)
        return size


def _text_size(text: str) -> int:
    if _ESCAPED.search(text) is not None:
        return measured(text)
    return len(text) + 2 if text.isascii() else len(text.encode()) + 2


def _key_size(key: Any) -> int:
    """A member name as JSON writes it (a name that is not a string becomes one)."""
    if type(key) is str:
        return _text_size(key)
    return measured({key: 0}) - 4


def _from_body(body: int, count: int) -> int:
    """An object of `count` members whose `"key":value,` sizes add up to `body`."""
    return body + 1 if count else 2


LEAN_SINCE = 7
"""Runs of executions started with this interpreter version (worker/interpreter/versions.py)
or later size their data with `LeanSizes`; earlier ones keep `JsonSizes`, whose measuring
the work meter's pauses depend on (tests/worker/sizes_reference.py)."""

LEAN_REMEMBERED = 256
"""Values `LeanSizes` keeps at most; when full, it forgets the oldest half at once."""


def lean_merge(base: Any, update: Any) -> dict[str, Any]:
    """data.merge without copying when one operand is an empty object: the other one is the
    result itself. Flow data is never changed in place, so sharing it is safe, and the text
    of the result is the same. Other operands: data.merge."""
    if type(update) is dict and type(base) is dict:
        if not update:
            return base
        if not base:
            return update
        merged = base.copy()
        merged.update(update)
        return merged
    merged = dict(base) if type(base) is dict or isinstance(base, dict) else {}
    if type(update) is dict or isinstance(update, dict):
        merged.update(update)
    return merged


@dataclass
class LeanSizes(JsonSizes):
    """JsonSizes for runs since LEAN_SINCE, at a fraction of the cost a step:

    - `merge` with an empty operand returns the other one (`lean_merge`): its size is the
      one already known, and nothing is copied or remembered (a step without mappings takes
      its container's input as it is, a sequence's first step output becomes its local);
    - a small object of plain members (numbers, short text, values already measured) is
      sized from its members rather than serialised (a mapping's output, such as `{n: 3}`);
    - the remembered sizes are a plain dict that forgets its oldest half when full, rather
      than the oldest entry at every new one.

    Every size is still exact (errors name the same byte counts); only what is measured, and
    so the work meter's byte count, differs from JsonSizes, which is why a run's version
    picks one or the other."""

    known: dict[int, tuple[Any, int]] = field(default_factory=dict)  # type: ignore[assignment]

    def _sized(self, value: Any, kind: type) -> int:
        size = self._small_object(value) if kind is dict else -1
        return size if size >= 0 else self._measured(value)

    def _small_object(self, value: dict[str, Any]) -> int:
        """The size of an object of at most _FEW_MEMBERS members, each a scalar, short text
        or a value already known, from its members; -1 for any other (measured whole)."""
        if len(value) > _FEW_MEMBERS:
            return -1
        known = self.known
        texts = self._texts
        body = 0
        for key, item in value.items():
            kind = type(item)
            if kind is int:
                size = len(int.__repr__(item))
            elif kind is str and len(item) <= _SMALL_TEXT:
                size = texts.get(item) or self._short_text(item)
            elif kind is bool or item is None or kind is float:
                size = self.size(item)
            else:
                entry = known.get(id(item))
                if entry is None or entry[0] is not item:
                    return -1
                size = entry[1]
            key_size = texts.get(key) if type(key) is str else None
            body += (key_size or self._key_size(key)) + size + 2
        return _from_body(body, len(value))

    def merge(self, base: Any, update: Any) -> dict[str, Any]:
        if type(update) is not dict or type(base) is not dict:
            return super().merge(base, update)
        if not update:
            return base
        known = self.known
        if not base:  # the update is the result: sized now when that is cheap
            entry = known.get(id(update))
            if entry is None or entry[0] is not update:
                try:
                    size = self._small_object(update)
                except UnicodeEncodeError:
                    size = -1
                if size >= 0:
                    self._remember(update, size)
            result: dict[str, Any] = update
            return result
        merged = base.copy()
        merged.update(update)
        entry = known.get(id(base))
        try:
            if entry is not None and entry[0] is base and len(update) <= len(base):
                size = self._changed(base, entry[1], update)
            elif entry is None and len(update) >= len(base):
                size = self._covered(base, update)
            else:
                derived = self._derived(base, update, merged)
                size = -1 if derived is None else derived
        except UnicodeEncodeError:  # a lone surrogate: measured (or not) when recorded
            size = -1
        if size >= 0:  # _remember, inline (sizing members may have renewed `known`)
            known = self.known
            if len(known) >= LEAN_REMEMBERED:
                known = self._forget_half()
            known[id(merged)] = (merged, size)
        return merged

    def _covered(self, base: dict[str, Any], update: dict[str, Any]) -> int:
        """`_derived` of an unknown base and a known update at least as large (a container's
        input merged with its local): the update's size and the members only `base` has.
        -1 when the update is not known either."""
        entry = self.known.get(id(update))
        if entry is None or entry[0] is not update:
            return -1
        body = entry[1] - 1
        for key, item in base.items():
            if key not in update:
                body += self._key_size(key) + self.size(item) + 2
        return body + 1  # _from_body of a non-empty object

    def _changed(self, base: dict[str, Any], base_size: int, update: dict[str, Any]) -> int:
        """`_derived` of a known base and a smaller update, with integers and short text (a
        loop's counters and flags) sized inline: the size of `base` updated by `update`."""
        texts = self._texts
        body = base_size - 1
        for key, item in update.items():
            kind = type(item)
            if kind is int:
                new = len(int.__repr__(item))
            elif kind is str and len(item) <= _SMALL_TEXT:
                new = texts.get(item) or self._short_text(item)
            else:
                new = self.size(item)
            if key in base:
                old_item = base[key]
                kind = type(old_item)
                if kind is int:
                    body += new - len(int.__repr__(old_item))
                elif kind is str and len(old_item) <= _SMALL_TEXT:
                    body += new - (texts.get(old_item) or self._short_text(old_item))
                else:
                    body += new - self.size(old_item)
            else:
                key_size = texts.get(key) if type(key) is str else None
                body += (key_size or self._key_size(key)) + new + 2
        return body + 1  # _from_body of a non-empty object

    def _remember(self, value: Any, size: int) -> int:
        known = self.known
        if len(known) >= LEAN_REMEMBERED:
            known = self._forget_half()
        known[id(value)] = (value, size)
        return size

    def _forget_half(self) -> dict[int, tuple[Any, int]]:
        """Keep the newest half of the remembered sizes (the order they were remembered)."""
        kept = self.known = dict(list(self.known.items())[LEAN_REMEMBERED // 2 :])
        return kept
