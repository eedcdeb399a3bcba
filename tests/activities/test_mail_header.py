"""The one-pass subject encoder (activities/mail_header.py) gives exactly the standard library's
encoded words and folding, and the message as a whole is what it was."""

from __future__ import annotations

import email
import random
from email.header import Header, decode_header, make_header

import pytest

from activities.mail_header import Utf8Header, encoded_header

SUBJECTS = [
    "",
    "Receipt",
    "Acknowledgement of receipt of notification (Cartagena Protocol, Article 9) – Insect-resistant "
    "maize MON 810 (Zea mays L. expressing Cry1Ab) – case aia-hu-bench-d6785d-c00599",
    "Értesítés átvételének visszaigazolása (Cartagena Jegyzőkönyv 9. cikk) – Rovarrezisztens "
    "kukorica MON-ØØ81Ø-6 – ügyszám aia-hu-2026-0001",
    "Maize MON-ØØ81Ø-6",
    "árvíztűrő tükörfúrógép " * 12,
    "ÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁÁ",
    "a" * 200 + "é",
    "Határidő elmulasztva 🚨 / Deadline missed 🚨: aia-hu-2026-0042 (CP Art 9(1))",
    "转基因生物越境转移通知 – 案件 aia-hu-2026-0007",
    "=?utf-8?q?looks_encoded?= but is not – ő",
    "tab\tand  double  spaces – ű",
]

_ALPHABET = "abc XYZ 019 ()-–,.:;?=_\"'/ áéíóöőúüű ÁÉÍÓÖŐÚÜŰ Ø€ 中文 🚨"


def _stdlib(text: str, name: str, maxlinelen: int | None = None) -> str:
    return Header(text, "utf-8", header_name=name).encode(maxlinelen=maxlinelen)


def _ours(text: str, name: str, maxlinelen: int | None = None) -> str:
    return Header(text, Utf8Header(), header_name=name).encode(maxlinelen=maxlinelen)


@pytest.mark.parametrize("text", SUBJECTS)
@pytest.mark.parametrize("name", ["Subject", "X-A-Much-Longer-Header-Name-Than-Usual"])
@pytest.mark.parametrize("maxlinelen", [None, 40, 78, 998])
def test_the_same_encoded_words_as_the_standard_library(
    text: str, name: str, maxlinelen: int | None
) -> None:
    assert _ours(text, name, maxlinelen) == _stdlib(text, name, maxlinelen)


def test_the_same_over_random_subjects() -> None:
    rng = random.Random(20261205)
    for _ in range(2_000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 260)))
        assert _ours(text, "Subject") == _stdlib(text, "Subject"), text


def test_base64_where_it_is_shorter_as_the_standard_library_chooses() -> None:
    text = "中文的主题行很长" * 10  # three bytes a character: base64 is the shorter
    ours = _ours(text, "Subject")
    assert "?b?" in ours.lower()
    assert ours == _stdlib(text, "Subject")


@pytest.mark.parametrize("text", SUBJECTS[1:])
def test_the_subject_reads_back_as_written(text: str) -> None:
    msg = email.message.Message()
    msg["Subject"] = encoded_header(text, "Subject")  # type: ignore[assignment]
    raw = msg.as_bytes()
    assert all(len(line) <= 78 for line in raw.splitlines())
    parsed = email.message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == text
