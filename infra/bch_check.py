"""`make bch-check`: try what we send against the real BCH's development realm before going live.

With real bch-dev credentials in the environment (BIOSAFETY_BCH_BASE_URL, _REALM, _EMAIL,
_PASSWORD and _AUTHORITY_UIDS), it saves one test ``biosafetyDecision`` and one test ``contact``
as drafts, validates them, reads them back and deletes the drafts, printing the BCH's validation
errors and every difference between what we sent and what the BCH stored; then it prints the
thesaurus terms our records use as bch-dev names them. It never requests a publication, and it
refuses any realm but a development one (``*-dev``).

Exit status: 0 nothing to report, 1 errors or differences (printed), 2 not configured for it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from temporalio.exceptions import ApplicationError

from activities.bch_client import BchClient
from activities.bch_models import BchDecisionInput, BchParty
from activities.bch_record import (
    BCH_TERMS,
    CONTACT_SCHEMA,
    INTENTIONAL_INTRODUCTION,
    SCHEMA,
    build_contact,
    build_decision_record,
)
from infra.bch_thesaurus import THESAURUS
from infra.settings import INTENTIONAL_INTRODUCTION_SUBJECTS, Settings

_DEV_DEFAULTS = {"bch_email": "national-user@example.org", "bch_password": "dev-password"}
_LOCAL = ("http://127.0.0.1", "http://localhost")


def diff(sent: Any, stored: Any, path: str = "") -> list[str]:
    """Every difference between a document we sent and the one the BCH stored, one line each."""
    where = path or "(document)"
    if isinstance(sent, dict) and isinstance(stored, dict):
        out = []
        for name in sent:
            if name not in stored:
                out.append(f"{_join(path, name)}: sent, not stored")
            else:
                out += diff(sent[name], stored[name], _join(path, name))
        out += [f"{_join(path, name)}: added by the BCH" for name in stored if name not in sent]
        return out
    if isinstance(sent, list) and isinstance(stored, list):
        if len(sent) != len(stored):
            return [f"{where}: sent {len(sent)} item(s), stored {len(stored)}: {stored!r}"]
        return [
            d
            for i, (a, b) in enumerate(zip(sent, stored, strict=True))
            for d in diff(a, b, f"{where}[{i}]")
        ]
    if sent != stored:
        return [f"{where}: sent {sent!r}, stored {stored!r}"]
    return []


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def configuration_problems(settings: Settings, *, allow_local: bool = False) -> list[str]:
    """What stands between these settings and a check against bch-dev."""
    problems = []
    for name, default in _DEV_DEFAULTS.items():
        if getattr(settings, name) == default:
            problems.append(f"BIOSAFETY_{name.upper()} is not set (the dev stack's default)")
    if settings.bch_base_url.startswith(_LOCAL) and not allow_local:
        problems.append(
            f"BIOSAFETY_BCH_BASE_URL is the local stand-in ({settings.bch_base_url}); "
            "set the API of the BCH's development environment"
        )
    if not settings.bch_realm.lower().endswith("-dev"):
        problems.append(f"BIOSAFETY_BCH_REALM is {settings.bch_realm!r}: only a '-dev' realm")
    return problems


def sample_records(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    """One decision with every field our adapter writes (but no references to records bch-dev
    may lack, except the authority), and one contact; fresh identifiers on each run."""
    run = uuid.uuid4().hex[:12]
    party = BchParty(
        name=f"BCH check test organisation {run} (delete me)",
        address="Test street 1, Test city",
        country=settings.authority_party,
        emails=[settings.bch_email],
    )
    decision = BchDecisionInput(
        message_key=f"bch-check-{run}:bch:decision",
        case_id=f"bch-check-{run}",
        government=settings.authority_party,
        title=f"TEST RECORD, do not publish: bch-check {run}",
        decision_date=date.today(),
        decision_result="approval_with_conditions",
        conditions=["Monitoring <for three seasons> & report", "Isolation distance 200 m"],
        reasons="Test reasons.\n\nSecond paragraph, with a line\nbreak.",
        receipt_date=date.today(),
        acknowledgement_date=date.today(),
        communication_date=date.today(),
        lmo_name="Test LMO",
        lmo_unique_identifier="MON-ØØ81Ø-6",
        applies_to_subsequent_imports="Applies to subsequent imports of the same event.",
        risk_assessment_summary="Test summary.",
        involves_field_trial=True,
    )
    contact = build_contact(party, settings.bch_realm, decision.language)
    assert contact is not None
    return [(SCHEMA, build_decision_record(decision, settings)), (CONTACT_SCHEMA, contact)]


async def check(
    settings: Settings, *, out: Callable[[str], None] = print, allow_local: bool = False
) -> int:
    problems = configuration_problems(settings, allow_local=allow_local)
    if problems:
        out("bch-check needs real bch-dev credentials in the environment:")
        out("".join(f"\n  - {p}" for p in problems).lstrip("\n"))
        out(
            "Set BIOSAFETY_BCH_BASE_URL, BIOSAFETY_BCH_REALM=bch-dev, BIOSAFETY_BCH_EMAIL, "
            "BIOSAFETY_BCH_PASSWORD and BIOSAFETY_BCH_AUTHORITY_UIDS (README, 'Before going live')."
        )
        return 2
    client = BchClient(settings)
    findings = 0
    try:
        for schema, document in sample_records(settings):
            findings += await _round_trip(client, schema, document, out)
        findings += await _thesaurus(client, settings, out)
    except ApplicationError as err:
        out(f"bch-check stopped: {err}")
        return 1
    finally:
        await client.aclose()
    out("bch-check: nothing to report" if not findings else f"bch-check: {findings} finding(s)")
    return 1 if findings else 0


async def _round_trip(
    client: BchClient, schema: str, document: dict[str, Any], out: Callable[[str], None]
) -> int:
    uid = document["header"]["identifier"]
    out(f"== {schema} {uid}")
    findings = 0
    try:
        saved = await client.save_draft(uid, schema, document)
        keys = ", ".join(sorted(saved.info))
        out(f"draft saved; the answer has: {keys}")
        if "workingDocumentID" not in saved.info:
            out("  ! no workingDocumentID in the answer (activities/bch_contacts.py reads it)")
            findings += 1
        report = await client.validate(schema, document)
        out(f"validation answered {report.status}: {len(report.errors)} error(s)")
        for error in report.errors:
            out(f"  ! {error.get('code')} {error.get('property')} {error.get('parameters') or ''}")
        findings += len(report.errors)
        stored = await client.draft(uid)
        differences = diff(document, stored) if stored is not None else ["draft not found"]
        out(f"read back: {len(differences)} difference(s)")
        for line in differences:
            out(f"  ! {line}")
        findings += len(differences)
    finally:
        deleted = await client.delete_draft(uid)
        out("draft deleted" if deleted else "draft not found to delete")
    return findings


async def _thesaurus(client: BchClient, settings: Settings, out: Callable[[str], None]) -> int:
    findings = 0
    ours = {
        "DecisionTypes": {
            **BCH_TERMS["DecisionTypes"],
            **{f"narrower {i + 1}": t for i, t in enumerate(INTENTIONAL_INTRODUCTION_SUBJECTS)},
        },
        "DecisionResults": BCH_TERMS["DecisionResults"],
    }
    for domain, terms in ours.items():
        theirs = {t["identifier"].upper(): t for t in await client.terms(domain)}
        standin = {t["identifier"].upper(): t["name"] for t in THESAURUS[domain]}
        out(f"== thesaurus {domain}: {len(theirs)} term(s)")
        for what, identifier in terms.items():
            term = theirs.get(identifier.upper())
            if term is None:
                out(f"  ! {what} {identifier}: not in the domain")
                findings += 1
                continue
            name = term.get("name")
            same = (
                "" if name == standin.get(identifier.upper()) else " (the stand-in says otherwise)"
            )
            out(f"  {what} {identifier}: {name}{same}")
        if domain == "DecisionTypes":
            broader = theirs.get(INTENTIONAL_INTRODUCTION.upper()) or {}
            narrower = [t.upper() for t in broader.get("narrowerTerms") or []]
            if sorted(narrower) != sorted(INTENTIONAL_INTRODUCTION_SUBJECTS):
                out(f"  ! intentional introduction's narrower terms are {narrower}")
                findings += 1
            out(
                f"  we send {settings.bch_transboundary_subject} "
                "(BIOSAFETY_BCH_TRANSBOUNDARY_SUBJECT)"
            )
    return findings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    sys.exit(asyncio.run(check(Settings())))


if __name__ == "__main__":
    main()
