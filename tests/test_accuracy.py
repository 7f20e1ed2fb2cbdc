"""The accuracy report: it matches its CSV, no measurement beats the ideal bound, typical stays close."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
accuracy = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(accuracy)


@pytest.fixture(scope="module")
def comparisons():
    return accuracy.compare(accuracy.read_rows())


def test_report_matches_csv(comparisons):
    committed = (ROOT / "docs" / "accuracy.md").read_text(encoding="utf-8")
    assert accuracy.render(comparisons) == committed, "run: python benchmarks/accuracy.py --write"


def test_every_row_predicted(comparisons):
    assert len(comparisons) == len(accuracy.read_rows())
    assert len(comparisons) >= 20


def test_no_measurement_beats_ideal(comparisons):
    # The ideal roofline is an upper bound on speed: a measurement above it means a spec
    # in the catalog or the model is wrong.
    for comparison in comparisons:
        assert comparison.ideal_ratio < 1.0, comparison.row


def test_typical_accuracy_bounds(comparisons):
    # Regression guard on the typical estimate. When written, the figures were a median
    # ratio of 1.000 and a worst of 0.565 over 27 rows.
    figures = accuracy.summary(comparisons)
    assert 0.9 <= figures["typical_median"] <= 1.1
    assert 0.5 <= figures["typical_worst"] <= 2.0
