"""What the letters say: the variants of a template's wording, the parties named in running text,
the articles a decision cites, and lapsed deadlines escalated together."""

from __future__ import annotations

from typing import Any

import pytest

from activities.letters import render_email
from tests.activities.email_contexts import context
from tests.activities.email_support import assert_phrases


@pytest.mark.parametrize(
    ("template", "overrides", "expected_en", "expected_hu"),
    [
        (
            "aia_acknowledgement",
            {
                "prima_facie_complete": False,
                "missing_items": ["Annex I(h): taxonomic status"],
                "procedure": "domestic_framework",
                "consent_route": "proceed_without_consent",
                "proceed_from": "2027-05-16",
                "decision_due": None,
                "decision_explanation": None,
            },
            ["Annex I(h): taxonomic status", "Article 10(2)(b)", "16 May 2027", "Article 9(3)"],
            ["Annex I(h): taxonomic status", "2027. május 16.", "belső szabályozási rendszere"],
        ),
        (
            "aia_decision",
            {"result": "prohibition", "conditions": [], "lack_of_scientific_certainty": False},
            ["Decision prohibiting the import", "Article 10(3)(b)", "Article 10(4)"],
            ["megtiltásáról", "10. cikk (3) bekezdés b) pont", "10. cikk (4) bekezdés"],
        ),
        (
            "aia_decision",
            {"result": "approval", "conditions": [], "reasons": None},
            ["approved without conditions"],
            ["feltétel nélkül jóváhagyja"],
        ),
        (
            "bch_publication_outcome",
            {"outcome": "rejected", "public_id": None},
            ["Publication rejected by the national focal point", "correct the record"],
            ["elutasította", "javítsa a rekordot"],
        ),
        (
            "bch_validation_failed",
            {},
            ["reasons: Error.Mandatory", "(record): Error – connection reset"],
            ["reasons: Error.Mandatory", "(rekord): Error – connection reset"],
        ),
        (
            "aia_information_request",
            {"remaining_days": None, "note": None},
            ["not taken into account"],
            ["figyelembe venni azoknak"],
        ),
    ],
)
def test_template_variants(
    template: str, overrides: dict[str, Any], expected_en: list[str], expected_hu: list[str]
) -> None:
    assert_phrases(template, overrides, expected_en, expected_hu)


def test_a_hungarian_letter_names_the_party_in_hungarian() -> None:
    body = render_email("aia_decision", "hu", context("aia_decision")).body
    assert "Géntechnológiai Hatóság, Magyarország illetékes\nnemzeti hatósága" in body
    assert "\nMagyarország illetékes nemzeti hatósága a Biológiai Biztonságról" in body
    assert "Exportáló Részes Fél: Hollandia; importáló Részes Fél: Magyarország" in body
    assert "nem akadályozta meg Magyarország hatóságát" in body
    assert "HU illetékes" not in body and "HU hatóságát" not in body and ": NL" not in body


def test_an_english_letter_names_the_party_in_english() -> None:
    body = render_email("aia_decision", "en", context("aia_decision")).body
    assert "the competent national authority of Hungary, has taken" in body
    assert "Competent national authority of Hungary under the Cartagena Protocol" in body
    assert "Party of export: Netherlands; Party of import: Hungary" in body
    assert "prevented Hungary from taking this decision" in body
    assert " HU" not in body and " NL" not in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "the competent national authority of\nthe United Kingdom, acknowledges",
                'organism "Maize MON-ØØ81Ø-6" from the United States.',
                "Party of export: United States; Party of import: United Kingdom",
                "Competent national authority of the United Kingdom under",
            ],
        ),
        (
            "hu",
            [
                "Géntechnológiai Hatóság, az Egyesült Királyság illetékes nemzeti hatósága",
                "szervezet az Egyesült Államok felől történő",
                "Exportáló Részes Fél: Egyesült Államok; importáló Részes Fél: Egyesült Királyság",
                "\nAz Egyesült Királyság illetékes nemzeti hatósága a Biológiai",
            ],
        ),
    ],
)
def test_party_names_take_the_article_running_text_needs(
    language: str, expected: list[str]
) -> None:
    ctx = context("aia_acknowledgement", party_of_import="GB", party_of_export="US")
    body = render_email("aia_acknowledgement", language, ctx).body
    for phrase in expected:
        assert phrase in body, phrase


def test_an_unknown_party_code_is_printed_as_it_is() -> None:
    for language in ("en", "hu"):
        ctx = context("aia_decision", party_of_export="QQ")
        assert "QQ; " in render_email("aia_decision", language, ctx).body


def test_decision_cites_article_10_6_and_21_5_where_relevant() -> None:
    decision = render_email("aia_decision", "en", context("aia_decision")).body
    assert "Article 10(6)" in decision and "1. Post-release monitoring" in decision
    withdrawal = render_email("aia_withdrawal", "hu", context("aia_withdrawal")).body
    assert "21. cikkének" in withdrawal and "Bizalmas információk" in withdrawal
    missed = render_email("deadline_missed", "en", context("deadline_missed")).body
    assert "Article 9(4)" in missed and "Article 10(5)" in missed


@pytest.mark.parametrize(("language", "heading"), [("en", "Also missed"), ("hu", "Szintén")])
def test_lapses_escalated_together_are_listed(language: str, heading: str) -> None:
    listed = render_email("deadline_missed", language, context("deadline_missed")).body
    assert heading in listed and "2027-10-07" in listed
    alone = context("deadline_missed") | {"also_missed": []}
    assert heading not in render_email("deadline_missed", language, alone).body
