"""What a soak run found: per scenario, its figures and its checks, printed as it goes and written
as Markdown at the end (the source of docs/reliability.md's figures)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; NaN for none."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds:.1f} s"


def latency(values: list[float]) -> str:
    """``p50 / p99 / max`` of durations in seconds."""
    if not values:
        return "–"
    return f"{ms(percentile(values, 50))} / {ms(percentile(values, 99))} / {ms(max(values))}"


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Section:
    key: str
    title: str
    proves: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None

    def figure(self, name: str, value: object) -> None:
        self.figures.append((name, str(value)))
        print(f"    {name}: {value}", flush=True)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, passed, detail))
        mark = "ok " if passed else "FAIL"
        print(f"  [{mark}] {name}" + (f" — {detail}" if detail else ""), flush=True)
        return passed

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"    note: {text}", flush=True)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", self.proves, ""]
        if self.seconds is not None:
            lines += [f"Scenario time: {self.seconds:.0f} s.", ""]
        if self.figures:
            lines += ["| figure | value |", "|---|---|"]
            lines += [f"| {name} | {value} |" for name, value in self.figures]
            lines.append("")
        for table in self.tables:
            lines += [table, ""]
        if self.checks:
            lines += ["| check | result |", "|---|---|"]
            for c in self.checks:
                verdict = "pass" if c.passed else "**FAIL**"
                lines.append(f"| {c.name} | {verdict}{': ' + c.detail if c.detail else ''} |")
            lines.append("")
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"


@dataclass
class Report:
    command: str
    settings: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def section(self, key: str, title: str, proves: str) -> Section:
        print(f"\n== {title}", flush=True)
        self.close_section()
        section = Section(key, title, proves)
        self.sections.append(section)
        return section

    def close_section(self) -> None:
        """The last section's time ends when the next one starts (or the run ends)."""
        if self.sections and self.sections[-1].seconds is None:
            self.sections[-1].seconds = time.monotonic() - self.sections[-1].started

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.sections)

    def markdown(self) -> str:
        self.close_section()
        total = time.monotonic() - self.started
        failed = [c.name for s in self.sections for c in s.checks if not c.passed]
        checks = sum(len(s.checks) for s in self.sections)
        lines = [
            "# Soak run",
            "",
            f"Command: `{self.command}`",
            "",
            f"Result: **{'PASS' if not failed else 'FAIL'}**, {checks - len(failed)} of {checks} "
            f"checks passed, {total / 60:.1f} min in all.",
            "",
        ]
        if self.settings:
            lines += ["| setting | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in self.settings]
            lines.append("")
        return "\n".join(lines) + "\n" + "\n".join(s.markdown() for s in self.sections)
