"""The public web pages (api/site.py) over HTTP on the real stack: the register searched by LMO
identifier, Party and date, a decision's public details, the open consultations with a comment
form (CP Art 23(2)), in English and Hungarian; nothing confidential (Art 21), no e-mail address,
and every form field labelled."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx

from api.site import ANNEX_I_LABELS
from tests.api.conftest import Callers, eventually, notification_body
from tests.support.temporal import Stack

RA = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected.",
    "overall_risk": "low",
    "recommendation": "Acceptable with monitoring.",
}
CONFIDENTIAL_QUANTITY = "4711 kg of seed"


class Page(HTMLParser):
    """What the tests read of a page: its text, its links, its form fields and their labels."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.fields: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.lang = ""
        self.h1 = 0
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "label":
            self.labels.add(a.get("for", ""))
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.fields.append(a)
        if tag == "h1":
            self.h1 += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def page(response: httpx.Response, status: int = 200) -> Page:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    p = Page(response.text)
    assert p.h1 == 1  # one heading names the page
    assert all(f.get("id") in p.labels for f in p.fields), p.fields  # every field labelled
    return p


async def decided_case(callers: Callers, stack: Stack, lmo_id: str) -> tuple[str, date]:
    body = notification_body(party_of_export="US")
    body["annex_i"] = body["annex_i"] | {
        "c_lmo_unique_identifier": lmo_id,
        "j_quantity": CONFIDENTIAL_QUANTITY,
    }
    body["confidential"] = [{"item": "j", "justification": "commercial volumes"}]
    r = await callers.staff.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    cid, received = r.json()["case_id"], date.fromisoformat(r.json()["received_on"])
    for path, command in (("acknowledgement", {}), ("risk-assessment", RA)):
        assert (await callers.staff.post(f"/v1/cases/{cid}/{path}", json=command)).is_success
    return cid, received


async def test_the_register_is_searched_and_a_decision_read_in_either_language(
    callers: Callers, stack: Stack
) -> None:
    lmo_id = f"SYN-{re.sub(r'[^A-Z]', 'A', callers.alice_email[6:11].upper())}Ø-1"
    cid, received = await decided_case(callers, stack, lmo_id)
    decision = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
    assert (await callers.staff.post(f"/v1/cases/{cid}/decision", json=decision)).is_success
    web = callers.anonymous

    async def found() -> Page | None:
        # People type the slashed zero as a zero.
        p = page(await web.get("/public/en/", params={"lmo_id": lmo_id.replace("Ø", "0")}))
        decided = f"/public/en/cases/{cid}" in p.links and "prohibited" in p.words
        return p if decided else None  # once the register has the decision

    result = await eventually(found)
    assert result is not None and result.lang == "en"
    assert "prohibited" in result.words and "United States" in result.words
    # The Party and the dates narrow the search; another Party or a later date finds nothing.
    for params, expected in (
        ({"lmo_id": lmo_id, "party": "us"}, True),
        ({"lmo_id": lmo_id, "party": "BR"}, False),
        ({"lmo_id": lmo_id, "from": received.isoformat(), "to": received.isoformat()}, True),
        ({"lmo_id": lmo_id, "from": (received + timedelta(days=1)).isoformat()}, False),
    ):
        p = page(await web.get("/public/en/", params=params))
        assert (f"/public/en/cases/{cid}" in p.links) is expected, params
    # A malformed search is explained beside its field, with the HTTP status saying so.
    bad = page(await web.get("/public/en/", params={"party": "Hungary", "from": "1 May"}), 422)
    assert "Party (country code) is not valid" in bad.words
    assert "Received on or after is not valid" in bad.words

    detail = page(await web.get(f"/public/hu/cases/{cid}"))
    assert detail.lang == "hu" and "Megtiltva" in detail.words
    assert "Gene flow cannot be excluded." in detail.words
    assert "Bizalmasként visszatartott információ" in detail.words
    assert CONFIDENTIAL_QUANTITY not in detail.words  # Art 21: withheld
    assert "@" not in detail.words  # no e-mail address of anyone
    assert "/public/en/cases/" + cid in detail.links  # the same page in English
    # Annex I items are named in the words of the Hungarian text of the Protocol: those shown
    # ((c) to (n) but the withheld (j); (a), (b) and (o) are not text) and the withheld one.
    assert "(h) a bejuttatott nukleinsav vagy a módosítás leírása, az alkalmazott módszer" in (
        detail.words
    )
    assert "(j) a szállításra szánt élő, módosított szervezet mennyisége vagy térfogata" in (
        detail.words
    )
    for item in "cdefghijklmn":
        assert f"({item}) {ANNEX_I_LABELS['hu'][item]}" in detail.words, item
    for item, english in ANNEX_I_LABELS["en"].items():
        assert english not in detail.words, item
    english_page = page(await web.get(f"/public/en/cases/{cid}"))
    assert "(h) description of the nucleic acid or modification" in english_page.words
    assert "(j) quantity or volume of the LMO to be transferred" in english_page.words
    page(await web.get("/public/en/cases/aia-hu-no-such-case"), 404)


def test_every_annex_i_item_is_named_in_either_language() -> None:
    assert ANNEX_I_LABELS["hu"].keys() == ANNEX_I_LABELS["en"].keys() == set("abcdefghijklmno")
    assert all(ANNEX_I_LABELS["hu"][i] != ANNEX_I_LABELS["en"][i] for i in "abcdefghijklmno")


async def test_the_public_comments_through_the_form(callers: Callers, stack: Stack) -> None:
    cid, received = await decided_case(callers, stack, "SYN-CØNSU-2")
    opening = {"ends_on": (received + timedelta(days=10)).isoformat(), "subject": "Field trial"}
    assert (await callers.staff.post(f"/v1/cases/{cid}/consultation", json=opening)).is_success
    web = callers.anonymous

    async def listed() -> Page | None:
        p = page(await web.get("/public/hu/consultations"))
        return p if f"/public/hu/consultations/{cid}" in p.links else None

    assert await eventually(listed)
    form = page(await web.get(f"/public/en/consultations/{cid}"))
    assert {f["name"] for f in form.fields} == {"name", "email", "organisation", "comment"}
    token = re.search(r'name="submission" value="([0-9a-f]{32})"', (
        await web.get(f"/public/en/consultations/{cid}")).text)  # fmt: skip
    assert token is not None
    url = f"/public/en/consultations/{cid}"
    data: dict[str, Any] = {
        "name": "Kiss Péter",
        "email": "",
        "organisation": "",
        "comment": "Please publish the monitoring plan.",
        "submission": token.group(1),
    }
    # A comment without text is sent back with the field marked, nothing kept.
    invalid = page(await web.post(url, data=data | {"comment": " "}), 422)
    assert "Your comment: is required" in invalid.words
    sent = await web.post(url, data=data)
    assert sent.status_code == 303
    thanks = page(await web.get(sent.headers["location"]))
    assert "your comment was received" in thanks.words
    # The same form sent twice (a double click, a reload) is one comment.
    assert (await web.post(url, data=data)).status_code == 303
    comments = (await callers.staff.get(f"/v1/cases/{cid}/consultation-comments")).json()
    assert [c["comment"] for c in comments] == ["Please publish the monitoring plan."]

    await stack.env.sleep(timedelta(days=11))
    closed = page(await web.post(url, data=data | {"submission": "f" * 32}), 409)
    assert "This consultation is closed" in closed.words
    assert not closed.fields
