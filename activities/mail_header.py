"""RFC 2047 encoded words for a header, in one pass: the standard library's encoder, made linear.

``email.header.Header`` fits a non-ASCII header into lines by encoding the growing line again
after every character ("brute force it", says its own comment in ``email/charset.py``): for a
letter's subject of two or three lines that is about a millisecond of the worker per message,
most of the CPU an e-mail costs us before it reaches the SMTP server (docs/performance.md). With
UTF-8 and quoted-printable encoded words the length of a line is the sum of its characters'
lengths, so the same decisions can be taken by adding one character's length at a time.

:class:`Utf8Header` gives a ``Header`` exactly the standard library's lines, character for
character (``tests/activities/test_mail_header.py`` holds them equal over many subjects); any
case it does not cover (base64 chosen as the shorter encoding, another charset) is left to the
standard library's own loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import base64mime, quoprimime
from email.charset import SHORTEST, Charset
from email.header import Header

# The RFC 2047 chrome of one encoded word: "=?" + charset + "?q?" + ... + "?="
_CHROME = len("=??q??=")
# How many characters each ASCII character takes in a "q" encoded word (1, or 3 as "=XX"); every
# byte of a character beyond ASCII takes 3.
_ASCII_WIDTH = [quoprimime.header_length(bytes([b])) for b in range(128)]


def _width(character: str) -> int:
    code = ord(character)
    if code < 128:
        return _ASCII_WIDTH[code]
    return 3 * len(character.encode("utf-8", "surrogateescape"))


class Utf8Header(Charset):
    """UTF-8, the shorter of quoted-printable and base64 for headers (as ``Charset("utf-8")``),
    with the line fitting done in one pass when quoted-printable is the shorter."""

    def __init__(self) -> None:
        super().__init__("utf-8")
        assert self.header_encoding == SHORTEST and self.output_charset == "utf-8"

    def header_encode_lines(self, string: str, maxlengths: Iterator[int]) -> list[str | None]:
        data = string.encode("utf-8", "surrogateescape")
        if base64mime.header_length(data) < quoprimime.header_length(data):
            # The standard library's choice (SHORTEST): base64, whose length is not additive.
            return super().header_encode_lines(string, maxlengths)  # type: ignore[no-any-return]
        extra = len("utf-8") + _CHROME
        lines: list[str | None] = []
        current: list[str] = []
        length = 0
        maxlen = next(maxlengths) - extra
        for character in string:
            width = _width(character)
            if length + width > maxlen:
                # As the standard library does: the character starts the next line, and a
                # first line that can hold nothing at all is given as None.
                if not lines and not current:
                    lines.append(None)
                else:
                    lines.append(_word(current))
                current, length = [character], width
                maxlen = next(maxlengths) - extra
            else:
                current.append(character)
                length += width
        lines.append(_word(current))
        return lines


def _word(characters: list[str]) -> str:
    return quoprimime.header_encode(
        "".join(characters).encode("utf-8", "surrogateescape"), charset="utf-8"
    )


def encoded_header(text: str, name: str) -> Header:
    """A header value as ``Header(text, "utf-8", header_name=name)`` encodes it, in one pass."""
    return Header(text, Utf8Header(), header_name=name)
