"""Data types of weights, KV cache and compute, with their real size per element.

Block-scaled formats store a shared scale per block of elements, so their size per
element is more than the bits of the element itself. Each figure below states how it
is made up.
"""

from __future__ import annotations

import re

from roofcalc.errors import InvalidQuantity

# Bits per element, scales included.
BITS_PER_ELEMENT = {
    "fp32": 32.0,
    "bf16": 16.0,
    "fp16": 16.0,
    "fp8": 8.0,  # per-tensor or 128 × 128-block fp32 scales (DeepSeek-V3) add under 0.01 bit
    "int8": 8.0,
    "int4": 4.0,
    "fp4": 4.0,
    # OCP Microscaling Formats (MX) Specification v1.0: a block of 32 elements shares one
    # 8-bit E8M0 scale, so 4 + 8/32 and 8 + 8/32 bits.
    "mxfp4": 4.25,
    "mxfp8": 8.25,
    # NVIDIA NVFP4 (Blackwell): a block of 16 FP4 E2M1 elements shares one FP8 E4M3 scale,
    # 4 + 8/16 bits, plus one FP32 scale per tensor.
    "nvfp4": 4.5,
    # ggml (llama.cpp) Q8_0 and Q4_0: blocks of 32 elements with one fp16 scale, 8 + 16/32
    # and 4 + 16/32 bits.
    "q8_0": 8.5,
    "q4_0": 4.5,
}

# Named on the command line as `int4-g128`: groups of N integers with one 16-bit scale
# each and no zero point (symmetric quantization): 4 + 16/N bits. Formats that also
# store a zero point per group, such as gpt-fast's int4, take 4 + 32/N bits and are not
# this format.
GROUPED_PATTERN = re.compile(r"^(int4|int8)-g(\d+)$")

WEIGHT_FORMATS = tuple(BITS_PER_ELEMENT)
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")
COMPUTE_DTYPES = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
DEFAULT_DTYPE = "bf16"


def normalize(dtype: str) -> str:
    """Return the canonical lowercase name of `dtype`, raising InvalidQuantity when unknown."""
    name = dtype.strip().lower()
    if name in BITS_PER_ELEMENT:
        return name
    grouped = GROUPED_PATTERN.match(name)
    if grouped and int(grouped.group(2)) > 0:
        return name
    raise InvalidQuantity(
        f"unknown data type {dtype!r}",
        hint=f"use one of {', '.join(WEIGHT_FORMATS)}, or a grouped integer format such as int4-g128",
    )


def bits_per_element(dtype: str) -> float:
    """Return the storage size of one element of `dtype` in bits, block scales included."""
    name = normalize(dtype)
    grouped = GROUPED_PATTERN.match(name)
    if grouped:
        return int(grouped.group(1)[3:]) + 16.0 / int(grouped.group(2))
    return BITS_PER_ELEMENT[name]


def bytes_per_element(dtype: str) -> float:
    """Return the storage size of one element of `dtype` in bytes, block scales included."""
    return bits_per_element(dtype) / 8.0
