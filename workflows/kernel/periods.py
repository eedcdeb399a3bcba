"""Statutory periods as data: what a procedure module declares about each of its deadlines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """One period of a procedure, e.g. "decide within 270 days of receipt" (CP Art 10(3))."""

    key: str  # stable name: message keys, search attributes and the register use it
    days: int
    counted_from: str  # the event it counts from, in English ("receipt")
    counted_from_hu: str  # ... and in Hungarian ("kézhezvétel")
    article: str  # "CP Art 10(3)"
    label: str  # "Decision on the import"
    label_hu: str  # "Döntés a behozatalról"
    stoppable: bool = False  # a request for information stops it (Art 10(3)(c))
    extendable: bool = False  # it can be extended by a notified period (Art 10(3)(d))
    reminders: bool = True  # officers are reminded before it ends
    lapses: bool = True  # passing it is a missed deadline (escalated); else a moment that arrives

    def label_in(self, language: str) -> str:
        return self.label_hu if language == "hu" else self.label
