"""Allocation benchmark: our Method of Equal Shares (add1 completion) on Warszawa 2026.

    .venv/bin/python benchmarks/allocation.py [FILE.pb]

Default file: tests/data/pabulib/Poland_Warszawa_2026.pb (83 projects, 61,668 approval ballots).
Prints our time and peak memory (the process's maximum resident set, measured before pabutools is
loaded), whether our selection equals pabutools' recorded add1 selection
(tests/data/pabulib/Poland_Warszawa_2026.equal_shares.json), and, when pabutools is installed
(``pip install -e '.[bench]'``; GPL, a benchmark-only tool), pabutools' plain equal shares run in
this process, beside the recorded time of its add1 completion for scale. Figures are printed,
never asserted.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grants.allocation import equal_shares  # noqa: E402
from grants.pabulib import parse  # noqa: E402

DATA = ROOT / "tests" / "data" / "pabulib"


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "Poland_Warszawa_2026.pb"
    started = time.perf_counter()
    election = parse(path.read_text(encoding="utf-8"))
    budget, costs, unit = election.money()
    ballots = election.ballots()
    parsed = time.perf_counter() - started
    print(f"{path.name}: {len(costs)} projects, {len(ballots):,} ballots, budget {budget:,}")
    print(f"parse: {parsed:.1f} s")

    started = time.perf_counter()
    ours = equal_shares(budget, costs, ballots, unit=unit)
    seconds = time.perf_counter() - started
    print(
        f"ours, equal_shares (add1): {seconds:.1f} s, peak {peak_mb()} MB, "
        f"{len(ours)} projects, cost {sum(costs[p] for p in ours):,}"
    )

    reference = DATA / f"{path.stem}.equal_shares.json"
    if reference.exists():
        recorded = json.loads(reference.read_text(encoding="utf-8"))
        same = ours == sorted(recorded["selected"])
        print(
            f"same selection as pabutools {recorded['pabutools']} add1: {'yes' if same else 'NO'}"
        )
        print(
            f"pabutools add1, recorded: {recorded['seconds']:,} s, peak {recorded['max_rss_mb']} MB"
        )

    try:
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import method_of_equal_shares
    except ImportError:
        print("pabutools not installed: pip install -e '.[bench]' to time its plain equal shares")
        return
    instance, profile = parse_pabulib(str(path))
    started = time.perf_counter()
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    seconds = time.perf_counter() - started
    print(
        f"pabutools plain equal shares (no completion), this process: {seconds:.1f} s, {len(theirs)} projects"
    )


if __name__ == "__main__":
    main()
