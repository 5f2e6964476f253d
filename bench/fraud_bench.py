"""Cash-out detection measured on planted cases: precision and recall per kind, over seeds.

Builds a synthetic month (``fraud.synthetic.world_build``: 100,000 citizens and 10,000 shops
by default, with ``--rings`` planted cases of each kind and as many honest look-alikes of each),
scores it with the default thresholds (``fraud.rules.score``, what the nightly step runs on the
facts it loads) and prints, per kind, recall (planted cases with a case opened on one of their
shops or citizens) and precision (cases on planted subjects against cases on the kind's
look-alikes), then overall precision (every case opened, ordinary citizens and shops included)
and the scoring time. The thresholds are never tuned to a seed: the figures are over
``--seeds`` seeds.

    python bench/fraud_bench.py [--citizens 100000] [--shops 10000] [--rings 10] [--seeds 5]

The last line begins ``fraud:``. Targets: recall >= 0.9, precision >= 0.8, the step < 60 s.
"""

from __future__ import annotations

import argparse
import time

from _setup import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--rings", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    django_setup()
    from fraud.bench import bench_run

    result = bench_run(
        citizens=args.citizens, shops=args.shops, rings=args.rings, seeds=range(1, args.seeds + 1)
    )
    for line in result.lines():
        print(line, flush=True)
    print(result.summary_line())


if __name__ == "__main__":
    started = time.monotonic()
    main()
