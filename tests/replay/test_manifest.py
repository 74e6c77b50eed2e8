"""Each committed history names the interpreter that recorded it (tests/replay/manifest.py),
and the manifest stays true to the files: an entry per history, the version markers each
history really carries, and versions no newer than this one."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from tests.replay.manifest import REPLAY, history_files, load, patches_in

MANIFEST = load()


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_every_history_has_an_entry_and_every_entry_a_history() -> None:
    assert sorted(MANIFEST) == history_files()


@pytest.mark.parametrize("name", history_files())
def test_entry_names_the_interpreter_that_recorded_it(name: str) -> None:
    entry = MANIFEST[name]
    assert _release(entry["fnf-temporal"]) <= _release(version("fnf-temporal"))
    assert re.fullmatch(r"[0-9a-f]{7,40}\+?", entry["commit"]), entry
    assert entry["patches"] == patches_in(REPLAY / name)


def test_histories_of_several_interpreter_versions_replay() -> None:
    """The suite holds runs recorded before and after patches: markers differ across it."""
    assert len({tuple(entry["patches"]) for entry in MANIFEST.values()}) >= 5
    assert any(not entry["patches"] for entry in MANIFEST.values())
