"""Small words every procedure writes the same way: a number of days, a date, an explanation in
the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Protocol


class Explained(Protocol):
    @property
    def explanation(self) -> str: ...

    @property
    def explanation_hu(self) -> str: ...


def days(n: int) -> str:
    """ "1 day", "2 days": never "1 days"."""
    return "1 day" if n == 1 else f"{n} days"


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def explained(deadline: Explained | None, language: str) -> str | None:
    """A deadline's explanation in the reader's language (English where no other is known)."""
    if deadline is None:
        return None
    return (
        deadline.explanation_hu
        if language == "hu" and deadline.explanation_hu
        else (deadline.explanation)
    )
