"""The letters of the review of decisions (CP Art 12): the changed decision, the acknowledgement
of a request for review with its answer date, and the answer."""

from __future__ import annotations

from typing import Any

import pytest

from activities.letters import render_email
from tests.activities.email_contexts import REVIEW_ANSWER_DUE, context
from tests.activities.email_support import assert_phrases


def test_review_letters_without_optional_facts() -> None:
    ctx = context(
        "review_decision_changed", lmo_id=None, decision_case_id=None, new_information=None
    )
    for language in ("en", "hu"):
        body = render_email("review_decision_changed", language, ctx).body
        assert "AIA-HU-2027-0042" not in body and "None" not in body
        assert "identifier" not in body and "azonosító" not in body
        assert "\n\nReasons for the decision" in body or "\n\nA döntés indokai" in body


@pytest.mark.parametrize(
    ("template", "overrides", "expected_en", "expected_hu"),
    [
        (
            "review_decision_changed",
            {},
            [
                "it has reviewed and changed its decision of case AIA-HU-2027-0042",
                "approved subject to the following conditions:\n  1. Post-release monitoring",
                "New scientific information on which the change is based: A 2027 field study",
                "Reasons for the decision (Article 12(1)): Outcrossing",
                "Subsequent imports: under Article 12(4), Hungary requires a risk\nassessment",
                "to be informed of the change within thirty\ndays, that is by 31 March 2028.",
                "Living modified organism: Maize MON-ØØ81Ø-6 (unique identifier MON-ØØ81Ø-6)",
            ],
            [
                "12. cikkének („A döntések felülvizsgálata”) (1) bekezdése alapján",
                "döntését (ügyszám: AIA-HU-2027-0042).",
                "az alábbi feltételekkel hagyja jóvá:\n  1. Post-release monitoring",
                "A döntés indokai (12. cikk (1) bekezdés): Outcrossing",
                "a 12. cikk (4) bekezdése alapján Magyarország\nennek az élő, módosított "
                "szervezetnek az újabb importálását megelőzően kockázatbecslést kér.",
                "A határidő utolsó napja:\n2028. március 31.",
                "Élő, módosított szervezet: Maize MON-ØØ81Ø-6 (egyedi azonosító: MON-ØØ81Ø-6)",
            ],
        ),
        (
            "review_decision_changed",
            {"new_result": "prohibition", "conditions": [], "risk_assessment_required": False},
            ["The decision as changed: the import is prohibited."],
            ["A módosított döntés: az importálást megtiltja."],
        ),
        (
            "review_request_received",
            {},
            [
                "Acknowledgement of a request for review of a decision",
                "Date of the request: 10 January 2028.",
                "change in circumstances has occurred that may influence the outcome of the risk",
                "(Article 12(2)(a))",
                "within ninety days",
                "Answer due by: 9 April 2028.",
                "How the date is computed: 90 days from the request for review 2028-01-10 "
                "= 2028-04-09",
            ],
            [
                "A döntés felülvizsgálata iránti kérelem átvételének visszaigazolása",
                "A kérelem kelte: 2028. január 10.",
                "(12. cikk (2) bekezdés a) pont)",
                "kilencven napon belül írásban válaszol",
                "A válasz határideje: 2028. április 9.",
            ],
        ),
        (
            "review_request_received",
            {"grounds": "additional_information"},
            ["scientific or technical information has become available\n    (Article 12(2)(b))"],
            ["műszaki információk váltak elérhetővé\n   (12. cikk (2) bekezdés b) pont)"],
        ),
        (
            "review_answer",
            {},
            [
                "Answer to the request for review: decision changed (Cartagena Protocol, "
                "Article 12(3))",
                "Answer: the decision is changed.\nThe decision as changed: the import is "
                "prohibited.",
                "Reasons for the decision (Article 12(3)): The new study",
                "Date of this answer: 20 March 2028.",
                "made available to the Biosafety Clearing-House\n(Article 20(3)(d))",
            ],
            [
                "Válasz a döntés felülvizsgálata iránti kérelemre: a döntés módosítása",
                "Válasz: a döntés módosul.\nA módosított döntés: az importálást megtiltja.",
                "A döntés indokai (12. cikk (3) bekezdés): The new study",
                "A válasz kelte: 2028. március 20.",
                "(20. cikk (3) bekezdés d) pont)",
            ],
        ),
        (
            "review_answer",
            {
                "outcome": "decision_maintained",
                "new_result": None,
                "grounds": "change_in_circumstances",
                "risk_assessment_required": True,
            },
            [
                "Answer to the request for review: decision maintained",
                "Answer: the decision is maintained.",
                "(Article 12(2)(a))",
                "under Article 12(4), Hungary requires a risk",
            ],
            [
                "Válasz a döntés felülvizsgálata iránti kérelemre: a döntés fenntartása",
                "Válasz: a döntés változatlanul hatályban marad.",
                "(12. cikk (2) bekezdés a) pont)",
                "a 12. cikk (4) bekezdése alapján Magyarország",
            ],
        ),
    ],
)
def test_review_letters(
    template: str, overrides: dict[str, Any], expected_en: list[str], expected_hu: list[str]
) -> None:
    assert_phrases(template, overrides, expected_en, expected_hu)
    maintained = render_email(template, "en", context(template, **overrides)).body
    if overrides.get("outcome") == "decision_maintained":
        assert "as changed" not in maintained and "Clearing-House" not in maintained


def test_review_acknowledgement_explains_the_answer_date_in_hungarian() -> None:
    ctx = context(
        "review_request_received", answer_due_explanation=REVIEW_ANSWER_DUE.explanation_hu
    )
    body = render_email("review_request_received", "hu", ctx).body
    assert (
        "A határidő számítása: 90 nap a felülvizsgálati kérelem kézhezvétele napjától "
        "(2028-01-10) számítva = 2028-04-09"
    ) in body
