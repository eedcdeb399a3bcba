"""What the authority's e-mails say: the templates in English and Hungarian and how they are
rendered (pure; ``activities/email.py`` sends them and keeps the evidence).

Templates live in ``activities/templates/{en,hu}/<template>.j2``. Each one extends the language's
``_layout.j2`` and fills two blocks: ``subject`` (one line, citing the article the message is sent
under) and ``body``; the layout adds the greeting, the case facts (each line only when its value
is present) and the closing. Filters: ``longdate`` and ``days`` (in the letter's language),
``cite`` (an article citation), ``party`` (a Party's country code as its name in the letter's
language; ``party(article=True)`` in running text) and ``capfirst``; the test ``present``
(defined, and neither None nor empty).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2
from babel import Locale

# The templates that exist in both languages (tests render every one of them).
TEMPLATES = (
    "aia_acknowledgement",
    "aia_information_request",
    "aia_extension",
    "aia_decision",
    "aia_withdrawal",
    "aia_may_proceed",
    "aia_simplified",
    "deadline_reminder",
    "deadline_missed",
    "delivery_failed",
    "bch_validation_failed",
    "bch_publication_waiting",
    "bch_publication_outcome",
    "review_decision_changed",
    "review_request_received",
    "review_answer",
    "treaty_entry_into_force",
    "treaty_withdrawal_effective",
    "ffp_decision_copy",
    "ffp_information_answer",
    "ffp_first_import_decision",
    "response_decision",
    "response_follow_up",
    "response_follow_up_due",
    "response_authority_measures",
    "response_cost_demand",
    "response_closed",
    "illegal_disposal_request",
    "illegal_follow_up",
    "emergency_notification",
    "emergency_follow_up",
    "confidentiality_justification_request",
    "confidentiality_consultation",
    "confidentiality_decision",
    "confidentiality_review_decision",
    "confidentiality_withdrawal",
)
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_HU_MONTHS = (
    "január",
    "február",
    "március",
    "április",
    "május",
    "június",
    "július",
    "augusztus",
    "szeptember",
    "október",
    "november",
    "december",
)
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CITATION = re.compile(
    r"^\s*(?:CP\s+)?(?:Art(?:icle)?\.?\s*)?(\d+)\s*((?:\(\s*[0-9a-z]+\s*\))*)\s*$", re.I
)


def _to_date(value: Any) -> date:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the variable
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    raise ValueError(f"expected an ISO date, got {value!r}")


@jinja2.pass_context
def _longdate(ctx: jinja2.runtime.Context, value: Any) -> str:
    d = _to_date(value)
    if ctx["language"] == "hu":
        return f"{d.year}. {_HU_MONTHS[d.month - 1]} {d.day}."
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


@jinja2.pass_context
def _days(ctx: jinja2.runtime.Context, value: Any) -> str:
    n = int(value)
    if ctx["language"] == "hu":
        return f"{n} nap"  # Hungarian keeps the noun singular after a numeral
    return f"{n} day" if abs(n) == 1 else f"{n} days"


@jinja2.pass_context
def _cite(ctx: jinja2.runtime.Context, value: Any) -> str:
    """ "10(3)(c)", "Art 10(3)(c)" or "Article 10(3)(c)" → the language's citation form."""
    text = str(value)
    match = _CITATION.match(text)
    if not match:
        return text
    article = match.group(1)
    parts = re.findall(r"\(\s*([0-9a-z]+)\s*\)", match.group(2), re.I)
    if ctx["language"] == "hu":
        cited = f"{article}. cikk"
        for part in parts:
            cited += f" ({part}) bekezdés" if part.isdigit() else f" {part}) pont"
        return cited
    return f"Article {article}" + "".join(f"({p})" for p in parts)


# CLDR territories that are no Party's country code; like an unknown code, printed as given.
_NOT_A_COUNTRY = frozenset({"EZ", "QO", "UN", "XA", "XB", "ZZ"})
# CLDR names a territory bare, as in a list ("United States", "Egyesült Királyság"); in running
# text these take the definite article ("of the United States", "az Egyesült Királyság felől").
_WITH_ARTICLE = {
    "en": frozenset(
        "AE AX BQ BS CC CF CK DO EU FK FO GB GM GS HM IC IM IO KM KY MH MP MV NL PH PN PS SB SC "
        "TC TF UM US VG VI".split()
    ),
    "hu": frozenset(
        "AC AE AX BQ BS BV CC CF CK CP CV CX DO EU FK FO GB GS HM IC IM IO KM KY MH MP MV NF PH "
        "PN PS SB SC TC TF US VA VG VI ZA".split()
    ),
}
_HU_VOWELS = "aáeéiíoóöőuúüűå"  # "az" before these (Åland is read "Óland")


@functools.lru_cache(maxsize=8)
def _territories(language: str) -> Mapping[str, str]:
    return Locale.parse(language).territories


@jinja2.pass_context
def _party(ctx: jinja2.runtime.Context, value: Any, article: bool = False) -> str:
    """A Party's ISO 3166-1 alpha-2 code → its name in the letter's language ("HU" → "Hungary",
    "Magyarország"); ``article=True`` adds the definite article where running text needs one
    ("the United States", "az Egyesült Államok"). An unknown code is printed as it is."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the variable
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a Party's country code, got {value!r}")
    language = ctx["language"]
    code = value.strip().upper()
    name = None if code in _NOT_A_COUNTRY else _territories(language).get(code)
    if name is None or len(code) != 2:
        return value
    if not article or code not in _WITH_ARTICLE[language]:
        return name
    if language == "hu":
        return f"az {name}" if name[:1].lower() in _HU_VOWELS else f"a {name}"
    return f"the {name}"


def _capfirst(value: Any) -> str:
    """The first letter in upper case, the rest untouched (unlike ``capitalize``)."""
    text = str(value)
    return text[:1].upper() + text[1:]


def _present(value: Any) -> bool:
    """``{% if x is present %}``: defined, not None, not empty (StrictUndefined refuses bool())."""
    if isinstance(value, jinja2.Undefined) or value is None:
        return False
    return not (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("activities", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # plain-text mail
        # The templates ship with the code and change with a release (a restart), so a loaded
        # template is not checked against its file's time on every letter.
        auto_reload=False,
    )
    env.filters.update(longdate=_longdate, days=_days, cite=_cite, party=_party, capfirst=_capfirst)
    env.tests["present"] = _present
    return env


_ENV = _environment()


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


def render_email(template: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``templates/<language>/<template>.j2``; undefined variables are errors."""
    if not _TEMPLATE_NAME.match(template) or language not in ("en", "hu"):
        raise jinja2.TemplateNotFound(f"{language}/{template}.j2")
    tmpl = _ENV.get_template(f"{language}/{template}.j2")
    variables = {**context, "language": language}
    subject = "".join(tmpl.blocks["subject"](tmpl.new_context(variables)))
    body = tmpl.render(variables)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return RenderedEmail(subject=" ".join(subject.split()), body=body)
