"""The sealing key and sealed texts (api/mns/sealing.py), without Temporal: a text opens only
with the key, the context and the binding it was sealed with; every unusable key source is one
line naming it, never a traceback or a secret."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.mns.sealing import (
    DEFAULT_FILE_NAME,
    ENV_SEALING_KEY,
    ENV_SEALING_KEY_FILE,
    SealingError,
    SealingKey,
)
from cli.api import sealing_key
from cli.errors import UserError
from tests.api.conftest import free_port
from worker.settings import Settings

SECRET = "a deployment's sealing secret, 32+"


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=4000), st.text(max_size=40))
def test_a_sealed_text_opens_with_its_key_context_and_binding(data: bytes, binding: str) -> None:
    key = SealingKey.from_secret(SECRET, "test")
    sealed = key.seal(data, "thing", binding)
    assert key.open(sealed, "thing", binding) == data
    assert data == b"" or base64.b64encode(data).decode() not in sealed
    with pytest.raises(SealingError, match="damaged or was changed"):
        key.open(sealed, "thing", binding + "x")
    with pytest.raises(SealingError, match="damaged or was changed"):
        key.open(sealed, "other thing", binding)


def test_sealing_twice_gives_two_texts() -> None:
    """A fresh nonce each time: equal secrets do not show as equal ciphertexts."""
    key = SealingKey.from_secret(SECRET, "test")
    assert key.seal(b"same", "thing") != key.seal(b"same", "thing")


def test_another_key_is_named_not_guessed() -> None:
    mine = SealingKey.from_secret(SECRET, "mine")
    theirs = SealingKey.from_secret(SECRET + "!", "theirs")
    sealed = theirs.seal(b"private", "MNS push signing key")
    with pytest.raises(SealingError) as refused:
        mine.open(sealed, "MNS push signing key")
    message = str(refused.value)
    assert theirs.key_id in message and mine.key_id in message and "from mine" in message
    assert ENV_SEALING_KEY in message and SECRET not in message
    assert mine.key_id != theirs.key_id and len(mine.key_id) == 16
    assert SECRET not in repr(mine) and mine.key.hex() not in repr(mine)


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[:-4] + ("AAAA" if not s.endswith("AAAA") else "BBBB"),  # another tag
        lambda s: s.replace(":", ";", 1),  # not our prefix
        lambda s: s.rsplit(":", 1)[0] + ":!!not base64!!",
        lambda s: s.rsplit(":", 1)[0] + ":" + base64.b64encode(b"short").decode(),
        lambda s: "",
    ],
)
def test_a_damaged_text_is_one_clear_error(damage: object) -> None:
    key = SealingKey.from_secret(SECRET, "test")
    sealed = key.seal(b"private", "thing")
    with pytest.raises(SealingError, match="sealed thing"):
        key.open(damage(sealed), "thing")  # type: ignore[operator]


def test_the_default_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / DEFAULT_FILE_NAME
    made: list[SealingKey] = []
    threads = [
        threading.Thread(target=lambda: made.append(SealingKey.create_or_read(path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({key.key_id for key in made}) == 1  # racing starts agree on one key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SealingKey.create_or_read(path).key_id == made[0].key_id  # kept for the next start


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "at least 32 characters, got 0"),
        (b"short\n", "at least 32 characters, got 5"),
        (b"\xff\xfe" + b"\x00" * 40, "not UTF-8 text"),
        (b"x" * 5000, "over 4096 bytes"),
    ],
)
def test_a_corrupt_key_file_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "sealing.key"
    path.write_bytes(content)
    for read in (SealingKey.from_file, SealingKey.create_or_read):
        with pytest.raises(SealingError) as refused:
            read(path)
        assert expected in str(refused.value) and str(path) in str(refused.value)


def test_a_missing_or_unreadable_key_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SealingError, match=f"{ENV_SEALING_KEY_FILE}: .*no such sealing key file"):
        SealingKey.configured(None, tmp_path / "nope.key", tmp_path / DEFAULT_FILE_NAME)
    assert not (tmp_path / DEFAULT_FILE_NAME).exists()  # a named file is never made up
    with pytest.raises(SealingError, match="is a folder"):
        SealingKey.from_file(tmp_path)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(SealingError, match="cannot create the sealing key file"):
        SealingKey.create_or_read(blocked / DEFAULT_FILE_NAME)
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked.key"
        locked.write_text(SECRET)
        locked.chmod(0)
        with pytest.raises(SealingError, match="cannot read the sealing key"):
            SealingKey.from_file(locked)


def test_the_setting_wins_over_the_file_and_the_file_over_the_default(tmp_path: Path) -> None:
    file = tmp_path / "given.key"
    file.write_text(SECRET + "\n")
    default = tmp_path / DEFAULT_FILE_NAME
    from_file = SealingKey.configured(None, file, default)
    assert from_file.key_id == SealingKey.from_secret(SECRET, "x").key_id
    assert SealingKey.configured(SECRET + "?", file, default).key_id != from_file.key_id
    assert not default.exists()
    with pytest.raises(SealingError, match=f"^{ENV_SEALING_KEY}: .*got 3"):
        SealingKey.configured("abc", None, default)


def test_fnf_api_keeps_its_key_beside_the_dev_server_database(tmp_path: Path) -> None:
    settings = Settings(dev_server_db=tmp_path / "db" / "temporal.db")
    key = sealing_key(settings)
    path = tmp_path / "db" / DEFAULT_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sealing_key(settings).key_id == key.key_id
    path.write_text("too short")
    with pytest.raises(UserError, match=f"{DEFAULT_FILE_NAME}: the sealing key must be at least"):
        sealing_key(settings)
    assert "mns_sealing_key=" not in repr(Settings(mns_sealing_key=SECRET))
    assert SECRET not in repr(Settings(mns_sealing_key=SECRET, mns_access_key_secret=SECRET))


def test_fnf_dev_with_a_corrupt_key_file_is_one_line(tmp_path: Path) -> None:
    """Checked before the dev server starts: one `error:` line naming the file, exit 2."""
    data = tmp_path / "data"
    data.mkdir()
    (data / DEFAULT_FILE_NAME).write_bytes(b"\x00" * 10)
    ports = [str(free_port()) for _ in range(3)]
    options = ["--port", ports[0], "--temporal-port", ports[1], "--ui-port", ports[2]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FNF_")}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "dev", "--data", str(data), *options],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {data / DEFAULT_FILE_NAME}: the sealing key must be")
    assert not (data / "temporal.db").exists()  # nothing started
