"""Parsing of numbers with units into SI base units (bytes, bytes/s, FLOP/s, counts).

Decimal prefixes (k, M, G, T, P = 10^3 ... 10^15) and binary ones (Ki, Mi, Gi, Ti =
2^10 ... 2^40) are kept apart: `80GB` is 80e9 bytes, `80GiB` is 80 × 2^30 bytes.
Token counts are the one exception, because the field writes a 131,072-token context
as "128K": a `K` on a token count means 1,024 and an `M` means 1,048,576.
"""

from __future__ import annotations

import math
import re

from roofcalc.errors import InvalidQuantity

DECIMAL_PREFIXES = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
BINARY_PREFIXES = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}
COUNT_SUFFIXES = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
TOKEN_SUFFIXES = {"": 1, "K": 1024, "M": 1024 * 1024}

_NUMBER = r"([-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf(?:inity)?)"
_SPLIT = re.compile(rf"^\s*{_NUMBER}\s*(.*?)\s*$", re.IGNORECASE)


def _split(text: str, what: str, examples: str) -> tuple[float, str]:
    match = _SPLIT.match(str(text))
    if not match:
        raise InvalidQuantity(f"invalid {what} {text!r}: it does not start with a number", hint=f"write it like {examples}")
    value = float(match.group(1).replace("_", ""))
    if math.isnan(value) or math.isinf(value):
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be a finite number", hint=f"write it like {examples}")
    return value, match.group(2)


# Magnitudes beyond these are typing mistakes rather than hardware or models, and they
# would overflow the arithmetic downstream.
LARGEST = 1e30
SMALLEST = 1e-30


def _check_positive(value: float, text: str, what: str, allow_zero: bool = False) -> float:
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise InvalidQuantity(f"invalid {what} {text!r}: it is out of range", hint=f"give a value below {LARGEST:g} in its unit")
    if 0 < abs(value) < SMALLEST:
        raise InvalidQuantity(f"invalid {what} {text!r}: it is out of range", hint=f"give a value above {SMALLEST:g} in its unit")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be {bound}")
    return value


def _prefix_factor(prefix: str) -> float | None:
    if prefix in BINARY_PREFIXES:
        return BINARY_PREFIXES[prefix]
    if prefix in DECIMAL_PREFIXES:
        return DECIMAL_PREFIXES[prefix]
    return None


def _parse_byte_unit(text: str, what: str, examples: str, per_second: bool) -> float:
    """Parse a number followed by a byte unit with a decimal or binary prefix (and `/s`)."""
    value, unit = _split(text, what, examples)
    pattern = r"([kKMGTPE]i?|)B(?:/s|ps)" if per_second else r"([kKMGTPE]i?|)B"
    match = re.fullmatch(pattern, unit)
    factor = _prefix_factor(match.group(1)) if match else None
    if factor is None:
        raise InvalidQuantity(f"invalid {what} {text!r}: unknown or missing unit {unit!r}", hint=f"write it like {examples}")
    return _check_positive(value * factor, text, what)


def parse_bytes(text: str, what: str = "size") -> float:
    """Parse a size such as `80GB`, `80GiB` or `320KiB` into bytes.

    A unit is required, because a bare number could mean bytes or gigabytes.
    """
    return _parse_byte_unit(text, what, "80GB, 80GiB or 320KiB", per_second=False)


def parse_bandwidth(text: str, what: str = "bandwidth") -> float:
    """Parse a bandwidth such as `3.35TB/s` or `800GB/s` into bytes per second."""
    return _parse_byte_unit(text, what, "3.35TB/s or 800GB/s", per_second=True)


def parse_flops(text: str, what: str = "compute rate") -> float:
    """Parse a rate such as `989TFLOPS`, `989 TFLOP/s` or `1.98POPS` into FLOP/s."""
    examples = "989TFLOPS or 989TFLOP/s"
    value, unit = _split(text, what, examples)
    match = re.fullmatch(r"([kKMGTPE]|)(?:FLOPS|FLOP/s|OPS|OP/s)", unit, re.IGNORECASE)
    prefix = match.group(1).upper() if match else None
    if prefix == "K":
        prefix = "k"
    factor = DECIMAL_PREFIXES.get(prefix) if prefix is not None else None
    if factor is None:
        raise InvalidQuantity(f"invalid {what} {text!r}: unknown or missing unit {unit!r}", hint=f"write it like {examples}")
    return _check_positive(value * factor, text, what)


def parse_count(text: str, what: str = "parameter count") -> float:
    """Parse a count such as `70B`, `13.5B`, `70e9` or `405_000_000_000` (B = 10^9), at least 1."""
    examples = "70B, 13.5B or 70e9"
    value, unit = _split(text, what, examples)
    factor = COUNT_SUFFIXES.get(unit.upper() if unit.lower() != "b" else "B")
    if factor is None:
        raise InvalidQuantity(f"invalid {what} {text!r}: unknown suffix {unit!r}", hint=f"write it like {examples}")
    count = _check_positive(value * factor, text, what)
    if count < 1:
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be at least 1", hint=f"write it like {examples}")
    return count


def parse_tokens(text: str, what: str = "token count") -> int:
    """Parse a whole number of tokens such as `4096`, `32K` (32,768) or `1M` (1,048,576)."""
    examples = "4096, 32K or 128K"
    value, unit = _split(text, what, examples)
    factor = TOKEN_SUFFIXES.get(unit.upper())
    if factor is None:
        raise InvalidQuantity(f"invalid {what} {text!r}: unknown suffix {unit!r}", hint=f"write it like {examples}")
    tokens = _check_positive(value * factor, text, what)
    if tokens != int(tokens):
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be a whole number of tokens")
    if tokens > 1e12:
        raise InvalidQuantity(f"invalid {what} {text!r}: it is out of range", hint="give at most 10^12 tokens")
    return int(tokens)


def parse_number(text: str, what: str, allow_zero: bool = False, maximum: float | None = None, example: str = "2.5") -> float:
    """Parse a plain finite number, such as a price in USD or an efficiency factor."""
    value, unit = _split(text, what, example)
    if unit:
        raise InvalidQuantity(f"invalid {what} {text!r}: expected a plain number without {unit!r}")
    _check_positive(value, text, what, allow_zero=allow_zero)
    if maximum is not None and value > maximum:
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be at most {maximum:g}")
    return value


TIME_UNITS = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_seconds(text: str, what: str = "time", allow_zero: bool = True) -> float:
    """Parse a duration such as `18.6ms`, `8us`, `0.02s` or `0.02` (seconds)."""
    examples = "18.6ms, 8us or 0.02s"
    value, unit = _split(text, what, examples)
    factor = TIME_UNITS.get(unit)
    if factor is None:
        raise InvalidQuantity(f"invalid {what} {text!r}: unknown unit {unit!r}", hint=f"write it like {examples}")
    return _check_positive(value * factor, text, what, allow_zero=allow_zero)
