"""A key given twice in any YAML or JSON file `fnf` reads is one positioned `error:` line with
exit 2, before anything starts. PyYAML keeps the last value and drops the others without a
word: flows and function registries refused it already, but a mock file silently lost a case,
an AccessKey file one of two secrets, and a namespaces file one of two teams for a key (calls
signed with it then ran in whichever namespace came last)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from translator.yaml_nesting import safe_load

EXAMPLES = Path(__file__).parents[2] / "examples"
CASE = "    input: {reserve_hotel_result: success}\n    expect: {status: Succeeded}\n"
MOCKS = f"cases:\n  ok:\n{CASE}  ok:\n{CASE}"
"""Two cases named `ok`, each valid: one of them used to be dropped."""


def fnf(folder: Path, *args: str, **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("fnf")), *args],
        cwd=folder,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def one_error(code: int, stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def test_a_mock_file_with_a_case_named_twice(tmp_path: Path) -> None:
    (tmp_path / "mocks.yaml").write_text(MOCKS)
    code, _, err = fnf(
        tmp_path, "test", str(EXAMPLES / "saga" / "flow.yaml"), "--mocks", "mocks.yaml"
    )
    assert "line 5, column 3: found duplicate key 'ok'" in one_error(code, err)


def test_a_namespaces_file_with_a_key_named_twice(tmp_path: Path) -> None:
    (tmp_path / "namespaces.yaml").write_text("team-key: team-a\nteam-key: team-b\n")
    code, _, err = fnf(
        tmp_path,
        "api",
        "--address",
        "127.0.0.1:1",  # never reached: the file is read before anything starts
        FNF_NAMESPACES_FILE="namespaces.yaml",
        FNF_ACCESS_KEYS="team-key:secret-1",
    )
    line = one_error(code, err)
    assert "FNF_NAMESPACES_FILE" in line and "line 2, column 1: found duplicate key" in line


def test_an_access_key_file_with_an_id_named_twice(tmp_path: Path) -> None:
    (tmp_path / "keys.yaml").write_text("ak: first-secret\nak: second-secret\n")
    code, _, err = fnf(
        tmp_path, "api", "--address", "127.0.0.1:1", FNF_ACCESS_KEYS_FILE="keys.yaml"
    )
    line = one_error(code, err)
    assert "line 2, column 1: an AccessKey ID given twice" in line
    assert "secret" not in line.replace("one secret would", "")


@pytest.mark.parametrize(
    "text", ['{"a": 1, "a": 2}', "a: 1\nb: {c: 1, c: 2}\n", "- {x: 1, x: 1}\n"]
)
def test_every_reader_refuses_a_duplicate_key_json_or_yaml(text: str) -> None:
    with pytest.raises(Exception, match="found duplicate key"):
        safe_load(text)
