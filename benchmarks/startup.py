"""Time a one-off `roofcalc calc --format json` against the floor of starting Python with click and numpy.

Both commands run alternately in fresh processes, so that disk cache and CPU frequency
affect them alike, and the script prints each median and their ratio. The target is a
median ratio of at most 1.2.

Usage: python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

FLOOR = [sys.executable, "-c", "import click, numpy"]
# The console script that pip installs beside this interpreter, as a user runs it.
SCRIPT = os.path.join(os.path.dirname(sys.executable), "roofcalc")
CALC = [
    SCRIPT, "calc", "--model", "llama-3.1-70b", "--hardware", "h100-sxm",
    "--gpus", "8", "--batch", "64", "--context", "4096", "--format", "json",
]


def time_once(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command (default 30)")
    options = parser.parse_args()

    for command in (FLOOR, CALC):  # warm the disk cache
        time_once(command)
    floor_times, calc_times = [], []
    for _ in range(options.runs):
        floor_times.append(time_once(FLOOR))
        calc_times.append(time_once(CALC))

    floor = statistics.median(floor_times)
    calc = statistics.median(calc_times)
    print(f"python: {sys.version.split()[0]} ({sys.executable})")
    print(f"runs: {options.runs} of each, alternating")
    print(f"floor  `python -c 'import click, numpy'`: median {floor * 1e3:.1f} ms")
    print(f"calc   `roofcalc calc ... --format json`: median {calc * 1e3:.1f} ms")
    print(f"ratio: {calc / floor:.3f} (target <= 1.2)")


if __name__ == "__main__":
    main()
