"""A mistake in an AccessKey setting or file is reported without the secrets it holds: the
message names the entry's position or the line and column, never the text there (PyYAML's
own message quotes the offending line, which may be `id: secret`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.protocol.access_keys import AccessKeys

SECRET = "Sup3rSecretValue-0123456789"


@pytest.mark.parametrize(
    "text",
    [
        f"ok:fine,{SECRET}",  # a secret pasted without its ID
        f"{SECRET}:",
        f"ok:fine, :{SECRET}",
    ],
)
def test_fnf_access_keys_mistakes_name_the_entry_not_its_text(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        AccessKeys.parse(text)
    message = str(refused.value)
    assert "FNF_ACCESS_KEYS" in message and "entry" in message
    assert SECRET[:4] not in message and "fine" not in message


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (f"ok: fine\n{SECRET} x: : y\n", "at line 2, column"),
        (f"ok: fine\nother: [{SECRET}\n", "at line 3, column"),
        (f'{{"ok": "{SECRET}", \n', "at line"),
    ],
)
def test_an_access_key_file_mistake_names_the_line_not_its_text(
    tmp_path: Path, content: str, where: str
) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(content)
    with pytest.raises(ValueError) as refused:
        AccessKeys.from_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not valid YAML or JSON {where}"), message
    assert SECRET[:8] not in message and "fine" not in message and "\n" not in message
