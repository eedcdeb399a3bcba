"""The dev-server suite's arithmetic and its outputs, with no I/O of measurement: percentiles,
each figure's ratio to its bare baseline and its verdict against the goal (issue 14), the
result file (``bench/results/*.json``) and the table in ``docs/performance.md``.

Every figure is a ratio to a bare Temporal (or bare FastAPI) baseline taken in the same run on
the same server, because the machines are shared and noisy: the absolute numbers move with
the load, their ratio much less.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

SCHEMA = 1
TABLE_BEGIN = "<!-- bench table: written by `python -m bench.suite`; edit the text around it -->"
TABLE_END = "<!-- end of bench table -->"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; NaN for no values.

    Nearest rank, not interpolation: a p99 is a latency some request really had."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    REPORTED = "reported"  # no goal: the figure is shown for what it is
    NOT_MEASURED = "not measured"


Direction = Literal["at_least", "at_most"]


@dataclass(frozen=True)
class Goal:
    """``compare`` (the ratio to the baseline, or the value itself when there is no baseline)
    must be ``direction`` ``limit``; ``aim`` is the better figure hoped for."""

    direction: Direction
    limit: float
    on: Literal["ratio", "value"]
    aim: float | None = None

    def met_by(self, x: float) -> bool:
        if math.isnan(x):
            return False
        return x >= self.limit if self.direction == "at_least" else x <= self.limit

    def aim_met_by(self, x: float) -> bool | None:
        if self.aim is None or math.isnan(x):
            return None
        return x >= self.aim if self.direction == "at_least" else x <= self.aim

    @property
    def text(self) -> str:
        sign = "≥" if self.direction == "at_least" else "≤"
        what = "× bare" if self.on == "ratio" else ""
        text = f"{sign} {self.limit:g}{what}"
        if self.aim is not None:
            text += f", aim {self.aim:g}{what}"
        return text


@dataclass(frozen=True)
class Figure:
    """One line of the table: our measured value beside the bare baseline of the same run."""

    key: str
    title: str
    measured: float
    unit: str
    baseline: float | None = None
    baseline_title: str = "–"
    goal: Goal | None = None
    detail: str = ""
    projected: bool = False  # the value is extrapolated from a smaller run (said in the table)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None:
            return None
        if self.baseline == 0 or math.isnan(self.baseline) or math.isnan(self.measured):
            return math.nan
        return self.measured / self.baseline

    @property
    def compared(self) -> float:
        """What the goal is checked on: the ratio, or the value itself."""
        if self.goal is not None and self.goal.on == "ratio":
            ratio = self.ratio
            return math.nan if ratio is None else ratio
        return self.measured

    @property
    def verdict(self) -> Verdict:
        if math.isnan(self.measured):
            return Verdict.NOT_MEASURED
        if self.goal is None:
            return Verdict.REPORTED
        if math.isnan(self.compared):
            return Verdict.NOT_MEASURED
        return Verdict.MET if self.goal.met_by(self.compared) else Verdict.MISSED

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = _finite(self.ratio)
        data["measured"] = _finite(self.measured)
        data["baseline"] = _finite(self.baseline)
        data["verdict"] = self.verdict.value
        data["goal"] = (
            None
            if self.goal is None
            else {**asdict(self.goal), "text": self.goal.text, "aim_met": self._aim_met()}
        )
        return data

    def _aim_met(self) -> bool | None:
        return None if self.goal is None else self.goal.aim_met_by(self.compared)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figure:
        goal = data.get("goal")
        return cls(
            key=data["key"],
            title=data["title"],
            measured=_nan(data.get("measured")),
            unit=data["unit"],
            baseline=None if data.get("baseline") is None else float(data["baseline"]),
            baseline_title=data.get("baseline_title", "–"),
            goal=None
            if goal is None
            else Goal(goal["direction"], float(goal["limit"]), goal["on"], goal.get("aim")),
            detail=data.get("detail", ""),
            projected=bool(data.get("projected", False)),
            extra=dict(data.get("extra") or {}),
        )


def _finite(x: float | None) -> float | None:
    """JSON has no NaN: an unmeasured value is written as null."""
    return None if x is None or math.isnan(x) else x


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def _num(x: float) -> str:
    """A measured value for the table: whole numbers as such, else 3 significant figures."""
    if math.isnan(x):
        return "–"
    if x == int(x) or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


@dataclass(frozen=True)
class Run:
    """One run of the suite: when, where, with what, and its figures."""

    started: str
    finished: str
    machine: dict[str, str]
    options: dict[str, Any]
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "started": self.started,
            "finished": self.finished,
            "machine": self.machine,
            "options": self.options,
            "figures": [f.to_json() for f in self.figures],
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"result file schema {data.get('schema')!r}, expected {SCHEMA}")
        return cls(
            started=data["started"],
            finished=data["finished"],
            machine=dict(data["machine"]),
            options=dict(data["options"]),
            figures=[Figure.from_json(f) for f in data["figures"]],
            notes=list(data.get("notes") or []),
        )

    def write(self, folder: Path) -> Path:
        """``<folder>/<started, compact>-<mode>.json``; returns the path."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = self.started.replace("-", "").replace(":", "").replace(" ", "-")[:13]
        mode = "full" if self.options.get("full") else "default"
        path = folder / f"{stamp}-{mode}.json"
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> Run:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _value(x: float | None, unit: str) -> str:
    if x is None:
        return "–"
    return f"{_num(x)} {unit}".strip()


def table(run: Run) -> str:
    """The Markdown table of a run: each figure with its baseline, ratio, goal and verdict."""
    lines = [
        f"Run {run.started} to {run.finished} ({'full' if run.options.get('full') else 'default'}"
        f" suite: {', '.join(f'{k} {v}' for k, v in run.options.items() if k != 'full')}); "
        f"{run.machine.get('machine', '')}; 1-minute load average before / after: "
        f"{run.machine.get('load_before', '?')} / {run.machine.get('load_after', '?')}.",
        "",
        "| # | figure | this project | bare baseline, same run | ratio | goal | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, f in enumerate(run.figures, 1):
        ratio = f.ratio
        measured = _value(f.measured, f.unit) + (" (projected)" if f.projected else "")
        if f.detail:
            measured += f"; {f.detail}"
        baseline = (
            "–" if f.baseline is None else f"{_value(f.baseline, f.unit)} ({f.baseline_title})"
        )
        ratio_text = "–" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×"
        goal = "–" if f.goal is None else f.goal.text
        verdict = f.verdict.value
        if f.goal is not None and f.verdict is Verdict.MET and f._aim_met() is not None:
            verdict += " (aim met)" if f._aim_met() else " (aim not met)"
        lines.append(
            f"| {n} | {f.title} | {measured} | {baseline} | {ratio_text} | {goal} | **{verdict}** |"
        )
    if run.notes:
        lines += ["", *(f"- {note}" for note in run.notes)]
    return "\n".join(lines)


def replace_table(document: str, run: Run) -> str:
    """``document`` with the text between the table markers replaced by the run's table (the
    prose around it is kept); the markers and the table are appended when missing."""
    block = f"{TABLE_BEGIN}\n{table(run)}\n{TABLE_END}"
    if TABLE_BEGIN in document and TABLE_END in document:
        before, rest = document.split(TABLE_BEGIN, 1)
        _, after = rest.split(TABLE_END, 1)
        return before + block + after
    return document.rstrip("\n") + ("\n\n" if document.strip() else "") + block + "\n"
