"""Details text for the Web UI keeps article citations readable."""

from workflows.common import details_markdown


def test_citations_survive_the_markdown_typographer() -> None:
    text = details_markdown("clock stopped (Art 10(3)(c)); Annex I item (C); item (d)")
    # "(c)" would render as "©": a word joiner sits before the closing parenthesis.
    assert "(c)" not in text and "(C)" not in text
    assert text.replace("\u2060", "") == "clock stopped (Art 10(3)(c)); Annex I item (C); item (d)"
