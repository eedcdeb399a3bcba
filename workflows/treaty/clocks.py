"""The dates of a treaty status case: its periods as data, and the dates the statutory clock
derives from the deposit and the notice of withdrawal.

CP Art 37(2) / SP Art 18(2): the treaty enters into force for a Party "on the ninetieth day after
the date on which [it] deposits its instrument", or on a later date where one applies: the
treaty's own entry into force (CP Art 37(1): 2003-09-11; SP Art 18(1): 2018-03-05), the date the
Convention enters into force for the Party (CP Art 37(2)), the date the Protocol enters into
force for it (SP Art 18(2)). The day of deposit is day 0 and the ninetieth day after it is
date(deposit) + 90. Hungary deposited on 2004-01-13: 18 days remain of January, then February's
29 (2004 is a leap year), March's 31 and 12 of April, 18 + 29 + 31 + 12 = 90, so the ninetieth
day is 2004-04-12, the date from which Act CIX of 2004 applies the Protocol (its § 3(1)). The
treaty counts its own days: the deployment's domestic options (the day of the event as day 1,
roll-forward to a working day) never apply to it.

CP Art 39 / SP Art 20: a notice of withdrawal may be given "at any time after two years from the
date on which [the treaty] has entered into force for a Party"; the withdrawal takes place "upon
expiry of one year after the date of its receipt by the Depositary, or on such later date as may
be specified in the notification". Years are calendar years, counted as the Depositary counts
them under the same words elsewhere (the Paris Agreement, Art 28: a notice received on
2019-11-04 took effect on 2020-11-04, three years after an entry into force on 2016-11-04): the
same day of the month, 28 February for a 29 February in a year without one.

A treaty's date takes effect when its day begins, while the kernel's moments arrive when their
last day ends: the run loop is handed each moment on its eve (:meth:`TreatyClocks.wake_entries`);
the view shows the date itself (:meth:`TreatyClocks.entries`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import NamedTuple

from workflows import clock
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period
from workflows.models import ClockRules
from workflows.treaty.models import TREATIES, Deposit, TreatyState

ENTRY_INTO_FORCE_DAYS = 90  # CP Art 37(2), SP Art 18(2): "the ninetieth day after"
WITHDRAWAL_AFTER_YEARS = 2  # CP Art 39(1), SP Art 20(1)
WITHDRAWAL_EFFECT_YEARS = 1  # CP Art 39(2), SP Art 20(2)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def treaty_counting(rules: ClockRules) -> ClockRules:
    """The case's rules with the treaty's own counting: day 0 is the day of the event, and a
    date stays where it falls (see the module doc)."""
    return rules.model_copy(
        update={"day_of_event_is_day_one": False, "roll_forward_to_working_day": False}
    )


def entry_into_force_period(treaty: str) -> Period:
    return Period(
        key="entry_into_force",
        days=ENTRY_INTO_FORCE_DAYS,
        counted_from="deposit of the instrument",
        counted_from_hu="az okirat letétbe helyezése",
        article=TREATIES[treaty].for_party_article,
        label="Entry into force for the Party",
        label_hu="Hatálybalépés a Részes Fél számára",
        reminders=False,  # a moment that arrives, not a deadline of the authority's
        lapses=False,
    )


def withdrawal_period(article: str) -> Period:
    return Period(
        key="withdrawal",
        days=365,  # replaced by the days to the date the withdrawal takes effect
        counted_from="receipt of the notice of withdrawal by the Depositary",
        counted_from_hu="a felmondó nyilatkozat Letéteményes általi átvétele",
        article=article,
        label="Withdrawal taking effect",
        label_hu="A felmondás hatálybalépése",
        reminders=False,
        lapses=False,
    )


class _Effect(NamedTuple):
    on: date  # the withdrawal takes effect
    received: date  # the Depositary received the notice
    article: str
    en: str  # how the date comes about, in English
    hu: str  # ... and in Hungarian


class TreatyClocks:
    def __init__(self, ledger: Ledger, deposit: Deposit, state: TreatyState) -> None:
        self._ledger = ledger
        self._deposit = deposit
        self._treaty = TREATIES[deposit.treaty]
        self._state = state

    def entry_into_force(self) -> clock.Deadline:
        """The ninetieth day after deposit, or the later date that applies (module doc)."""
        d, t = self._deposit, self._treaty
        base = self._ledger.compute(entry_into_force_period(d.treaty), d.deposited_on)
        assert base.due is not None  # no stops, no roll-forward
        protocol_en = "the Protocol" if d.treaty == "cp" else "the Supplementary Protocol"
        protocol_hu = "a Jegyzőkönyv" if d.treaty == "cp" else "a Kiegészítő Jegyzőkönyv"
        later = [
            (
                t.in_force_on,
                f"{protocol_en} itself entered into force on {t.in_force_on} "
                f"({t.in_force_article})",
                f"{protocol_hu} maga {t.in_force_on} napján lépett hatályba ({t.in_force_article})",
            ),
            (
                d.convention_in_force_on,
                f"the Convention enters into force for the Party on {d.convention_in_force_on} "
                "(CP Art 37(2))",
                f"az Egyezmény a Részes Fél számára {d.convention_in_force_on} napján lép hatályba "
                "(CP Art 37(2))",
            ),
            (
                d.protocol_in_force_on,
                f"the Protocol enters into force for the Party on {d.protocol_in_force_on} "
                "(SP Art 18(2))",
                f"a Jegyzőkönyv a Részes Fél számára {d.protocol_in_force_on} napján lép hatályba "
                "(SP Art 18(2))",
            ),
        ]
        applies = [(on, en, hu) for on, en, hu in later if on is not None and on > base.due]
        if not applies:
            return base
        on, en, hu = max(applies, key=lambda c: c[0])
        return base.model_copy(
            update={
                "due": on,
                "explanation": f"{base.explanation}; {en}, the later date: {on}",
                "explanation_hu": f"{base.explanation_hu}; {hu}, ez a későbbi időpont: {on}",
            }
        )

    def in_force_on(self) -> date:
        due = self.entry_into_force().due
        assert due is not None
        return due

    def withdrawal_possible_from(self) -> date:
        """CP Art 39(1) / SP Art 20(1): two years after the entry into force for the Party."""
        return add_years(self.in_force_on(), WITHDRAWAL_AFTER_YEARS)

    def withdrawal(self) -> clock.Deadline | None:
        """When the withdrawal takes effect (see :meth:`_effect`)."""
        effect = self._effect()
        if effect is None:
            return None
        period = dataclasses.replace(
            withdrawal_period(effect.article), days=(effect.on - effect.received).days
        )
        counted = self._ledger.compute(period, effect.received)
        return counted.model_copy(
            update={
                "explanation": f"{effect.en} = {effect.on}",
                "explanation_hu": f"{effect.hu} = {effect.on}",
            }
        )

    def _effect(self) -> _Effect | None:
        """The Party's own notice (CP Art 39(2) / SP Art 20(2)) or, for the Supplementary
        Protocol, its withdrawal from the Protocol (SP Art 20(3)); the earlier, if both."""
        effects: list[_Effect] = []
        if (own := self._state.withdrawal) is not None:
            received = own.received_by_depositary_on
            article = self._treaty.withdrawal_effect_article
            if own.takes_effect_on is None:
                effects.append(
                    _Effect(
                        add_years(received, WITHDRAWAL_EFFECT_YEARS),
                        received,
                        article,
                        f"one year after receipt by the Depositary {received} ({article})",
                        "egy év a felmondó nyilatkozat Letéteményes általi átvételétől "
                        f"({received}) számítva ({article})",
                    )
                )
            else:
                effects.append(
                    _Effect(
                        own.takes_effect_on,
                        received,
                        article,
                        "the later date specified in the notice received by the Depositary "
                        f"{received} ({article})",
                        f"a Letéteményes által {received} napján átvett felmondó nyilatkozatban "
                        f"megadott későbbi időpont ({article})",
                    )
                )
        if (via := self._state.protocol_withdrawal) is not None:
            received = via.received_by_depositary_on
            effects.append(
                _Effect(
                    via.takes_effect_on,
                    received,
                    "SP Art 20(3)",
                    f"the withdrawal from the Cartagena Protocol, notified to the Depositary "
                    f"{received}, withdraws the Party from this Supplementary Protocol too "
                    "(SP Art 20(3))",
                    f"a Cartagena Jegyzőkönyv felmondása (a Letéteményes {received} napján vette "
                    "át) e Kiegészítő Jegyzőkönyv felmondásának is tekintendő (SP Art 20(3))",
                )
            )
        return min(effects, key=lambda e: e.on) if effects else None

    def entries(self) -> list[Entry]:
        """The ledger as the case shows it: the dates themselves."""
        st = self._state
        eif = self.entry_into_force()
        withdrawal = self.withdrawal()
        withdrawn_on = withdrawal.due if withdrawal is not None and st.withdrawn else None
        out = [
            Entry(
                entry_into_force_period(self._deposit.treaty),
                eif,
                met_on=eif.due if st.in_force else None,
                closed_on=withdrawn_on if not st.in_force else None,
            )
        ]
        effect = self._effect()
        if withdrawal is not None and effect is not None:
            period = withdrawal_period(effect.article)
            out.append(Entry(period, withdrawal, met_on=withdrawn_on))
        return out

    def wake_entries(self) -> list[Entry]:
        """The ledger as the run loop sees it: each moment on its eve, so that it arrives as its
        own day begins (module doc)."""
        return [_eve(e) for e in self.entries()]


def _eve(entry: Entry) -> Entry:
    due = entry.deadline.due
    if due is None:
        return entry
    label = entry.period.label
    return dataclasses.replace(
        entry,
        period=dataclasses.replace(entry.period, label=f"Eve of {label[0].lower()}{label[1:]}"),
        deadline=entry.deadline.model_copy(update={"due": due - timedelta(days=1)}),
    )
