"""MNS message bodies are checked at the door like every value that enters the engine
(translator/json_values.py's text check, and MNS's size rule): a body that is not valid
Unicode text or is over 64 KiB is refused with MNS's own `<Error>` (400, MalformedXML or
InvalidArgument), by SendMessage, BatchSendMessage and PublishMessage alike, and nothing is
stored. The bodies are sent as signed raw HTTP: the SDK would not send them."""

from __future__ import annotations

import pytest

from tests.api.test_mns_facade import Facade, facade
from tests.api.test_mns_management import error_code, signed, unique

__all__ = ["facade"]  # the module-scoped fixture, shared with the facade tests

XML_UTF16 = '<?xml version="1.0" encoding="UTF-16"?>'


def utf16_with(units: bytes, root: str) -> bytes:
    """A UTF-16 document whose MessageBody holds `units` (raw UTF-16LE code units)."""
    before = f"{XML_UTF16}<{root}><MessageBody>a".encode("utf-16-le")
    after = f"</MessageBody></{root}>".encode("utf-16-le")
    return b"\xff\xfe" + before + units + after


def document(body: bytes, root: str) -> bytes:
    return f"<{root}><MessageBody>".encode() + body + f"</MessageBody></{root}>".encode()


BODIES = {
    # name: (the raw MessageBody, whether it is a UTF-16 code unit sequence), MNS's answer
    "lone surrogate reference": ((b"a&#xD800;b", False), "MalformedXML"),
    "lone surrogate as UTF-8 bytes": ((b"a\xed\xa0\x80b", False), "MalformedXML"),
    "lone low surrogate in UTF-16": ((b"\x00\xdc", True), "MalformedXML"),
    "65,537 bytes": ((b"x" * 65_537, False), "InvalidArgument"),
    "65,538 bytes in 21,846 characters": ((("€" * 21_846).encode(), False), "InvalidArgument"),
}


def message(raw: tuple[bytes, bool], root: str) -> bytes:
    body, utf16 = raw
    return utf16_with(body, root) if utf16 else document(body, root)


def batch(raw: tuple[bytes, bool]) -> bytes:
    body, utf16 = raw
    if utf16:
        inner = utf16_with(body, "Message")[2 + len(XML_UTF16.encode("utf-16-le")) :]
        return (
            b"\xff\xfe"
            + (XML_UTF16 + "<Messages>").encode("utf-16-le")
            + inner
            + ("</Messages>".encode("utf-16-le"))
        )
    return b"<Messages>" + document(body, "Message") + b"</Messages>"


@pytest.mark.parametrize("case", list(BODIES))
def test_bad_bodies_are_refused_with_mns_errors_and_nothing_is_stored(
    facade: Facade, case: str
) -> None:
    raw, code = BODIES[case]
    queue = unique("bodies")
    path = f"/queues/{queue}/messages"
    assert error_code(signed(facade, "POST", path, message(raw, "Message"))) == (400, code)
    assert error_code(signed(facade, "POST", path, batch(raw))) == (400, code)
    topic = unique("bodies")
    published = signed(facade, "POST", f"/topics/{topic}/messages", message(raw, "Message"))
    assert error_code(published) == (400, code)

    assert error_code(signed(facade, "GET", f"{path}?peekonly=true")) == (404, "MessageNotExist")


def test_a_body_of_65536_bytes_and_any_text_is_taken(facade: Facade) -> None:
    """The limit itself, and text that is not JSON (MNS bodies are any text: NaN, a deep
    bracket nest), pass: only what is not text, or too long, is refused."""
    queue = unique("bodies")
    path = f"/queues/{queue}/messages"
    for body in (b"y" * 65_536, b'{"n": NaN}', b"[" * 100):
        sent = signed(facade, "POST", path, document(body, "Message"))
        assert sent.status_code == 201, sent.text
