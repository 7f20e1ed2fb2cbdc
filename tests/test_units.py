"""Parsing numbers with units: decimal and binary prefixes stay apart."""

import pytest

from roofcalc import units
from roofcalc.errors import InvalidQuantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80GB", 80e9),
        ("80GiB", 80 * 2**30),
        ("80 GiB", 80 * 2**30),
        ("320KiB", 327_680),
        ("320kB", 320_000),
        ("1.5TB", 1.5e12),
        ("512B", 512),
    ],
)
def test_parse_bytes(text, expected):
    assert units.parse_bytes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.35TB/s", 3.35e12), ("800GB/s", 800e9), ("1TiB/s", 2**40), ("819.2 GB/s", 819.2e9)],
)
def test_parse_bandwidth(text, expected):
    assert units.parse_bandwidth(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("989TFLOPS", 989e12), ("989 TFLOP/s", 989e12), ("1.979PFLOPS", 1.979e15), ("394TOPS", 394e12), ("5e14FLOPS", 5e14)],
)
def test_parse_flops(text, expected):
    assert units.parse_flops(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("70B", 70e9), ("13.5B", 13.5e9), ("70e9", 70e9), ("405_000_000_000", 405e9), ("1T", 1e12), ("500M", 500e6)],
)
def test_parse_count(text, expected):
    assert units.parse_count(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("4096", 4096), ("32K", 32_768), ("128k", 131_072), ("1M", 1_048_576)])
def test_parse_tokens_binary_k(text, expected):
    assert units.parse_tokens(text) == expected


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (units.parse_bytes, "80", "missing unit"),
        (units.parse_bytes, "80Gb", "unknown or missing unit 'Gb'"),
        (units.parse_bytes, "-80GB", "greater than zero"),
        (units.parse_bytes, "0GB", "greater than zero"),
        (units.parse_bandwidth, "3.35TB", "unknown or missing unit"),
        (units.parse_flops, "989T", "unknown or missing unit"),
        (units.parse_flops, "infTFLOPS", "finite"),
        (units.parse_count, "70X", "unknown suffix"),
        (units.parse_tokens, "100.5", "whole number"),
        (units.parse_number, "2.5USD", "plain number"),
        (units.parse_bytes, "GB", "does not start with a number"),
    ],
)
def test_invalid_quantities(parser, text, message):
    with pytest.raises(InvalidQuantity) as caught:
        parser(text, what="value")
    assert message in str(caught.value)
    assert repr(text) in str(caught.value)
