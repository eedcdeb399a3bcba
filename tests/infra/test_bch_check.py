"""`make bch-check` (infra/bch_check.py): refuses to run without real bch-dev credentials, and its
round trip and diffing work, here against the stand-in (the real bch-dev is out of reach)."""

from __future__ import annotations

from typing import Any

import pytest

from activities.bch_client import BchClient
from infra.bch_check import check, configuration_problems, diff
from infra.settings import Settings
from tests.support.bch import BchStandin


def settings_for(standin: BchStandin, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "bch_base_url": standin.base_url,
        "bch_realm": "bch-dev",
        "bch_email": "checker@gmo-authority.example.hu",
        "bch_password": "a-real-password",
    }
    return Settings(**(values | overrides))


async def run(settings: Settings, **kwargs: Any) -> tuple[int, str]:
    lines: list[str] = []
    status = await check(settings, out=lines.append, **kwargs)
    return status, "\n".join(lines)


async def test_without_credentials_it_says_what_to_set() -> None:
    status, text = await run(Settings(environment="test"))
    assert status == 2
    assert "bch-check needs real bch-dev credentials" in text
    assert "BIOSAFETY_BCH_EMAIL is not set" in text
    assert "BIOSAFETY_BCH_PASSWORD is not set" in text
    assert "local stand-in" in text
    assert "README, 'Before going live'" in text


def test_only_a_development_realm() -> None:
    real = Settings(
        bch_base_url="https://api.cbd.int",
        bch_realm="bch",
        bch_email="x@example.hu",
        bch_password="pw",
    )
    assert configuration_problems(real) == ["BIOSAFETY_BCH_REALM is 'bch': only a '-dev' realm"]
    assert configuration_problems(real.model_copy(update={"bch_realm": "BCH-DEV"})) == []


def test_diff_names_every_difference() -> None:
    sent = {
        "title": {"en": "T"},
        "reasons": {"en": "<p>R</p>"},
        "exporters": [{"identifier": "A@1"}],
        "expires": False,
    }
    stored = {
        "title": {"en": "T"},
        "reasons": {"en": "<div><!--block-->R</div>"},
        "exporters": [{"identifier": "A@1"}, {"identifier": "B@1"}],
        "header": {},
    }
    assert diff(sent, sent) == []
    assert diff(sent, stored) == [
        "reasons.en: sent '<p>R</p>', stored '<div><!--block-->R</div>'",
        "exporters: sent 1 item(s), stored 2: [{'identifier': 'A@1'}, {'identifier': 'B@1'}]",
        "expires: sent, not stored",
        "header: added by the BCH",
    ]
    assert diff([{"a": 1}], [{"a": 2}]) == ["(document)[0].a: sent 1, stored 2"]


async def test_a_round_trip_against_the_standin_reports_nothing(
    bch_standin: BchStandin,
) -> None:
    status, text = await run(settings_for(bch_standin), allow_local=True)

    assert status == 0, text
    assert "== biosafetyDecision" in text and "== contact" in text
    assert text.count("validation answered 200: 0 error(s)") == 2
    assert text.count("read back: 0 difference(s)") == 2
    assert text.count("draft deleted") == 2
    assert "the answer has:" in text and "workingDocumentID" in text
    assert "E8C5A15C-A736-4fb7-A1B6-192412BE7E45: Decision on LMOs for intentional" in text
    assert "we send A0F944AD-1578-47F4-BB71-A9805EC0EB7A" in text
    assert text.endswith("bch-check: nothing to report")
    # Nothing is left behind, nothing was requested.
    state = bch_standin.state()
    assert state["drafts"] == {} and state["requests"] == {}
    assert not [c for c in state["calls"] if c["path"].endswith("/workflows")]


async def test_what_the_bch_changes_is_printed(
    bch_standin: BchStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The BCH stores something else than we sent (here: its rich-text editor's markup)."""
    real_draft = BchClient.draft

    async def rewritten(self: BchClient, uid: str) -> dict[str, Any] | None:
        stored = await real_draft(self, uid)
        if stored and "reasons" in stored:
            stored["reasons"] = {"en": "<div><!--block-->Test reasons.</div>"}
        return stored

    monkeypatch.setattr(BchClient, "draft", rewritten)
    status, text = await run(settings_for(bch_standin), allow_local=True)

    assert status == 1
    assert "read back: 1 difference(s)" in text
    assert "  ! reasons.en: sent '<p>Test reasons.</p>" in text
    assert bch_standin.state()["drafts"] == {}  # deleted all the same


async def test_validation_errors_are_printed(bch_standin: BchStandin) -> None:
    unknown = "5F3A9C10-0B7E-4C1D-9E2A-7D4C6B8A1F20@3"  # not an authority the stand-in knows
    status, text = await run(
        settings_for(bch_standin, bch_authority_uids=[unknown]), allow_local=True
    )
    assert status == 1
    assert "validation answered 400: 1 error(s)" in text
    assert "  ! Error.InvalidValue authorities" in text
