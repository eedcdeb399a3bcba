"""Every letter template against its documented context: each renders in English and Hungarian,
cites its article, uses no key it does not document, and fails loudly on a missing one."""

from __future__ import annotations

import jinja2
import jinja2.meta
import pytest

from activities.letters import TEMPLATES, render_email
from tests.activities.email_contexts import CONTEXTS, common, context

# The facts the layouts print only when they are present.
LAYOUT_OPTIONAL = {
    "notifier_name",
    "notifier_reference",
    "lmo_id",
    "party_of_export",
    "received_on",
}

ARTICLE_IN_SUBJECT = {
    "en": {
        "aia_acknowledgement": "Article 9",
        "aia_information_request": "Article 10(3)(c)",
        "aia_extension": "Article 10(3)(d)",
        "aia_decision": "Article 10(3)(a)",
        "aia_withdrawal": "Article 21(5)",
        "aia_may_proceed": "Article 10(2)(b)",
        "aia_simplified": "Article 13",
        "deadline_reminder": "Article 10(3)",
        "deadline_missed": "Article 9(1)",
        "delivery_failed": "Articles 9 and 10",
        "bch_validation_failed": "Article 10(3)",
        "bch_publication_waiting": "Article 20",
        "bch_publication_outcome": "Article 10(3)",
        "review_decision_changed": "Article 12(1)",
        "review_request_received": "Article 12(2)",
        "review_answer": "Article 12(3)",
        "treaty_entry_into_force": "Article 37(2)",
        "treaty_withdrawal_effective": "Article 20(3)",
        "ffp_decision_copy": "Article 11(1)",
        "ffp_information_answer": "Article 11(3)",
        "ffp_first_import_decision": "Article 11(6)",
        "emergency_notification": "Article 17(1)",
        "emergency_follow_up": "Article 17(4)",
        "illegal_disposal_request": "Article 25(2)",
        "illegal_follow_up": "Article 25(2)",
        "confidentiality_justification_request": "Article 21(1)",
        "confidentiality_consultation": "Article 21(2)",
        "confidentiality_decision": "Article 21(2)",
        "confidentiality_review_decision": "Article 21(2)",
        "confidentiality_withdrawal": "Article 21(5)",
        "response_decision": "Article 5(2)",
        "response_follow_up": "Article 5(2)",
        "response_follow_up_due": "Article 5(2)",
        "response_authority_measures": "Article 5(4)",
        "response_cost_demand": "Article 5(5)",
        "response_closed": "Article 5",
    },
    "hu": {
        "aia_acknowledgement": "9. cikk",
        "aia_information_request": "10. cikk (3) bekezdés c) pont",
        "aia_extension": "10. cikk (3) bekezdés d) pont",
        "aia_decision": "10. cikk (3) bekezdés a) pont",
        "aia_withdrawal": "21. cikk (5) bekezdés",
        "aia_may_proceed": "10. cikk (2) bekezdés b) pont",
        "aia_simplified": "13. cikk",
        "deadline_reminder": "10. cikk (3) bekezdés",
        "deadline_missed": "9. cikk (1) bekezdés",
        "delivery_failed": "9. és 10. cikk",
        "bch_validation_failed": "10. cikk (3) bekezdés",
        "bch_publication_waiting": "20. cikk",
        "bch_publication_outcome": "10. cikk (3) bekezdés",
        "review_decision_changed": "12. cikk (1) bekezdés",
        "review_request_received": "12. cikk (2) bekezdés",
        "review_answer": "12. cikk (3) bekezdés",
        "treaty_entry_into_force": "37. cikk (2) bekezdés",
        "treaty_withdrawal_effective": "20. cikk (3) bekezdés",
        "ffp_decision_copy": "11. cikk (1) bekezdés",
        "ffp_information_answer": "11. cikk (3) bekezdés",
        "ffp_first_import_decision": "11. cikk (6) bekezdés",
        "emergency_notification": "17. cikk (1) bekezdés",
        "emergency_follow_up": "17. cikk (4) bekezdés",
        "illegal_disposal_request": "25. cikk (2) bekezdés",
        "illegal_follow_up": "25. cikk (2) bekezdés",
        "confidentiality_justification_request": "21. cikk (1) bekezdés",
        "confidentiality_consultation": "21. cikk (2) bekezdés",
        "confidentiality_decision": "21. cikk (2) bekezdés",
        "confidentiality_review_decision": "21. cikk (2) bekezdés",
        "confidentiality_withdrawal": "21. cikk (5) bekezdés",
        "response_decision": "5. cikk (2)",
        "response_follow_up": "5. cikk (2) bekezdés",
        "response_follow_up_due": "5. cikk (2) bekezdés",
        "response_authority_measures": "5. cikk (4) bekezdés",
        "response_cost_demand": "5. cikk (5) bekezdés",
        "response_closed": "5. cikk",
    },
}


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_with_its_documented_context(template: str, language: str) -> None:
    ctx = context(template)
    rendered = render_email(template, language, ctx)

    assert ARTICLE_IN_SUBJECT[language][template] in rendered.subject
    assert ctx["case_id"] in rendered.subject
    assert "\n" not in rendered.subject
    assert ctx["case_id"] in rendered.body
    assert "None" not in rendered.subject + rendered.body
    assert "{{" not in rendered.body and "{%" not in rendered.body
    if "received_on" in ctx and not template.startswith("bch_"):  # bch_: officers, a record
        received_on = "2027. január 10." if language == "hu" else "10 January 2027"
        assert received_on in rendered.body
    if template.startswith("review_"):  # addressed by name, with no AIA notification facts
        greeting = "Tisztelt Acme Seeds B.V.!" if language == "hu" else "Dear Acme Seeds B.V.,"
        assert rendered.body.startswith(greeting + "\n")
        for fact in ("Notifier:", "Bejelentő:", "Party of export", "Exportáló", "received on"):
            assert fact not in rendered.body
        assert (
            "Importáló Részes Fél: Magyarország" if language == "hu" else "Party of import: Hungary"
        ) in rendered.body


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_use_only_the_documented_context_keys(template: str, language: str) -> None:
    from activities.letters import _ENV

    assert _ENV.loader is not None
    used: set[str] = set()
    name: str | None = f"{language}/{template}.j2"
    while name is not None:  # the template and every layout it extends
        ast = _ENV.parse(_ENV.loader.get_source(_ENV, name)[0])
        found = jinja2.meta.find_undeclared_variables(ast)
        is_layout = name.partition("/")[2].startswith("_")
        used |= found - LAYOUT_OPTIONAL if is_layout else found
        name = next(iter(jinja2.meta.find_referenced_templates(ast)), None)
    assert used - {"language"} <= set(common(template)) | set(CONTEXTS[template])


def test_missing_context_is_an_error() -> None:
    incomplete = context("aia_extension")
    del incomplete["new_due"]
    with pytest.raises(jinja2.UndefinedError):
        render_email("aia_extension", "en", incomplete)


def test_outcome_without_public_id_key_renders() -> None:
    """bch_publication_outcome is sent for lapsed/rejected requests without a public_id key."""
    ctx = context("bch_publication_outcome", outcome="lapsed")
    del ctx["public_id"]
    for language in ("en", "hu"):
        rendered = render_email("bch_publication_outcome", language, ctx)
        assert "lapsed" in rendered.subject or "érvényét vesztette" in rendered.subject
