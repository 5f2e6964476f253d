"""Precision and recall on planted cases in a small synthetic city, over three seeds (the
bench, ``bench/fraud_bench.py``, runs the full-size city over five)."""

from fraud.bench import bench_run
from fraud.synthetic import KINDS, world_build


def test_the_planted_cases_are_found_and_the_look_alikes_left_alone():
    result = bench_run(citizens=3_000, shops=300, rings=6, seeds=[11, 12, 13])
    for kind in KINDS:
        assert result.recall(kind) >= 0.9, (kind, result.lines())
        assert result.precision(kind) >= 0.8, (kind, result.lines())
    assert result.overall_precision >= 0.8, result.lines()
    assert result.summary_line().startswith("fraud: seeds=3 ")


def test_a_seed_gives_the_same_world():
    a, b = (
        world_build(seed=5, citizens=200, shops=20, rings=2),
        world_build(seed=5, citizens=200, shops=20, rings=2),
    )
    assert a.facts.payments == b.facts.payments
    assert world_build(seed=6, citizens=200, shops=20, rings=2).facts.payments != a.facts.payments
