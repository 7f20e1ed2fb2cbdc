"""sweep, compare, tiers, load and inverse queries against single calc results and their own definitions."""

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner

from roofcalc import report, views
from roofcalc.cli import cli
from roofcalc.cli_views import parse_rate, parse_series, parse_batch
from roofcalc.scenario import Request, resolve
from roofcalc import catalog

GROUP = ["-m", "llama-3.1-70b", "-a", "h100", "-n", "8"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def run_json(*args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def scenario_for(model="llama-3.1-70b", hardware="h100-sxm", gpus=8, context=4096, **fields):
    request = Request(model=catalog.find_entry(catalog.MODELS, model), hardware=catalog.find_entry(catalog.HARDWARE, hardware),
                      num_accelerators=gpus, context_tokens=context, **fields)
    return resolve(request)


def test_sweep_rows_equal_calc():
    rows = run_json("sweep", *GROUP, "--batch", "1,7,64,300", "--format", "json")
    assert [row["batch"] for row in rows] == [1, 7, 64, 300]
    for row in rows:
        single = run_json("calc", *GROUP, "--batch", str(row["batch"]), "--format", "json")
        for key in ("step_latency_s", "throughput_tokens_per_s", "tokens_per_s_per_user", "price_per_million_output_tokens_usd",
                    "bound", "kv_bytes_read_per_step", "max_batch", "time_to_first_token_s", "crossover_batch"):
            assert row[key] == single[key], (row["batch"], key)


def test_sweep_default_marks_crossover_and_max():
    rows = run_json("sweep", *GROUP, "--format", "json")
    markers = {row["batch"]: row["marker"] for row in rows if row["marker"]}
    # Crossover 295.34 rounds down to 295; (576 GB − 141.1 GB) / 1.342 GB = 324.
    assert markers == {295: "crossover", 324: "max batch"}
    batches = [row["batch"] for row in rows]
    assert batches[:9] == [1, 2, 4, 8, 16, 32, 64, 128, 256]


def test_sweep_context_rows():
    rows = run_json("sweep", *GROUP, "--sweep-context", "1K..8K", "--format", "json")
    assert [row["context_tokens"] for row in rows] == [1024, 2048, 4096, 8192]
    assert all(row["batch"] == 1 for row in rows)
    single = run_json("calc", *GROUP, "--context", "8K", "--format", "json")
    assert rows[-1]["step_latency_s"] == single["step_latency_s"]


@pytest.mark.parametrize("command", [["sweep", *GROUP], ["tiers", *GROUP], ["compare", "-m", "llama-3.1-8b", "-a", "h100,b200,apple-m2-ultra"]])
def test_formats_parse_with_same_keys(command):
    as_json = run_json(*command, "--format", "json")
    ndjson = run(*command, "--format", "ndjson")
    as_csv = run(*command, "--format", "csv")
    table = run(*command)
    assert ndjson.exit_code == 0
    assert as_csv.exit_code == 0
    assert table.exit_code == 0
    lines = [json.loads(line) for line in ndjson.stdout.splitlines()]
    records = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert lines == as_json
    assert len(records) == len(as_json)
    assert set(records[0]) == set().union(*(row.keys() for row in as_json))
    for text in (ndjson.stdout, as_csv.stdout, run(*command, "--format", "json").stdout):
        assert "NaN" not in text
        assert "Infinity" not in text


def test_tier_multiples_equal_price_ratios():
    rows = run_json("tiers", *GROUP, "--format", "json")
    assert [row["tier"] for row in rows] == ["fast", "standard", "slow"]
    prices = [row["price_per_million_output_tokens_usd"] for row in rows]
    cheapest = min(prices)
    for row, price in zip(rows, prices):
        assert row["price_multiple"] == pytest.approx(price / cheapest, rel=1e-12)
    assert [row["batch"] for row in rows] == [1, 295, 324]


def test_tier_speed_target_is_boundary():
    rows = run_json("tiers", *GROUP, "--tier", "fast=150tok/s", "--tier", "slow=batch:max", "--format", "json")
    fast = rows[0]
    assert fast["tokens_per_s_per_user"] >= 150
    one_more = run_json("calc", *GROUP, "--batch", str(fast["batch"] + 1), "--format", "json")
    assert one_more["tokens_per_s_per_user"] < 150


def test_tier_doubling_rule_when_crossover_beyond_max():
    # Qwen3-30B-A3B on one H100: the MoE crossover (thousands) lies beyond the max batch,
    # so standard runs where the step takes twice as long as at batch 1.
    scenario = scenario_for("qwen3-30b-a3b", "h100-sxm", 1)
    rows, _ = views.tiers(scenario)
    standard = rows[1]
    assert standard["rule"].startswith("step latency 2×")
    step_one = rows[0]["step_latency_s"]
    assert standard["step_latency_s"] <= 2 * step_one
    beyond = report.evaluate_points(scenario, standard["batch"] + 1)
    assert float(beyond["step_latency_s"]) > 2 * step_one or standard["batch"] == rows[2]["batch"]


@pytest.mark.parametrize("rate", [0.5, 5.0, 20.0])
def test_load_satisfies_littles_law(rate):
    scenario = scenario_for()
    result = views.steady_batch(scenario, rate, 500)
    assert result.stable
    step = float(report.evaluate_points(scenario, result.batch)["step_latency_s"])
    assert result.batch == pytest.approx(rate * 500 * step, rel=1e-9)


def test_load_beyond_capacity_is_unstable():
    result = run("load", *GROUP, "--rate", "1000/s", "--output-tokens", "1000", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["stable"] is False
    assert "grows without bound" in data["message"]
    assert data["price_per_million_output_tokens_usd"] is None


def test_load_price_at_traffic():
    # 8 × 4.76 USD/h = 0.010578 USD/s for 5 × 500 = 2,500 tokens/s: 4.231 USD per million.
    data = run_json("load", *GROUP, "--rate", "5/s", "--output-tokens", "500", "--format", "json")
    assert data["price_per_million_output_tokens_usd"] == pytest.approx(8 * 4.76 / 3600 / 2500 * 1e6)


def test_fill_batch_wait():
    # Batch of 32 at 1 request/s: the mean request waits (32 − 1) / 2 = 15.5 s.
    data = run_json("load", *GROUP, "--rate", "1/s", "--fill-batch", "32", "--format", "json")
    assert data["mean_wait_s"] == 15.5
    assert data["batch"] == 32


@pytest.mark.parametrize("speed", [50.0, 100.0, 150.0])
def test_inverse_returns_boundary_batch(speed):
    data = run_json("calc", *GROUP, "--min-tokens-per-s-per-user", str(speed), "--format", "json")
    batch = data["inputs"]["batch"]["value"]
    assert data["tokens_per_s_per_user"] >= speed
    if data["target"]["binding"] == "target":
        beyond = run_json("calc", *GROUP, "--batch", str(batch + 1), "--format", "json")
        assert beyond["tokens_per_s_per_user"] < speed


def test_inverse_infeasible_names_floor():
    result = run("calc", *GROUP, "--min-tokens-per-s-per-user", "1000")
    assert result.exit_code == 1
    assert "bandwidth" in result.stderr
    assert "even batch 1 takes 5.25 ms per step" in result.stderr


def test_throughput_replicas():
    # At the max batch of 324 the step is 21.92 ms of memory time plus 3.30 ms of
    # all-reduces, so one group serves about 12,850 tokens/s; 100,000 tokens/s needs
    # ceil(100,000 / 12,850) = 8 groups of 8 × 4.76 USD/h = 304.64 USD/h.
    data = run_json("calc", *GROUP, "--batch", "324", "--throughput", "100000", "--format", "json")
    assert data["replicas"] == math.ceil(100_000 / data["throughput_tokens_per_s"])
    assert data["replicas"] == 8
    assert data["cost_per_hour_usd"] == pytest.approx(8 * 8 * 4.76)


def test_compare_auto_count_and_fit():
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "h100,h200,tpu-v5e", "--format", "json")
    by_id = {row["hardware"]: row for row in rows}
    # 141.1 GB of weights plus one 1.34 GB sequence: 2 × 72 GB H100s, 2 × 126.9 GB H200s.
    assert by_id["h100-sxm"]["num_accelerators"] == 2
    assert by_id["h200"]["num_accelerators"] == 2
    assert by_id["tpu-v5e"]["fits"] is False
    assert "node holds 8" in by_id["tpu-v5e"]["reason"]


def test_compare_cheapest_meeting_target():
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "h100,h200", "--min-tokens-per-s-per-user", "60",
                    "--format", "json")
    prices = [row["target_price_per_million_output_tokens_usd"] for row in rows]
    assert prices == sorted(prices)
    for row in rows:
        check = run_json("calc", "-m", "llama-3.1-70b", "-a", row["hardware"], "-n", str(row["num_accelerators"]),
                         "--batch", str(row["target_batch"]), "--format", "json")
        assert check["tokens_per_s_per_user"] >= 60


def test_compare_table_fits_120_columns():
    result = CliRunner().invoke(cli, ["compare", "-m", "llama-3.1-70b"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 120


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,8,64", [1, 8, 64]), ("1..16", [1, 2, 4, 8, 16]), ("3..20", [3, 6, 12, 20]), ("1..9:4", [1, 5, 9]), ("8,1..2", [1, 2, 8])],
)
def test_parse_series(text, expected):
    assert parse_series(text, parse_batch, "batch") == expected


@pytest.mark.parametrize(("text", "expected"), [("5/s", 5.0), ("300/min", 5.0), ("3600/h", 1.0), ("2.5", 2.5)])
def test_parse_rate(text, expected):
    assert parse_rate(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", *GROUP, "--batch", "0"], "must be greater than zero"),
        (["sweep", *GROUP, "--batch", "64..8"], "ends before it starts"),
        (["tiers", *GROUP, "--tier", "fast"], "expected NAME=SPEC"),
        (["load", *GROUP, "--rate", "5/day"], "unknown unit 'day'"),
        (["compare", "-m", "llama-3.1-70b", "-a", "h1000"], "unknown accelerator 'h1000'"),
    ],
)
def test_view_bad_input(args, message):
    result = run(*args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("model_id", "hardware_id"), [("llama-3.1-70b", "h100-sxm"), ("gemma-3-27b", "mi300x"),
                                                        ("qwen3-235b-a22b", "b200"), ("gpt-oss-120b", "h200")])
def test_catalog_grid_equals_single_calc(model_id, hardware_id):
    import numpy as np

    models = catalog.load_catalog(catalog.MODELS).all()
    hardware_list = catalog.load_catalog(catalog.HARDWARE).all()
    batches = np.array([1, 3, 16, 64, 200], dtype=float)
    grid = views.catalog_grid(models, hardware_list, batches)
    i = grid.model_ids.index(model_id)
    j = grid.hardware_ids.index(hardware_id)
    count = int(grid.num_accelerators[i, j])
    single = scenario_for(model_id, hardware_id, count)
    points = report.evaluate_points(single, batches)
    assert np.allclose(grid.step_latency_s[i, j], points["step_latency_s"], rtol=1e-12)
    prices = points["price_per_million_output_tokens_usd"]
    if prices is None:  # no price in the catalog: the grid holds NaN
        assert np.all(np.isnan(grid.price_per_million_output_tokens_usd[i, j]))
    else:
        assert np.allclose(grid.price_per_million_output_tokens_usd[i, j], prices, rtol=1e-12)
    assert grid.max_batch[i, j] == float(points["max_batch"])


def test_sweep_fails_when_nothing_fits():
    # Llama 3.1 70B on 2 × H100 at 128K: 141 GB of weights leave 3 GB, less than one
    # 131,072 × 327,680 B = 43 GB sequence.
    result = run("sweep", "-m", "llama-3.1-70b", "-a", "h100", "-n", "2", "--context", "128K", "--format", "json")
    assert result.exit_code == 1
    assert "not even one sequence fits" in result.stderr


def test_sweep_plot_with_format_is_usage_error():
    result = run("sweep", *GROUP, "--plot", "--format", "json")
    assert result.exit_code == 2
    assert "--plot draws a chart instead of rows" in result.stderr


def test_compare_auto_count_divides_heads():
    # 141 GB of weights need 7 RTX 4090s, but 7 does not divide 64 heads, so 8.
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "rtx-4090", "--format", "json")
    assert rows[0]["num_accelerators"] == 8


def test_compare_price_beyond_max_batch_is_null():
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "h100", "-b", "8", "--format", "json")
    assert rows[0]["max_batch"] == 2
    assert rows[0]["batch_price_per_million_output_tokens_usd"] is None
    assert "exceeds the max batch" in rows[0]["reason"]


def test_compare_target_without_price_tries_counts():
    # The MI300X has no price; one GPU cannot hold Llama 3.1 70B at 50 tokens/s per user
    # with room to spare, so compare moves on to the fewest GPUs that can.
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "mi300x", "--min-tokens-per-s-per-user", "50",
                    "--format", "json")
    assert rows[0]["target_batch"] is not None
    assert rows[0]["num_accelerators"] == 2


def test_compare_repeated_and_duplicate_ids():
    rows = run_json("compare", "-m", "llama-3.1-70b", "-a", "h100", "-a", "h200,h100-sxm", "--format", "json")
    assert [row["hardware"] for row in rows].count("h100-sxm") == 1
    assert {row["hardware"] for row in rows} == {"h100-sxm", "h200"}
