"""The measurement behind ``bench/fraud_bench.py`` (and its test): build worlds, score them,
add up precision and recall per planted kind over the seeds."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .rules import Thresholds, score
from .synthetic import KINDS, world_build, world_measure


@dataclass
class BenchResult:
    seeds: list[int] = field(default_factory=list)
    per_kind: dict[str, list[int]] = field(default_factory=dict)  # planted, found, true, false
    background_cases: int = 0
    cases: int = 0
    step_seconds: list[float] = field(default_factory=list)
    payments: int = 0

    def add(self, world, cases: set[tuple[str, int]], seed: int) -> int:
        """Count one seed's cases against its world; returns the cases on ordinary subjects."""
        measures, background = world_measure(world, cases)
        for m in measures:
            totals = self.per_kind[m.kind]
            totals[0] += m.planted
            totals[1] += m.found
            totals[2] += m.true_cases
            totals[3] += m.false_cases
        self.background_cases += background
        self.cases += len(cases)
        self.seeds.append(seed)
        return background

    def recall(self, kind: str) -> float:
        planted, found, _t, _f = self.per_kind[kind]
        return found / planted if planted else 1.0

    def precision(self, kind: str) -> float:
        _p, _fo, true, false = self.per_kind[kind]
        return true / (true + false) if true + false else 1.0

    @property
    def overall_precision(self) -> float:
        true = sum(v[2] for v in self.per_kind.values())
        return true / self.cases if self.cases else 1.0

    @property
    def overall_recall(self) -> float:
        planted = sum(v[0] for v in self.per_kind.values())
        found = sum(v[1] for v in self.per_kind.values())
        return found / planted if planted else 1.0

    def lines(self) -> list[str]:
        out = [
            f"seeds {self.seeds}: {self.payments:,} payments scored, {self.cases} cases opened,"
            f" {self.background_cases} on ordinary citizens or shops"
        ]
        for kind in KINDS:
            planted, found, true, false = self.per_kind[kind]
            out.append(
                f"  {kind:16} planted {planted:3}  found {found:3}  recall {self.recall(kind):.3f}"
                f"  precision {self.precision(kind):.3f} ({true} cases on planted subjects,"
                f" {false} on look-alikes)"
            )
        out.append(
            f"  overall          recall {self.overall_recall:.3f}  precision"
            f" {self.overall_precision:.3f}  step max {max(self.step_seconds):.2f} s"
        )
        return out

    def summary_line(self) -> str:
        kinds = " ".join(
            f"{kind}=P{self.precision(kind):.2f}/R{self.recall(kind):.2f}" for kind in KINDS
        )
        return (
            f"fraud: seeds={len(self.seeds)} {kinds} overall=P{self.overall_precision:.2f}"
            f"/R{self.overall_recall:.2f} step_max={max(self.step_seconds):.2f}s"
        )


def bench_run(
    *, citizens: int, shops: int, rings: int, seeds: Iterable[int], thresholds=None
) -> BenchResult:
    thresholds = thresholds or Thresholds()
    result = BenchResult(per_kind={kind: [0, 0, 0, 0] for kind in KINDS})
    for seed in seeds:
        world = world_build(seed=seed, citizens=citizens, shops=shops, rings=rings)
        started = time.monotonic()
        findings = score(world.facts, thresholds)
        result.step_seconds.append(time.monotonic() - started)
        cases = {(f.subject, f.subject_id) for f in findings}
        result.add(world, cases, seed)
        result.payments += len(world.facts.payments)
    return result
