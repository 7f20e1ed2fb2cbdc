"""The command line: stdout, stderr and exit code checked separately for each case."""

import json

import pytest
from click.testing import CliRunner

from roofcalc import __version__
from roofcalc.cli import cli

EXAMPLE = ["calc", "--model", "llama-3.1-70b", "--hardware", "h100-sxm", "--gpus", "8", "--batch", "64", "--context", "4096"]
RAW = ["calc", "--bandwidth", "3.35TB/s", "--flops", "989TFLOPS", "--memory", "80GB", "--params", "70B",
       "--kv-bytes-per-token", "320KiB", "--batch", "64", "--context", "4096", "--gpus", "4"]
REQUIRED_KEYS = [
    "schema_version", "inputs", "weight_bytes", "kv_cache_bytes_per_token", "weight_bytes_read_per_step",
    "kv_bytes_read_per_step", "flops_per_step", "memory_time_s", "compute_time_s", "step_latency_s", "bound",
    "linear_time_s", "attention_time_s", "crossover_batch", "max_batch", "throughput_tokens_per_s",
    "tokens_per_s_per_user", "price_per_million_output_tokens_usd", "energy_per_output_token_j",
    "time_to_first_token_s", "price_per_million_input_tokens_usd", "warnings",
]


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_json(*args):
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_every_command_has_help():
    for command in (["calc"], ["hardware", "list"], ["hardware", "show"], ["models", "list"], ["models", "show"]):
        result = run(*command, "--help")
        assert result.exit_code == 0, command
        assert "Example" in result.stdout, command


def test_example_json_has_required_keys():
    data = run_json(*EXAMPLE)
    missing = [key for key in REQUIRED_KEYS if key not in data]
    assert missing == []
    assert data["schema_version"] == 1


def test_example_json_values():
    # Llama 3.1 70B on 8 × H100 SXM, batch 64, 4,096 tokens, bf16.
    data = run_json(*EXAMPLE)
    # Weights read: (70,553,706,496 − 1,050,673,152 input embedding) × 2 B = 139.006 GB.
    assert data["weight_bytes_read_per_step"] == 139_006_066_688
    # KV: 64 × 4,096 × 327,680 B = 85.899 GB.
    assert data["kv_bytes_read_per_step"] == 64 * 4096 * 327_680
    # Linear 139.006e9 / (8 × 3.35e12) = 5.1868 ms; attention 85.899e9 / 26.8e12 = 3.2052 ms.
    # Tensor parallelism: 2 × 80 ring all-reduces of 64 × 8,192 × 2 B = 1,048,576 B, each
    # moving 2 × 7/8 of it over 450 GB/s NVLink: 160 × 4.0782 µs = 0.6525 ms.
    assert data["communication_time_s"] == pytest.approx(160 * 2 * 7 / 8 * 1_048_576 / 450e9)
    assert data["step_latency_s"] == pytest.approx(5.1868e-3 + 3.2052e-3 + 0.6525e-3, rel=1e-4)
    assert data["bound"] == "memory"
    # Dense crossover: 989.4 / 3.35 = 295.34.
    assert data["crossover_batch"] == pytest.approx(295.343, rel=1e-5)
    # (8 × 80e9 × 0.9 − 141.107e9) / (4,096 × 327,680) = 434.89e9 / 1.34218e9 = 324.0.
    assert data["max_batch"] == 324
    # 8 × 4.76 USD/h / 3600 × 9.0445 ms / 64 × 1e6 = 1.4948 USD per million tokens.
    assert data["price_per_million_output_tokens_usd"] == pytest.approx(1.4948, rel=1e-4)
    assert data["inputs"]["num_accelerators"] == {"value": 8, "source": "option --gpus"}


def test_example_warns_ideal_on_stderr_only():
    result = run(*EXAMPLE, "--format", "json")
    assert "warning: MBU and MFU are at the ideal 1.0" in result.stderr
    assert "warning" not in result.stdout.split("\"warnings\"")[0]
    assert json.loads(result.stdout)["warnings"][0].startswith("MBU and MFU")


def test_example_table_sections():
    result = run(*EXAMPLE)
    assert result.exit_code == 0
    for heading in ("Inputs", "Memory", "Time per decode step", "Capacity", "Cost"):
        assert heading in result.stdout
    assert "9.04 ms" in result.stdout
    assert "memory-bound" in result.stdout
    assert "$1.49 / M" in result.stdout


