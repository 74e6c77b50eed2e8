"""Reading the files a user names (flows, function registries, mock files, `@file` inputs,
AccessKey and namespaces files, TLS certificates and keys) with a bound on their size.

`Path.read_text` reads until end of file: a path such as `/dev/zero`, `/dev/urandom` or a
runaway log grows the process without limit inside one C call, where no signal handler runs,
so neither Ctrl-C nor SIGTERM stopped it before the kernel's OOM killer did (observed: 21 GB in
about a minute). No file fnf-temporal reads needs to be large: FnF caps a request, a flow
definition included, at 1 MiB, so a bound of 16 Mi characters leaves room for any local file
while every read ends quickly. A larger file is refused as `OSError(EFBIG)`, which every caller
already reports as "cannot read FILE: ..." in one line.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

MAX_CHARACTERS = 16 * 1024 * 1024
"""The most characters read from one file (16 Mi)."""


def read_text(path: str | os.PathLike[str], limit: int = MAX_CHARACTERS) -> str:
    """The file's UTF-8 text, as `Path.read_text` gives it (universal newlines), or OSError
    with errno EFBIG when it holds more than `limit` characters (nothing more is read)."""
    with Path(path).open(encoding="utf-8") as file:
        text = file.read(limit + 1)
    if len(text) > limit:
        raise OSError(errno.EFBIG, f"larger than {_size(limit)}, the most fnf reads from a file")
    return text


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_CHARACTERS) -> bytes:
    """The file's bytes, as `Path.read_bytes` gives them, or OSError with errno EFBIG when it
    holds more than `limit` bytes (nothing more is read)."""
    with Path(path).open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {_size(limit, 'bytes')}, the most fnf reads")
    return data


def _size(limit: int, unit: str = "characters") -> str:
    mebi = 1024 * 1024
    return f"{limit // mebi} Mi {unit}" if limit % mebi == 0 else f"{limit} {unit}"
