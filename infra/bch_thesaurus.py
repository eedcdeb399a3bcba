"""The BCH thesaurus domains a ``biosafetyDecision`` uses, as the local stand-in serves them.

Identifiers are the BCH's. Labels are the documentation's where it gives one
(scbd/clearing-house-documentation, swagger/json/thesaurus/biosafety-decision/*: the documented
example term of each domain, with its ``termId``), else the label the BCH's own form gives the
term in a comment (scbd/absch.cbd.int, edit-biosafety-decision.directive.js); a term that neither
names is labelled as such, in square brackets. `make bch-check` prints bch-dev's own labels
beside these, so that a difference is seen before going live.
"""

from __future__ import annotations

from typing import Any

INTENTIONAL_INTRODUCTION = "E8C5A15C-A736-4fb7-A1B6-192412BE7E45"
DIRECT_USE = "BE64016A-C3BD-4C61-9620-C3FEF96B2A24"
SIMPLIFIED_PROCEDURE = "8979219B-330B-424F-A52C-209D4B4B65C0"
UNNAMED = "[not named in the BCH's API documentation nor in its form]"


def _term(
    identifier: str,
    name: str,
    *,
    term_id: int | None = None,
    broader: tuple[str, ...] = (),
    narrower: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A term in the documented shape of GET /api/v2013/thesaurus/domains/{domain}/terms."""
    term: dict[str, Any] = {
        "identifier": identifier,
        "name": name,
        "title": {"en": name},
        "shortTitle": {},
        "description": "",
        "longDescription": {},
        "source": "",
        "broaderTerms": list(broader),
        "narrowerTerms": list(narrower),
        "relatedTerms": [],
        "nonPreferedTerms": [],
    }
    if term_id is not None:
        term = {"termId": term_id, **term}
    return term


_AIA_NARROWER = ("A0F944AD-1578-47F4-BB71-A9805EC0EB7A", "47B66371-7016-4F28-B33A-0DBFF43581CA")
_FFP_NARROWER = ("0D0BEEF4-54E4-44C1-ABB2-B89DC145E0B3", "C15E5CD8-B6F9-41AE-A09C-7EF5F73B0507")

# (identifier, label, termId or None, broader terms, narrower terms) per domain.
_TERMS: dict[str, list[tuple[str, str, int | None, tuple[str, ...], tuple[str, ...]]]] = {
    "DecisionTypes": [
        (
            INTENTIONAL_INTRODUCTION,
            "Decision on LMOs for intentional introduction into the environment (according to "
            "Article 10 or domestic regulatory framework)",
            5061,
            (),
            _AIA_NARROWER,
        ),
        *(
            (
                t,
                f"{UNNAMED} narrower term of intentional introduction",
                None,
                (INTENTIONAL_INTRODUCTION,),
                (),
            )
            for t in _AIA_NARROWER
        ),
        (
            DIRECT_USE,
            f"{UNNAMED} decision on LMOs for direct use as food or feed, or for processing "
            "(the form's DEC_8_2)",
            None,
            (),
            _FFP_NARROWER,
        ),
        (
            _FFP_NARROWER[0],
            f"{UNNAMED} decision on the import of the LMO (the form's isDecisionOnLmoImport)",
            None,
            (DIRECT_USE,),
            (),
        ),
        (
            _FFP_NARROWER[1],
            f"{UNNAMED} decision on the domestic use of the LMO (the form's "
            "isDecisionOnLmoDomesticUse)",
            None,
            (DIRECT_USE,),
            (),
        ),
        (
            SIMPLIFIED_PROCEDURE,
            f"{UNNAMED} decision under the simplified procedure (Article 13; the form's "
            "isSimplifiedProcedure)",
            None,
            (),
            (),
        ),
        (
            "1B6F702C-0C68-4B53-BCA4-1DA4A25E23A8",
            f"{UNNAMED} decision on the transit of LMOs (the form's isDecisionOnTransitOfLMOs)",
            None,
            (),
            (),
        ),
        (
            "D698B5F7-A434-49E2-A7FF-FE869AFBEE8D",
            f"{UNNAMED} decision on the contained use of LMOs (the form's "
            "isDecisionOnContainedUseOfLMOs)",
            None,
            (),
            (),
        ),
        *(
            (t, f"{UNNAMED} communication (the form's {code})", None, (), ())
            for t, code in (
                (
                    "83C0DBFB-AD5C-4B88-8ECE-5365991F2956",
                    "DEC_8_6, unintentional movement: we send it for Art 17(1)",
                ),
                (
                    "3FF9FEB3-20FA-4287-B562-46635A1154A3",
                    "DEC_8_7, unintentional or illegal movement: we send it for Art 25(3)",
                ),
                ("3293477D-466D-40CB-A890-4B139BCE93AC", "DEC_8_8"),
                ("0C9BBC54-34F1-431A-A579-F018D8E5CEAD", "DEC_8_9"),
                ("8E26ACCB-3358-4BC3-8389-56AA508991E6", "DEC_8_10"),
                ("A8C8A4D9-8084-4F6E-88B7-47BA04075E40", "DEC_8_11"),
                ("2C74A444-32C1-45B0-B1AC-F419773A4A7E", "DEC_8_12"),
                ("5B6177DD-5E5E-434E-8CB7-D63D67D5EBED", "Other"),
            )
        ),
    ],
    "DecisionResults": [
        (
            "3B9ECE67-B35C-40FF-8C06-4EA5FF762899",
            "Approval of the import and/or use of the LMO(s) without conditions",
            5087,
            (),
            (),
        ),
        (
            "3EFF4792-A896-4DC7-9945-04FE9C8B5B4F",
            "Approval of the import and/or use of the LMO(s) with conditions",
            None,
            (),
            (),
        ),
        (
            "6DD1B161-4CDB-4900-BD31-DBB97E86B2AE",
            "Prohibition of the import and/or use of the LMO(s)",
            None,
            (),
            (),
        ),
        (
            "8D91ACEE-C6B3-4204-8FE6-00AE424013FF",
            "Request additional relevant information",
            None,
            (),
            (),
        ),
        (
            "19F9F13E-195E-45B5-88DD-058A07E0D6F6",
            "Inform the notifier that the period for communicating the decision has been extended",
            None,
            (),
            (),
        ),
    ],
    "DecisionLMOFFPSubject": [
        ("91BEAF12-ABE1-4294-AD3B-507935894C78", "LMOs for direct use as food", 5405, (), ()),
    ],
    "TransboundaryMovementTypes": [
        (
            "22B915C4-193E-4087-89ED-D104EEEC4330",
            "Unintentional transboundary movement (Article 17.1)",
            7217,
            (),
            (),
        ),
        (
            "A9A800DC-F313-4F79-B3E4-768E41088D11",
            "Illegal transboundary movement (Article 25.3)",
            None,
            (),
            (),
        ),
    ],
}

THESAURUS: dict[str, list[dict[str, Any]]] = {
    domain: [
        _term(identifier, name, term_id=term_id, broader=broader, narrower=narrow)
        for identifier, name, term_id, broader, narrow in terms
    ]
    for domain, terms in _TERMS.items()
}

# Labels taken from the documentation itself (the rest come from the form, or are unnamed).
DOCUMENTED_LABELS = {
    t["identifier"]: t["name"] for terms in THESAURUS.values() for t in terms if "termId" in t
}


def identifiers(domain: str) -> set[str]:
    """The domain's term identifiers, upper case (the BCH's identifiers mix cases)."""
    return {t["identifier"].upper() for t in THESAURUS[domain]}


def narrower(domain: str, identifier: str) -> set[str]:
    for term in THESAURUS[domain]:
        if term["identifier"].upper() == identifier.upper():
            return {t.upper() for t in term["narrowerTerms"]}
    return set()
