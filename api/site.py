"""The public web pages: the register of decisions with a search, each decision's public details,
and the open public consultations (CP Art 23(2)) with a comment form, in English and Hungarian.

Server-rendered HTML (Jinja2 templates in api/templates/site/), no JavaScript: a form is a form,
every field has its label, errors are listed at the top and beside their fields, and the pages
work by keyboard and screen reader. What they show is exactly what the public API shows
(api/public_register.py, api/consultations.py): never an item claimed confidential (Art 21), never a
notifier's or commenter's e-mail address. The pages are for people, not programs, so they stay
out of the OpenAPI document; the JSON under ``/v1/register`` and ``/v1/consultations`` is the
contract for programs.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

import jinja2
from babel import Locale
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api import consultations as consultation_service
from api.case_reads import started_notification
from api.deps import ClientDep, NowDep, PoolDep, SettingsDep
from api.errors import CaseNotFound, CommandRefused
from api.public_register import (
    PublicCaseSummary,
    public_case,
    public_entries,
    public_entry,
    public_summary,
)
from workflows import clock
from workflows.aia.models import ANNEX_I_DESCRIPTIONS, AnnexIItem

Lang = Literal["en", "hu"]
PAGE_SIZE = 25
_LMO_ID = re.compile(r"^[A-Za-z0-9Øø]{2,3}-[A-Za-z0-9Øø]{5,6}-[0-9]$")
_PARTY = re.compile(r"^[A-Za-z]{2}$")

router = APIRouter(include_in_schema=False)

T: dict[str, dict[str, str]] = {
    "en": {
        "site": "Biosafety register",
        "skip": "Skip to the content",
        "other_lang": "Magyarul",
        "register": "Decisions on living modified organisms",
        "register_intro": "Cases under the Cartagena Protocol on Biosafety, newest receipt first. "
        "Information the notifier claimed confidential (Article 21) is never shown.",
        "search": "Search",
        "lmo_id": "LMO unique identifier",
        "lmo_id_hint": "e.g. MON-ØØ81Ø-6 (zeros may be typed as 0)",
        "party": "Party (country code)",
        "party_hint": "two letters, e.g. HU or US: the Party of export or of import",
        "from": "Received on or after",
        "to": "Received on or before",
        "date_hint": "YYYY-MM-DD",
        "errors": "Please correct the following:",
        "no_results": "No case matches the search.",
        "case": "Case",
        "lmo": "Living modified organism",
        "export": "Party of export",
        "import": "Party of import",
        "received": "Received",
        "stage": "Stage",
        "decision": "Decision",
        "next": "Next page",
        "previous": "Previous page",
        "results": "Cases found",
        "notifier": "Notifier",
        "notifier_address": "Notifier's address",
        "acknowledged": "Receipt acknowledged",
        "decided": "Decided",
        "withdrawn": "Withdrawn",
        "conditions": "Conditions",
        "reasons": "Reasons",
        "subsequent": "Subsequent imports",
        "ra_summary": "Summary of the risk assessment",
        "withheld": "Information withheld as confidential (Article 21)",
        "annex_i": "Information from the notification (Annex I)",
        "consultation": "Public consultation (Article 23(2))",
        "consultations": "Open public consultations",
        "consultations_intro": "The authority consults the public before these decisions. "
        "Comments are received until the end of the last day (Budapest time).",
        "no_consultations": "No public consultation is open at present.",
        "subject": "Subject",
        "open_until": "Open for comments until",
        "closed_on": "Closed on",
        "comments": "Comments received",
        "results_of": "Results of the consultation",
        "comment_form": "Send a comment",
        "name": "Your name",
        "email": "Your e-mail address (optional, not published)",
        "organisation": "Organisation (optional)",
        "comment": "Your comment",
        "send": "Send comment",
        "thanks": "Thank you: your comment was received.",
        "receipt": "Receipt number",
        "closed": "This consultation is closed: comments are no longer received.",
        "not_found": "Not found",
        "back": "Back to the register",
        "approval": "approved without conditions",
        "approval_with_conditions": "approved with conditions",
        "prohibition": "prohibited",
        "required": "is required",
        "invalid": "is not valid",
    },
    "hu": {
        "site": "Biológiai biztonsági nyilvántartás",
        "skip": "Ugrás a tartalomra",
        "other_lang": "In English",
        "register": "Döntések élő, módosított szervezetekről",
        "register_intro": "A Cartagena Jegyzőkönyv szerinti ügyek, a legutóbb beérkezettel "
        "kezdve. A bejelentő által bizalmasnak jelölt információ (21. cikk) soha nem jelenik meg.",
        "search": "Keresés",
        "lmo_id": "Az élő, módosított szervezet egyedi azonosítója",
        "lmo_id_hint": "pl. MON-ØØ81Ø-6 (a nulla 0-ként is írható)",
        "party": "Részes Fél (országkód)",
        "party_hint": "két betű, pl. HU vagy US: az exportáló vagy az importáló Részes Fél",
        "from": "Beérkezés legkorábban",
        "to": "Beérkezés legkésőbb",
        "date_hint": "ÉÉÉÉ-HH-NN",
        "errors": "Kérjük, javítsa a következőket:",
        "no_results": "Nincs a keresésnek megfelelő ügy.",
        "case": "Ügy",
        "lmo": "Élő, módosított szervezet",
        "export": "Exportáló Részes Fél",
        "import": "Importáló Részes Fél",
        "received": "Beérkezett",
        "stage": "Szakasz",
        "decision": "Döntés",
        "next": "Következő oldal",
        "previous": "Előző oldal",
        "results": "Talált ügyek",
        "notifier": "Bejelentő",
        "notifier_address": "A bejelentő címe",
        "acknowledged": "Az átvétel visszaigazolva",
        "decided": "Döntés napja",
        "withdrawn": "Visszavonva",
        "conditions": "Feltételek",
        "reasons": "Indokok",
        "subsequent": "Későbbi behozatalok",
        "ra_summary": "A kockázatbecslés összefoglalója",
        "withheld": "Bizalmasként visszatartott információ (21. cikk)",
        "annex_i": "A bejelentés adatai (I. Függelék)",
        "consultation": "Nyilvános konzultáció (23. cikk (2) bekezdés)",
        "consultations": "Folyamatban lévő nyilvános konzultációk",
        "consultations_intro": "A hatóság e döntések előtt kikéri a nyilvánosság véleményét. "
        "Észrevételt az utolsó nap végéig (budapesti idő szerint) lehet tenni.",
        "no_consultations": "Jelenleg nincs folyamatban nyilvános konzultáció.",
        "subject": "Tárgy",
        "open_until": "Észrevétel tehető eddig",
        "closed_on": "Lezárult",
        "comments": "Beérkezett észrevételek",
        "results_of": "A konzultáció eredménye",
        "comment_form": "Észrevétel küldése",
        "name": "Az Ön neve",
        "email": "Az Ön e-mail-címe (nem kötelező, nem tesszük közzé)",
        "organisation": "Szervezet (nem kötelező)",
        "comment": "Az Ön észrevétele",
        "send": "Észrevétel elküldése",
        "thanks": "Köszönjük, észrevételét megkaptuk.",
        "receipt": "Iktatószám",
        "closed": "Ez a konzultáció lezárult: észrevételt már nem fogadunk.",
        "not_found": "Nem található",
        "back": "Vissza a nyilvántartáshoz",
        "approval": "feltétel nélkül engedélyezve",
        "approval_with_conditions": "feltételekkel engedélyezve",
        "prohibition": "megtiltva",
        "required": "megadása kötelező",
        "invalid": "érvénytelen",
    },
}
# The Annex I items in the words of the Hungarian text of the Protocol (2004. évi CIX. törvény,
# I. Melléklet), shortened where and as the English labels (workflows/aia/models.py) are.
_ANNEX_I_HU: dict[AnnexIItem, str] = {
    AnnexIItem.A: "az exportáló neve, címe és elérhetősége",
    AnnexIItem.B: "az importáló neve, címe és elérhetősége",
    AnnexIItem.C: "az élő, módosított szervezet neve és azonossága, hazai besorolása és "
    "biológiai biztonsági szintje",
    AnnexIItem.D: "a határon átnyúló mozgás tervezett dátuma vagy dátumai, ha ismertek",
    AnnexIItem.E: "rendszertani besorolás, köznyelvi név, a begyűjtés vagy megszerzés helyszíne, "
    "és a befogadó szervezet vagy a szülői szervezetek jellemzői",
    AnnexIItem.F: "géncentrumok és genetikai sokféleség központjai, valamint azon élőhelyek, ahol "
    "az élő szervezetek fellelhetőek vagy szaporodhatnak",
    AnnexIItem.G: "rendszertani besorolás, köznyelvi név, a begyűjtés vagy megszerzés helyszíne, "
    "valamint a donor szervezet vagy szervezetek tulajdonságai",
    AnnexIItem.H: "a bejuttatott nukleinsav vagy a módosítás leírása, az alkalmazott módszer, "
    "valamint a kapott élő, módosított szervezet jellemzői",
    AnnexIItem.I: "az élő, módosított szervezetnek vagy termékeinek szándékolt felhasználása",
    AnnexIItem.J: "a szállításra szánt élő, módosított szervezet mennyisége vagy térfogata",
    AnnexIItem.K: "a III. Mellékletnek megfelelő korábbi, meglévő kockázatbecslési jelentés",
    AnnexIItem.L: "javasolt módszerek a biztonságos kezeléshez, tároláshoz, szállításhoz és "
    "felhasználáshoz",
    AnnexIItem.M: "az élő, módosított szervezet rendeletek szerinti státusa az exportáló Államban",
    AnnexIItem.N: "az exportáló által más Államok felé tett bejelentés célja és eredményei",
    AnnexIItem.O: "nyilatkozat a fenti információk tényszerűségéről",
}
# The Annex I items by letter in each language of the pages; in English, the API's own words.
ANNEX_I_LABELS: dict[str, dict[str, str]] = {
    "en": {i.value: d for i, d in ANNEX_I_DESCRIPTIONS.items()},
    "hu": {i.value: d for i, d in _ANNEX_I_HU.items()},
}

_EN_MONTHS = ("January February March April May June July August September October November "
              "December").split()  # fmt: skip
_HU_MONTHS = ("január február március április május június július augusztus szeptember "
              "október november december").split()  # fmt: skip


def _date(value: date | str | None, lang: str) -> str:
    if value is None:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    if lang == "hu":
        return f"{d.year}. {_HU_MONTHS[d.month - 1]} {d.day}."
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


@cache
def _territories(lang: str) -> dict[str, str]:
    return dict(Locale.parse(lang).territories)


def _party(code: str | None, lang: str) -> str:
    if not code:
        return ""
    return _territories(lang).get(code.upper(), code)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("api", "templates/site"),
        autoescape=True,  # every value is escaped: the pages show what people typed
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(date=_date, party=_party)
    return env


def _page(
    request: Request, lang: str, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    other = "hu" if lang == "en" else "en"
    path = request.url.path
    other_url = f"/public/{other}/" + path.removeprefix(f"/public/{lang}/")
    if request.url.query:
        other_url += "?" + request.url.query
    html = (
        _env()
        .get_template(f"{template}.j2")
        .render(lang=lang, t=T[lang], other_lang=other, other_url=other_url, **context)
    )
    return HTMLResponse(html, status_code=status)


def _not_found(request: Request, lang: str, detail: str) -> HTMLResponse:
    return _page(request, lang, "not_found", 404, detail=detail)


def _lmo_key(value: str) -> str:
    """An LMO identifier as compared: upper case, slashed zeros as the digit zero."""
    return value.strip().upper().replace("Ø", "0")


# ---- the register of decisions ----------------------------------------------------------------


@router.get("/public")
async def site_root() -> RedirectResponse:
    return RedirectResponse("/public/en/", status_code=307)


@router.get("/public/{lang}/", response_class=HTMLResponse)
async def register_page(
    request: Request,
    lang: Lang,
    pool: PoolDep,
    lmo_id: Annotated[str, Query(max_length=40)] = "",
    party: Annotated[str, Query(max_length=10)] = "",
    received_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    received_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    t = T[lang]
    errors: dict[str, str] = {}
    if lmo_id and not _LMO_ID.match(lmo_id.strip()):
        errors["lmo_id"] = f"{t['lmo_id']} {t['invalid']} ({t['lmo_id_hint']})"
    if party and not _PARTY.match(party.strip()):
        errors["party"] = f"{t['party']} {t['invalid']} ({t['party_hint']})"
    days: dict[str, date | None] = {}
    for name, value, label in (
        ("from", received_from, "from"),
        ("to", received_to, "to"),
    ):
        try:
            days[name] = date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            errors[name] = f"{t[label]} {t['invalid']} ({t['date_hint']})"
    form = {"lmo_id": lmo_id, "party": party, "from": received_from, "to": received_to}
    if errors:
        return _page(request, lang, "register", 422, form=form, errors=errors, cases=[], page=1,
                     more=False)  # fmt: skip
    entries = await public_entries(
        pool,
        lmo_key=_lmo_key(lmo_id) if lmo_id else None,
        party=party.strip().upper() or None,
        received_from=days["from"],
        received_to=days["to"],
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    found: list[PublicCaseSummary] = [public_summary(e) for e in entries[:PAGE_SIZE]]
    return _page(
        request, lang, "register", form=form, errors={}, cases=found, page=page,
        more=len(entries) > PAGE_SIZE,
    )  # fmt: skip


@router.get("/public/{lang}/cases/{case_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, lang: Lang, case_id: str, pool: PoolDep, client: ClientDep
) -> HTMLResponse:
    entry = await public_entry(pool, case_id) if len(case_id) <= 200 else None
    if entry is None:
        return _not_found(request, lang, case_id)
    case = public_case(entry, await started_notification(client, case_id))
    annex = case.annex_i.model_dump(exclude_none=True) if case.annex_i else {}
    return _page(
        request,
        lang,
        "case",
        case=case,
        annex=annex,
        descriptions=ANNEX_I_LABELS[lang],
    )


# ---- public consultation (Art 23(2)) -----------------------------------------------------------


@router.get("/public/{lang}/consultations", response_class=HTMLResponse)
async def consultations_page(
    request: Request, lang: Lang, pool: PoolDep, now: NowDep, settings: SettingsDep
) -> HTMLResponse:
    today = clock.local_date(now, settings.timezone)
    found = await consultation_service.open_consultations(pool, today, limit=200, offset=0)
    return _page(request, lang, "consultations", consultations=found)


async def _consultation_page(
    request: Request, lang: str, pool: Any, case_id: str, today: date, status: int = 200,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    try:
        found = await consultation_service.consultation(pool, case_id, today)
    except CaseNotFound:
        return _not_found(request, lang, case_id)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("received", None)
    context.setdefault("submission", uuid.uuid4().hex)
    return _page(request, lang, "consultation", status, c=found, **context)


@router.get("/public/{lang}/consultations/{case_id}", response_class=HTMLResponse)
async def consultation_page(
    request: Request, lang: Lang, case_id: str, pool: PoolDep, now: NowDep,
    settings: SettingsDep, received: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:  # fmt: skip
    today = clock.local_date(now, settings.timezone)
    return await _consultation_page(request, lang, pool, case_id, today, received=received)


@router.post("/public/{lang}/consultations/{case_id}", response_class=HTMLResponse)
async def comment_form(
    request: Request,
    lang: Lang,
    case_id: str,
    pool: PoolDep,
    now: NowDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    organisation: Annotated[str, Form(max_length=1000)] = "",
    comment: Annotated[str, Form(max_length=40_000)] = "",
    submission: Annotated[str, Form(max_length=64)] = "",
) -> Any:
    """The comment form: the comment is kept as through the API (one per submission token, so a
    form sent twice is one comment), then the page says so (Post/Redirect/Get)."""
    t = T[lang]
    today = clock.local_date(now, settings.timezone)
    form = {"name": name, "email": email, "organisation": organisation, "comment": comment}
    errors: dict[str, str] = {}
    try:
        body = consultation_service.CommentIn.model_validate(
            {k: v for k, v in form.items() if v.strip() or k in ("name", "comment")}
        )
    except ValidationError as err:
        for e in err.errors():
            field = str(e["loc"][0]) if e["loc"] else "comment"
            label = t.get(field, field)
            missing = not form.get(field, "").strip()
            errors.setdefault(field, f"{label}: {t['required'] if missing else t['invalid']}")
        return await _consultation_page(request, lang, pool, case_id, today, 422, form=form,
                                        errors=errors, submission=submission)  # fmt: skip
    key = f"form-{submission}" if re.fullmatch(r"[0-9a-f]{32}", submission) else None
    try:
        receipt, _ = await consultation_service.add_comment(pool, case_id, body, now, today, key)
    except CaseNotFound:
        return _not_found(request, lang, case_id)
    except CommandRefused:
        return await _consultation_page(request, lang, pool, case_id, today, 409, form=form)
    return RedirectResponse(
        f"/public/{lang}/consultations/{case_id}?received={receipt.id}", status_code=303
    )
