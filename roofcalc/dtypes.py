"""Bytes per element of the data types that weights, KV cache and compute can use."""

from __future__ import annotations

from roofcalc.errors import InvalidQuantity

# Plain element sizes, without the per-block scales that quantized formats add.
BYTES_PER_ELEMENT = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
}

STORAGE_DTYPES = tuple(BYTES_PER_ELEMENT)
COMPUTE_DTYPES = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
DEFAULT_DTYPE = "bf16"


def bytes_per_element(dtype: str) -> float:
    """Return the storage size of one element of `dtype` in bytes."""
    try:
        return BYTES_PER_ELEMENT[dtype]
    except KeyError:
        raise InvalidQuantity(
            f"unknown data type {dtype!r}", hint=f"use one of {', '.join(STORAGE_DTYPES)}"
        ) from None
