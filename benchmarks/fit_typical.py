"""Fit the overheads behind `--efficiency typical` to gpt-fast's published A100 decode speeds.

gpt-fast (pytorch-labs/gpt-fast README @0f925b5) gives batch-1 tokens/s for Llama-2-7B
and Llama-2-70B in bf16 on 1, 2, 4 and 8 A100-80GB GPUs with tensor parallelism. Over
those seven rows of benchmarks/measurements.csv this script solves, by linear least
squares, the time per output token as

    measured = memory time / MBU + link time + messages × latency + layers × layer overhead

for MBU, the latency of one collective phase and the per-layer overhead, and prints the
fit with each row's measured and fitted time. roofcalc/efficiency.py quotes its result.

Usage: python benchmarks/fit_typical.py
"""

from __future__ import annotations

import csv
import os

import numpy as np

from roofcalc import catalog
from roofcalc import model as roofline
from roofcalc.scenario import Request, resolve

CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measurements.csv")


def gpt_fast_rows() -> list[dict]:
    with open(CSV, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row for row in rows if row["source"].startswith("pytorch-labs/gpt-fast")
            and row["hardware"] == "a100-80gb-sxm" and row["weight_dtype"] == "bf16"]


def main() -> None:
    matrix, measured, labels = [], [], []
    for row in gpt_fast_rows():
        request = Request(
            model=catalog.find_entry(catalog.MODELS, row["model"]),
            hardware=catalog.find_entry(catalog.HARDWARE, row["hardware"]),
            num_accelerators=int(row["gpus"]), context_tokens=int(row["prompt_tokens"]),
            prompt_tokens=int(row["prompt_tokens"]), output_tokens=int(row["output_tokens"]),
            weight_dtype=row["weight_dtype"], kv_dtype=row["kv_dtype"],
        )
        scenario = resolve(request)
        system = scenario.system._replace(message_latency_s=0.0)
        step = roofline.decode_step(scenario.workload, system, 1, int(row["prompt_tokens"]), int(row["output_tokens"]))
        memory = float(step.linear.memory_time_s + step.attention.memory_time_s)
        layers = scenario.workload.num_layers
        # Two all-reduces per layer, each a reduce-scatter and an all-gather phase.
        messages = 4 * layers if int(row["tp"]) > 1 else 0
        matrix.append([memory, messages, layers])
        measured.append(1.0 / float(row["measured_tokens_per_s"]) - float(step.communication_time_s))
        labels.append(row["row"])

    solution, *_ = np.linalg.lstsq(np.array(matrix), np.array(measured), rcond=None)
    inverse_mbu, latency, layer_overhead = solution
    print(f"rows: {', '.join(labels)}")
    print(f"MBU {1 / inverse_mbu:.3f}, message latency {latency * 1e6:.2f} us, layer overhead {layer_overhead * 1e6:.1f} us")
    fitted = np.array(matrix) @ solution
    print("times per output token, less the link time that roofcalc computes from bandwidth:")
    for label, time, fit in zip(labels, measured, fitted):
        print(f"  {label:8s} measured {time * 1e3:7.2f} ms  fitted {fit * 1e3:7.2f} ms  measured/fitted {time / fit:.3f}")


if __name__ == "__main__":
    main()