def test_raw_numbers_without_catalog():
    # 70e9 × 2 B = 140 GB at 4 × 3.35 TB/s = 10.448 ms; KV 64 × 4,096 × 327,680 B at
    # 13.4 TB/s = 6.410 ms; step 16.858 ms. Max batch (4 × 72e9 − 140e9) / 1.342e9 = 110.
    data = run_json(*RAW)
    assert data["step_latency_s"] == pytest.approx(140e9 / 13.4e12 + 64 * 4096 * 327_680 / 13.4e12)
    assert data["max_batch"] == 110
    assert data["price_per_million_output_tokens_usd"] is None
    assert "--price" in data["null_reasons"]["price_per_million_output_tokens_usd"]
    assert data["inputs"]["model"]["value"] is None


def test_override_catalog_field():
    data = run_json(*EXAMPLE, "--bandwidth", "6.7TB/s")
    assert data["inputs"]["memory_bandwidth_bytes_per_s"] == {"value": 6.7e12, "source": "option --bandwidth"}
    assert data["step_latency_s"] == pytest.approx((5.1868e-3 + 3.2052e-3) / 2 + 0.6525e-3, rel=1e-4)


def test_no_nan_in_json():
    # Apple parts publish no FLOP/s: the compute results are null with a reason, never NaN.
    result = run("calc", "-m", "llama-3.1-8b", "-a", "apple-m2-ultra", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "NaN" not in result.stdout
    data = json.loads(result.stdout)
    assert data["step_latency_s"] is None
    assert data["memory_time_s"] is not None
    assert "--flops" in data["null_reasons"]["step_latency_s"]


def test_batch_above_max_warns():
    result = run(*EXAMPLE[:-4], "--batch", "400", "--context", "4096", "--format", "json")
    assert result.exit_code == 0
    assert "batch 400 exceeds the max batch of 324" in result.stderr


def test_context_beyond_model_max_warns():
    result = run("calc", "-m", "llama-2-7b", "-a", "h100", "--context", "8K", "--format", "json")
    assert result.exit_code == 0
    assert "exceeds llama-2-7b's maximum of 4096" in result.stderr


def test_weights_do_not_fit_names_count():
    # Llama 3.1 405B: 811.7 GB at bf16; one H100 holds 72 GB usable, so 12 are needed.
    result = run("calc", "-m", "llama-3.1-405b", "-a", "h100")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "do not fit in 1 × h100-sxm" in result.stderr
    assert "--gpus 12" in result.stderr
    assert "Traceback" not in result.stderr


def test_unsupported_compute_dtype():
    result = run("calc", "-m", "llama-3.1-8b", "-a", "h100", "--compute-dtype", "fp4")
    assert result.exit_code == 1
    assert "h100-sxm has no dense fp4 FLOP/s figure" in result.stderr
    assert "--compute-dtype" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--memory", "80"], "missing unit"),
        (["--memory", "80XB"], "unknown or missing unit"),
        (["--bandwidth", "-3TB/s"], "must be greater than zero"),
        (["--bandwidth", "nanTB/s"], "must be a finite number"),
        (["--batch", "1.5"], "'1.5' is not a valid integer"),
        (["--batch", "0"], "0 is not in the range x>=1"),
        (["--gpus", "-1"], "-1 is not in the range x>=1"),
        (["--context", "4.3K"], "whole number of tokens"),
        (["--mbu", "1.5"], "at most 1"),
        (["--price", "cheap"], "does not start with a number"),
        (["--weight-dtype", "fp3"], "unknown data type 'fp3'"),
    ],
    ids=["no-unit", "bad-unit", "negative", "nan", "float-batch", "zero-batch", "negative-gpus", "fraction-tokens",
         "mbu-above-one", "price-text", "dtype"],
)
def test_invalid_option_is_usage_error(args, message):
    result = run(*EXAMPLE, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_model_suggests():
    result = run("calc", "--model", "llama-3.1-7b", "--hardware", "h100")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error: unknown model 'llama-3.1-7b'" in result.stderr
    assert "llama-3.1-70b" in result.stderr


def test_missing_inputs_explain_fix():
    result = run("calc", "--model", "llama-3.1-8b")
    assert result.exit_code == 1
    assert "no memory bandwidth given" in result.stderr
    assert "--hardware" in result.stderr


def test_malformed_hardware_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("id = 'x'\nname = [\n")
    result = run("calc", "--model", "llama-3.1-8b", "--hardware-file", str(path))
    assert result.exit_code == 1
    assert f"error: {path}: invalid TOML" in result.stderr


def test_hardware_file_used_without_id(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'id = "mine"\nname = "Mine"\nvendor = "Me"\nmemory_capacity_gb = 100\nmemory_bandwidth_tb_per_s = 1.0\n'
        '[dense_tflops]\nbf16 = 100\n[sources]\nmemory = "me"\nbandwidth = "me"\ndense_tflops = "me"\n'
    )
    data = run_json("calc", "--model", "llama-3.1-8b", "--hardware-file", str(path))
    # 8.03e9 − 0.525e9 embedding = 7.505e9 params × 2 B / 1e12 B/s = 15.01 ms, plus KV 4,096 × 131,072 B / 1e12.
    assert data["inputs"]["hardware"]["value"] == "mine"
    assert data["step_latency_s"] == pytest.approx((7_504_924_672 * 2 + 4096 * 131_072) / 1e12)


def test_hardware_list_and_show():
    listing = run("hardware", "list", "--format", "json")
    assert listing.exit_code == 0
    ids = [entry["id"] for entry in json.loads(listing.stdout)]
    assert "h100-sxm" in ids
    shown = run("hardware", "show", "H100", "--format", "json")
    assert json.loads(shown.stdout)["memory_bandwidth_bytes_per_s"] == 3.35e12
    table = run("hardware", "show", "h100")
    assert "source: bandwidth" in table.stdout


def test_models_list_and_show():
    listing = run("models", "list")
    assert listing.exit_code == 0
    assert "qwen3-235b-a22b" in listing.stdout
    shown = json.loads(run("models", "show", "mixtral-8x7b", "--format", "json").stdout)
    assert shown["num_experts"] == 8
    unknown = run("models", "show", "gpt-5")
    assert unknown.exit_code == 1
    assert "unknown model 'gpt-5'" in unknown.stderr


@pytest.mark.parametrize(
    ("batch", "kv_dtype", "gib"),
    [(1, "bf16", 0.3125), (16, "bf16", 5.0), (32, "bf16", 10.0), (64, "bf16", 20.0),
     (1, "int8", 0.15625), (16, "int8", 2.5), (32, "int8", 5.0), (64, "int8", 10.0)],
)
def test_llama2_70b_kv_databricks_table(batch, kv_dtype, gib):
    # Databricks, "LLM Inference Performance Engineering", KV-cache table for Llama-2-70B at
    # 1,024 tokens: batch × 1,024 × 128 × 80 × 2 × 2 bytes × 8 KV heads = 0.3125 GiB per
    # sequence at 16 bits (printed ".312"), 5, 10 and 20 GiB at batch 16, 32, 64; int8 halves it.
    data = run_json("calc", "-m", "llama-2-70b", "-a", "h100", "-n", "4", "--batch", str(batch),
                    "--context", "1024", "--kv-dtype", kv_dtype)
    assert data["kv_bytes_read_per_step"] == gib * 2**30


def test_llama2_7b_kv_nvidia_example():
    # NVIDIA, "Mastering LLM Techniques: Inference Optimization": Llama 2 7B at 16 bits and
    # 4,096 tokens holds 1 × 4096 × 2 × 32 × 4096 × 2 bytes ≈ 2 GB of KV cache (2 GiB exactly).
    data = run_json("calc", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "--context", "4096")
    assert data["kv_cache_bytes_per_sequence"] == 2_147_483_648


def test_h100_ridge_point_catalog():
    # 989.4 TFLOP/s dense bf16 ÷ 3.35 TB/s = 295.3 for a dense bf16 model; the sparse
    # 1,979 figure would wrongly give 591.
    data = run_json("calc", "-m", "llama-3.1-8b", "-a", "h100")
    assert data["crossover_batch"] == pytest.approx(295.34, abs=0.01)


def test_moe_crossover_far_above_dense():
    data = run_json("calc", "-m", "qwen3-30b-a3b", "-a", "h100")
    assert data["crossover_batch"] > 5 * 295.34
