"""What a JSONPath member name is, and where a path ends inside a longer text.

RFC 9535 section 2.5.1.1 defines the dot shorthand's names; every reader of paths (JSONPath
parsing, mapping sources, conditions) uses these functions, so `$.城市` means the same
everywhere.
"""

from __future__ import annotations

from translator.errors import ExpressionError


def is_name_first(char: str) -> bool:
    """RFC 9535 name-first: ALPHA / "_" / %x80-D7FF / %xE000-10FFFF (so `城`, `é`, `😀`; no
    surrogates, no digit, no DEL)."""
    code = ord(char)
    return (
        "a" <= char <= "z"
        or "A" <= char <= "Z"
        or char == "_"
        or 0x80 <= code <= 0xD7FF
        or 0xE000 <= code <= 0x10FFFF
    )


def is_name_char(char: str) -> bool:
    """RFC 9535 name-char (name-first / DIGIT), plus `-`: FDL flows in the field read keys such as
    `$.video-key`, which earlier releases (and jsonpath_ng) accepted, so it stays accepted."""
    return is_name_first(char) or "0" <= char <= "9" or char == "-"


def name_end(text: str, start: int) -> int:
    """Offset just past the run of name characters starting at `text[start]`."""
    pos = start
    while pos < len(text) and is_name_char(text[pos]):
        pos += 1
    return pos


def path_end(text: str, start: int) -> int:
    """Where the path starting at `text[start]` (a `$`) ends inside a larger text (a condition).

    Only the extent is found here, with the same name grammar as `parse_path`, which then
    validates the snippet: `$.城市 == "杭州"` ends before the space, `$.a[?(@.b > 1)]` after `]`.
    """
    pos = name_end(text, start + 1)  # `$a` is one (bad) path, not `$` then a word
    while pos < len(text):
        if text[pos] == "[":
            pos = _bracket_end(text, pos)
        elif text[pos] == ".":
            pos += 2 if text.startswith("..", pos) else 1
            pos = pos + 1 if text.startswith("*", pos) else name_end(text, pos)
        else:
            break
    return pos


def _bracket_end(text: str, start: int) -> int:
    """Offset just past the `]` matching `text[start]`, skipping quoted strings inside."""
    depth, pos, quote = 0, start, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise ExpressionError("unterminated '[' in path", start)
