"""Time roofcalc's vectorized evaluation over a catalog-wide grid and over a million batches.

(a) Every catalog model on every catalog accelerator at 64 batch sizes (1 to 64), in
one broadcast evaluation by `views.catalog_grid`. Each pair gets the fewest
accelerators that hold the weights and one 4,096-token sequence; pairs that need more
than the part's `max_per_node` (8 when the catalog gives none) are computed too but
counted as not fitting. The grid runs
end to end in a fresh `python -c` process, alternating with the floor of starting Python
with click and numpy, and the script prints both medians and their ratio. Target: a
median ratio of at most 1.5.

(b) One million batch sizes for Llama 3.1 70B on 8 × H100 SXM in one
`report.evaluate_points` call, timed in this process. Target: a median under 1 s.

Usage: python benchmarks/grid.py [--runs N] [--million-runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FLOOR = [sys.executable, "-c", "import click, numpy"]

GRID_SOURCE = """
import numpy as np
from roofcalc import catalog, views

models = catalog.load_catalog(catalog.MODELS).all()
hardware_list = catalog.load_catalog(catalog.HARDWARE).all()
grid = views.catalog_grid(models, hardware_list, np.arange(1, 65, dtype=float), context_tokens=4096)
evaluated = int(grid.fits.sum())
print(len(models), len(hardware_list), evaluated, grid.fits.size - evaluated, evaluated * grid.batches.size)
"""
GRID = [sys.executable, "-c", GRID_SOURCE]

MILLION = 1_000_000


def time_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def grid_counts() -> list[int]:
    """Run the grid once and return its counts: models, accelerators, pairs evaluated, pairs skipped, points."""
    output = subprocess.run(GRID, check=True, capture_output=True, text=True).stdout
    return [int(field) for field in output.split()]


def million_batches_seconds(runs: int) -> list[float]:
    """Time `runs` calls of report.evaluate_points over batches 1 to 1,000,000."""
    import numpy as np

    from roofcalc import catalog, report
    from roofcalc.scenario import Request, resolve

    model = catalog.find_entry(catalog.MODELS, "llama-3.1-70b")
    hardware = catalog.find_entry(catalog.HARDWARE, "h100-sxm")
    scenario = resolve(Request(model=model, hardware=hardware, num_accelerators=8))
    batches = np.arange(1, MILLION + 1, dtype=float)
    report.evaluate_points(scenario, batches[:10])  # warm up imports and caches

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        results = report.evaluate_points(scenario, batches)
        times.append(time.perf_counter() - start)
        assert results["step_latency_s"].size == MILLION
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of the grid and of the floor (default 20)")
    parser.add_argument("--million-runs", type=int, default=7, help="timed runs of the million-batch call (default 7)")
    options = parser.parse_args()

    models, accelerators, evaluated, skipped, points = grid_counts()  # also warms the disk cache
    time_once(FLOOR)
    floor_times, grid_times = [], []
    for _ in range(options.runs):
        floor_times.append(time_once(FLOOR))
        grid_times.append(time_once(GRID))
    floor = statistics.median(floor_times)
    grid = statistics.median(grid_times)

    million = statistics.median(million_batches_seconds(options.million_runs))

    print(f"python: {sys.version.split()[0]} ({sys.executable})")
    print(f"(a) grid: {models} models × {accelerators} accelerators = {models * accelerators} pairs; "
          f"{evaluated} evaluated, {skipped} skipped (too large for one node); {points:,} points")
    print(f"    runs: {options.runs} of each, alternating")
    print(f"    floor `python -c 'import click, numpy'`: median {floor * 1e3:.1f} ms")
    print(f"    grid  `python -c <grid>`:                median {grid * 1e3:.1f} ms")
    print(f"    ratio: {grid / floor:.3f} (target <= 1.5)")
    print(f"(b) {MILLION:,} batches, llama-3.1-70b on 8 × h100-sxm, one evaluate_points call:")
    print(f"    median of {options.million_runs}: {million:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
