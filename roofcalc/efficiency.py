"""Measured efficiency factors behind `--efficiency typical`, each with its source.

MFU is the maximum achievable matmul FLOP/s (best-shape GEMM, mean of 100 runs after 50
warm-up runs) divided by the dense peak, from stas00/ml-engineering,
compute/accelerator/README.md at commit 744d01e, "Maximum Achievable Matmul FLOPS"
table. MBU is the share of peak memory bandwidth that a batch-1 decode reached in a
published benchmark, named per entry. Both are measurements of particular software
on particular systems, so `typical` is an estimate, not a bound.
"""

from __future__ import annotations

from typing import NamedTuple


class Measured(NamedTuple):
    value: float
    source: str


# benchmarks/fit_typical.py fits MBU, the latency of one collective phase and a per-layer
# overhead to gpt-fast's seven bf16 A100 rows (Llama-2-7B and -70B on 1 to 8 GPUs). It
# printed MBU 0.811, 5.09 µs and 47.1 µs, with every row within 6% of its measurement.
# Kipply ("Transformer Inference Arithmetic") estimates 8 µs per message, the same order.
_FIT = "fit of gpt-fast's bf16 A100 rows by benchmarks/fit_typical.py"
TYPICAL_MESSAGE_LATENCY = Measured(5.09e-6, _FIT)
TYPICAL_LAYER_OVERHEAD = Measured(47.1e-6, _FIT)
TYPICAL_STEP_OVERHEAD = Measured(0.0, f"{_FIT}, which has no separate per-step term")


# Accelerator id -> compute data type -> achieved share of dense peak FLOP/s.
TYPICAL_MFU: dict[str, dict[str, Measured]] = {
    "a100-40gb-sxm": {"bf16": Measured(271.2 / 312, "MAMF 271.2 of 312 TFLOP/s on an A100 SXM")},
    "a100-80gb-sxm": {"bf16": Measured(271.2 / 312, "MAMF 271.2 of 312 TFLOP/s on an A100 SXM")},
    "h100-sxm": {"bf16": Measured(794.5 / 989, "MAMF 794.5 of 989 TFLOP/s"),
                 "fp8": Measured(1402.6 / 1979, "MAMF 1,402.6 of 1,979 TFLOP/s")},
    # The H200 has the H100's compute; its bf16 MAMF is the H100's.
    "h200": {"bf16": Measured(794.5 / 989, "H100 SXM MAMF 794.5 of 989 TFLOP/s (same compute)"),
             "fp8": Measured(1453.4 / 1979, "MAMF 1,453.4 of 1,979 TFLOP/s")},
    "b200": {"bf16": Measured(1745.0 / 2250, "MAMF 1,745.0 of 2,250 TFLOP/s"),
             "fp8": Measured(3432.5 / 4500, "MAMF 3,432.5 of 4,500 TFLOP/s")},
    "b300": {"bf16": Measured(1769.0 / 2250, "MAMF 1,769.0 of 2,250 TFLOP/s"),
             "fp8": Measured(3353.3 / 4500, "MAMF 3,353.3 of 4,500 TFLOP/s")},
    "gb200": {"bf16": Measured(1822.0 / 2500, "MAMF 1,822.0 of 2,500 TFLOP/s"),
              "fp8": Measured(3615.6 / 5000, "MAMF 3,615.6 of 5,000 TFLOP/s")},
    "mi300x": {"bf16": Measured(668.4 / 1307.4, "MAMF 668.4 TFLOP/s against the 1,307.4 dense peak")},
    "mi325x": {"bf16": Measured(784.9 / 1307.4, "MAMF 784.9 TFLOP/s (1,000 W) against the 1,307.4 dense peak")},
    "mi355x": {"bf16": Measured(1565.0 / 2500, "MAMF 1,565.0 TFLOP/s against AMD's 2,500 dense peak")},
    "gaudi3": {"bf16": Measured(1243.0 / 1677, "MAMF 1,243.0 of 1,677 TFLOP/s as shipped"),
               "fp8": Measured(1289.5 / 1677, "MAMF 1,289.5 of 1,677 TFLOP/s as shipped")},
}

# Accelerator id -> achieved share of peak memory bandwidth in batch-1 decode.
# NOTE: apart from the A100's fitted value, these measurements include their software's
# fixed costs, which `typical` also adds as the per-layer overhead, so `typical` may
# run slow by that overhead (about 1.5 ms for a 32-layer model) on those parts.
TYPICAL_MBU: dict[str, Measured] = {
    # With the fitted per-layer overhead beside it; gpt-fast's own figure of 1,397.31 GB/s
    # (0.685) folds that overhead into the bandwidth.
    "a100-80gb-sxm": Measured(0.811, _FIT),
    "a100-40gb-sxm": Measured(0.55, "Databricks, 'LLM Inference Performance Engineering': MBU 55% at batch 1 on 4 × A100-40GB"),
    "h100-sxm": Measured(0.60, "Databricks, 'LLM Inference Performance Engineering': MBU 60% at batch 1 on 2 × H100-80GB"),
    "h100-pcie": Measured(1089 / 2000, "XiongjieDai/GPU-Benchmarks-on-LLM-Inference: Llama 3 8B F16 with llama.cpp, 67.79 tokens/s"),
    "rtx-4090": Measured(873 / 1008, "XiongjieDai/GPU-Benchmarks-on-LLM-Inference: Llama 3 8B F16 with llama.cpp, 54.34 tokens/s"),
    "l40s": Measured(697 / 864, "XiongjieDai/GPU-Benchmarks-on-LLM-Inference: Llama 3 8B F16 with llama.cpp, 43.42 tokens/s"),
    "apple-m2-ultra": Measured(582 / 800, "XiongjieDai/GPU-Benchmarks-on-LLM-Inference: Llama 3 8B F16 with llama.cpp, 36.25 tokens/s"),
    "mi250x": Measured(1028.70 / 1640, "gpt-fast README @0f925b5: Llama-2-7B bf16, 1,028.70 GB/s on one MI250X GCD"),
}



def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def typical_mbu(hardware_id: str | None) -> Measured:
    """Return the measured MBU of `hardware_id`, or for an unmeasured part the median of all measured parts."""
    if hardware_id in TYPICAL_MBU:
        return TYPICAL_MBU[hardware_id]
    median = _median([entry.value for entry in TYPICAL_MBU.values()])
    return Measured(median, "median of the batch-1 MBU measured on other parts (roofcalc.efficiency)")


def typical_mfu(hardware_id: str | None, compute_dtype: str) -> Measured:
    """Return the measured MFU of `hardware_id` at `compute_dtype`, or the median of all measured values."""
    measured = TYPICAL_MFU.get(hardware_id or "", {})
    if compute_dtype in measured:
        return measured[compute_dtype]
    values = {entry.source: entry.value for by_type in TYPICAL_MFU.values() for entry in by_type.values()}
    return Measured(_median(list(values.values())), "median of the matmul efficiencies measured on other parts (roofcalc.efficiency)")
