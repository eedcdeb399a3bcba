"""How a deadline is explained, in English and in Hungarian with the same figures and ISO
dates: the period's head, each stop and extension as a term, the last day and a roll-forward's
reason (:class:`Explainer`), and a period's counting rule in words (:func:`describe_period`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from workflows.clock.days import CountingRules, closed_reason, closed_reason_hu, roll_forward

# Hungarian names of the start events the procedures use; another label falls back to itself.
START_LABELS_HU: Mapping[str, str] = MappingProxyType(
    {
        "receipt": "kézhezvétel",
        "acknowledgement": "visszaigazolás",
        "the decision change": "a döntés módosítása",
        "the request for review": "a felülvizsgálati kérelem kézhezvétele",
    }
)
# The suffix "on day N" takes after a date in Hungarian ("elsején", "másodikán", "tizedikén"):
# it follows how the ordinal day is pronounced, so it is listed, not derived.
_ON_DAY_HU = (
    "jén án án én én án én án én én "  # 1-10
    "én én án én én án én án én án "  # 11-20
    "én én án én én án én án én án én"  # 21-31
).split()


def days_text(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _remain(n: int) -> str:
    return "1 day remains" if n == 1 else f"{n} days remain"


# Hungarian keeps the noun singular after a numeral ("1 nap", "270 nap"), and the texts are
# built so that no suffix falls on a start label (any noun phrase, or an English fallback):
# only dates take a suffix, and theirs is listed in _ON_DAY_HU.


def on_hu(day: date) -> str:
    """``day`` as the time of an event: "2027-03-01-jén", "2027-03-13-án", "2027-03-10-én"."""
    return f"{day.isoformat()}-{_ON_DAY_HU[day.day - 1]}"


def the_on_hu(day: date) -> str:
    """The same with its article: "a 2027-03-01-jén" ("az" before a year read "ezer..."/"öt...")."""
    return f"{'az' if day.isoformat()[0] in '15' else 'a'} {on_hu(day)}"


def _with_article_hu(label: str) -> str:
    """The label with the Hungarian definite article ("a kézhezvétel", "az értesítés")."""
    if label.lower().startswith(("a ", "az ")):
        return label
    return f"az {label}" if label[:1].lower() in "aáeéiíoóöőuúüű" else f"a {label}"


def describe_period(period_days: int, start_label: str, rules: CountingRules) -> str:
    """The counting rule of a period in words, e.g. for a case page or a reminder."""
    if rules.day_of_event_is_day_one:
        counting = (
            f"the day of {start_label} counts as day 1, so the period ends on day {period_days}"
        )
    else:
        counting = f"the day of {start_label} is day 0, so the period ends on day {period_days}"
    text = (
        f"within {days_text(period_days)} of {start_label}: {counting}, "
        f"at the end of that day ({rules.timezone} time)"
    )
    if rules.roll_forward_to_working_day:
        text += (
            f"; a last day that is not a working day in the {rules.holiday_country} calendar "
            "moves to the next working day"
        )
    return text


@dataclass(frozen=True)
class Term:
    """One addition to the base period, as it appears in the explanation."""

    anchor: date
    rank: int  # 0 = extension, 1 = stop: on one anchor date, an extension is processed first
    index: int
    text: str
    text_hu: str


class Explainer:
    def __init__(
        self,
        period_days: int,
        start: date,
        start_label: str,
        label_hu: str,
        rules: CountingRules,
    ) -> None:
        head = f"{days_text(period_days)} from {start_label} {start.isoformat()}"
        the_label = _with_article_hu(label_hu)
        head_hu = f"{period_days} nap {the_label} napjától ({start.isoformat()}) számítva"
        if rules.day_of_event_is_day_one:
            head += f" (day of {start_label} counted as day 1)"
            head_hu += f" ({the_label} napja az 1. nap)"
        self.head = head
        self.head_hu = head_hu
        self.rules = rules

    @staticmethod
    def _ordered(terms: Sequence[Term]) -> list[Term]:
        return sorted(terms, key=lambda t: (t.anchor, t.rank, t.index))

    def terms(self, terms: Sequence[Term]) -> str:
        return ", ".join([self.head, *(t.text for t in self._ordered(terms))])

    def terms_hu(self, terms: Sequence[Term]) -> str:
        return ", ".join([self.head_hu, *(t.text_hu for t in self._ordered(terms))])

    def last_day(self, terms: Sequence[Term], unrolled: date) -> str:
        text = f"{self.terms(terms)} = {unrolled.isoformat()}"
        rolled = roll_forward(unrolled, self.rules)
        if rolled != unrolled:
            text += (
                f" ({closed_reason(unrolled, self.rules)}), "
                f"moved to the next working day {rolled.isoformat()}"
            )
        return text

    def last_day_hu(self, terms: Sequence[Term], unrolled: date) -> str:
        text = f"{self.terms_hu(terms)} = {unrolled.isoformat()}"
        rolled = roll_forward(unrolled, self.rules)
        if rolled != unrolled:
            text += (
                f" ({closed_reason_hu(unrolled, self.rules)}), "
                f"ezért a következő munkanapra tolódik: {rolled.isoformat()}"
            )
        return text

    def stopped(self, terms: Sequence[Term], since: date, remaining: int) -> str:
        return (
            f"{self.terms(terms)}; clock stopped since {since.isoformat()} "
            f"waiting for requested information: {_remain(remaining)}"
        )

    def stopped_hu(self, terms: Sequence[Term], since: date, remaining: int) -> str:
        return (
            f"{self.terms_hu(terms)}; a határidő folyása {the_on_hu(since)} kért információ "
            f"beérkezéséig szünetel: {remaining} nap van hátra"
        )
