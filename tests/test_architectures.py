"""Architecture-aware KV cache, weight formats and config.json import.

The config.json files under tests/configs were written for these tests from the
published dimensions of each model (model cards, the models' own config.json files,
MaxText's model configs). Expected values are the arithmetic written beside them.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from roofcalc import dtypes, hfconfig
from roofcalc import model as roofline
from roofcalc.cli import cli
from roofcalc.errors import CatalogError, InvalidQuantity
from roofcalc.scenario import Request, resolve

CONFIGS = Path(__file__).parent / "configs"
GB = 1e9


def workload_of(name: str, kv_dtype: str = "bf16", weight_dtype: str | None = None):
    model = hfconfig.load_model_config(str(CONFIGS / name / "config.json"))
    request = Request(model=model, bandwidth_bytes_per_s=1e12, flops_per_s=1e15, memory_bytes=1e12,
                      kv_dtype=kv_dtype, weight_dtype=weight_dtype)
    return model, resolve(request).workload


# KV cache bytes per token with every layer caching every token, at bf16.
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("llama-3.1-70b", 2 * 80 * 8 * 128 * 2),  # 327,680
        ("qwen3-30b-a3b", 2 * 48 * 4 * 128 * 2),  # 98,304
        ("deepseek-v2", 60 * (512 + 64) * 2),  # 69,120: MLA caches the latent and the RoPE key
        ("deepseek-v3", 61 * (512 + 64) * 2),  # 70,272
        ("kimi-k2", 61 * (512 + 64) * 2),  # 70,272
        ("gpt-oss-120b", 2 * 36 * 8 * 64 * 2),  # 73,728
        ("gemma-3-27b", 2 * 62 * 16 * 128 * 2),  # 507,904
        ("phi-3-mini", 2 * 32 * 32 * 96 * 2),  # 393,216
    ],
)
def test_kv_bytes_per_token_unwindowed(name, expected):
    _, workload = workload_of(name)
    assert workload.kv_bytes_per_token_unwindowed == expected


# KV cache of one sequence, window-aware.
@pytest.mark.parametrize(
    ("name", "context", "expected"),
    [
        # gpt-oss-20b: 12 full layers × 2,048 B/token × T + 12 windowed layers × 2,048 B × min(T, 128).
        ("gpt-oss-20b", 8192, 24_576 * 8192 + 2048 * 12 * 128),  # 204.5 MB
        ("gpt-oss-120b", 131_072, 36_864 * 131_072 + 2048 * 18 * 128),  # 4.84 GB
        # Gemma 3 27B: 10 global layers × 8,192 B × T + 52 local layers × 8,192 B × min(T, 1,024).
        ("gemma-3-27b", 8192, 81_920 * 8192 + 8192 * 52 * 1024),  # 1.11 GB
        ("gemma-3-27b", 32_768, 81_920 * 32_768 + 8192 * 52 * 1024),  # 3.12 GB
        ("gemma-3-27b", 131_072, 81_920 * 131_072 + 8192 * 52 * 1024),  # 11.17 GB, against 66.6 GB unwindowed
        # Gemma 2 27B: 23 global and 23 local layers with a 4,096-token window.
        ("gemma-2-27b", 8192, 188_416 * 8192 + 8192 * 23 * 4096),  # 2.32 GB, against 3.09 GB
        # Llama 4: 12 global NoPE layers; 36 chunked layers keep at most 8,192 tokens.
        ("llama-4-maverick", 131_072, 49_152 * 131_072 + 4096 * 36 * 8192),  # 7.65 GB, against 25.8 GB
        # Mistral 7B: every layer windowed at 4,096 tokens, so the cache stops at 512 MiB.
        ("mistral-7b", 32_768, 131_072 * 4096),
        ("mistral-7b", 2048, 131_072 * 2048),
        # DeepSeek-V3 has no windows: 70,272 B × 32,768 = 2.30 GB.
        ("deepseek-v3", 32_768, 70_272 * 32_768),
    ],
)
def test_kv_cache_per_sequence(name, context, expected):
    _, workload = workload_of(name)
    assert roofline.kv_cache_bytes_per_sequence(workload, context) == expected


def test_gemma3_window_saving_published_figures():
    _, workload = workload_of("gemma-3-27b")
    assert roofline.kv_cache_bytes_per_sequence(workload, 131_072) / GB == pytest.approx(11.17, abs=0.005)
    assert workload.kv_bytes_per_token_unwindowed * 131_072 / GB == pytest.approx(66.6, abs=0.05)


def test_kv_dtype_fp8_halves_cache():
    # DeepSeek-V3 latent at fp8: 61 × 576 × 1 B = 35,136 B per token.
    _, workload = workload_of("deepseek-v3", kv_dtype="fp8")
    assert workload.kv_bytes_per_token_unwindowed == 35_136


def test_mla_attention_flops_absorbed():
    # Absorbed MLA decode: 2 × H × (512 + 64) for scores plus 2 × H × 512 for values,
    # per layer and token pair: 2 × 128 × 1,088 = 278,528; × 61 layers = 16,990,208.
    model, workload = workload_of("deepseek-v3")
    assert model.attention_flops_per_layer_pair == 278_528
    assert workload.attention[0].flops_per_token_pair == 278_528 * 61
    # Its intensity is 278,528 / (576 × 2 B) = 241.8 FLOPs per byte, near an H100's ridge of 295.
    assert roofline.attention_arithmetic_intensity(workload) == pytest.approx(241.78, abs=0.01)


# Parameter counts recomputed from the fixtures against the published totals (within 1%).
@pytest.mark.parametrize(
    ("name", "published_total", "published_active"),
    [
        ("llama-3.1-70b", 70e9, None),
        ("mistral-7b", 7.3e9, None),  # "7.3B" in Mistral's announcement
        ("mixtral-8x7b", 46.7e9, 12.75e9),  # active excluding the input embedding
        ("qwen2.5-72b", 72.7e9, None),
        ("qwen3-32b", 32.8e9, None),
        ("qwen3-30b-a3b", 30.5e9, 3.04e9),
        ("deepseek-v2", 236e9, None),
        ("deepseek-v3", 671e9, 36.63e9),  # DeepSeek: 36.6B activated, including the 0.9B head
        # Moonshot publishes "1T"; Hugging Face's model statistics for Kimi-K2-Instruct list
        # 1026.5B parameters (as copied at drose.io/aitools/tools/kimi-k2-instruct).
        ("kimi-k2", 1026.5e9, 31.69e9),
        ("gpt-oss-20b", 20.91e9, 3.61e9),  # card Table 1
        ("gpt-oss-120b", 116.83e9, 5.13e9),
        ("gemma-2-27b", 27.2e9, None),
        ("gemma-3-27b", 27.0e9, None),  # text model; the vision encoder adds about 0.4B
        ("llama-4-scout", 107.8e9, 16.14e9),  # text model; the 109B card figure includes vision
        ("llama-4-maverick", 400.7e9, None),
        ("phi-3-mini", 3.8e9, None),
    ],
)
def test_import_params_match_published(name, published_total, published_active):
    model = hfconfig.load_model_config(str(CONFIGS / name / "config.json"))
    assert model.total_params == pytest.approx(published_total, rel=0.01)
    if published_active is not None:
        assert model.active_params == pytest.approx(published_active, rel=0.01)


def test_gpt_oss_checkpoint_size():
    # gpt-oss card: the 120b checkpoint is 60.8 GiB and the 20b one 12.8 GiB, with the
    # expert weights in MXFP4 (4.25 bits) and everything else in bf16.
    for name, gib in (("gpt-oss-120b", 60.8), ("gpt-oss-20b", 12.8)):
        _, workload = workload_of(name)
        assert workload.resident_weight_bytes / 2**30 == pytest.approx(gib, rel=0.01), name


def test_released_dtype_is_default():
    model, workload = workload_of("deepseek-v3")
    assert model.default_weight_dtype == "fp8"
    # 671.03e9 parameters at one byte each.
    assert workload.resident_weight_bytes == pytest.approx(671.03e9, rel=1e-4)


@pytest.mark.parametrize(
    ("dtype", "bits"),
    [("bf16", 16), ("fp8", 8), ("int4", 4), ("mxfp4", 4.25), ("nvfp4", 4.5), ("q4_0", 4.5), ("q8_0", 8.5),
     ("int4-g128", 4.125), ("int4-g32", 4.5), ("INT8-G64", 8.25)],
)
def test_bits_per_weight(dtype, bits):
    assert dtypes.bits_per_element(dtype) == bits


def test_unknown_dtype_rejected():
    with pytest.raises(InvalidQuantity, match="unknown data type 'int4-g0'"):
        dtypes.normalize("int4-g0")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_type": "bert", "num_hidden_layers": 12}, "unsupported model_type 'bert'"),
        ({"model_type": "llama", "hidden_size": 4096}, "missing field 'num_hidden_layers' for model_type 'llama'"),
        ({"model_type": "llama", "num_hidden_layers": "32", "hidden_size": 1}, "must be a whole number, found '32'"),
        ({"model_type": "llama", "num_hidden_layers": 80.7}, "must be a whole number, found 80.7"),
        ({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 0}, "must be at least 1"),
        ({"model_type": "llama", "quantization_config": {"quant_method": "awq"}, "num_hidden_layers": 2, "hidden_size": 64,
          "num_attention_heads": 1, "vocab_size": 10, "intermediate_size": 8}, "quantization method 'awq' is not supported"),
        ({"model_type": "gemma3", "text_config": {"model_type": "falcon"}}, "text_config has model_type 'falcon'"),
    ],
)
def test_import_errors_name_field(tmp_path, config, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(CatalogError) as caught:
        hfconfig.load_model_config(str(path))
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_import_invalid_json(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(CatalogError, match="invalid JSON"):
        hfconfig.load_model_config(str(path))


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", sorted(path.name for path in CONFIGS.iterdir()))
def test_import_save_load_round_trip(name, tmp_path):
    config = str(CONFIGS / name / "config.json")
    saved = run("models", "import", config, "--id", f"{name}-imported", "--save")
    assert saved.exit_code == 0, saved.stderr
    assert f"saved {name}-imported" in saved.stderr
    direct = run("calc", "--model-config", config, "-a", "b200", "-n", "8", "--format", "json")
    from_catalog = run("calc", "-m", f"{name}-imported", "-a", "b200", "-n", "8", "--format", "json")
    assert direct.exit_code == 0, direct.stderr
    assert from_catalog.exit_code == 0, from_catalog.stderr
    first, second = json.loads(direct.stdout), json.loads(from_catalog.stdout)
    for key in ("weight_bytes", "kv_cache_bytes_per_sequence", "step_latency_s", "max_batch", "crossover_batch"):
        assert first[key] == second[key], key


def test_import_matches_catalog_entry():
    # The Llama 3.1 70B fixture gives the same figures as the shipped catalog file.
    imported = json.loads(run("calc", "--model-config", str(CONFIGS / "llama-3.1-70b" / "config.json"),
                              "-a", "h100", "-n", "8", "-b", "64", "--format", "json").stdout)
    shipped = json.loads(run("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "-b", "64", "--format", "json").stdout)
    for key in ("weight_bytes", "weight_bytes_read_per_step", "kv_bytes_read_per_step", "step_latency_s", "max_batch"):
        assert imported[key] == shipped[key], key


def test_import_save_refuses_overwrite(tmp_path):
    config = str(CONFIGS / "mistral-7b" / "config.json")
    assert run("models", "import", config, "--id", "mine", "--save").exit_code == 0
    again = run("models", "import", config, "--id", "mine", "--save")
    assert again.exit_code == 1
    assert "id 'mine' already names mine" in again.stderr
    assert run("models", "import", config, "--id", "mine", "--save", "--force").exit_code == 0


def test_mean_context_over_generation():
    # Prompt 1,000 tokens, 1,001 output tokens: decode contexts 1,000 .. 2,000, mean 1,500.
    # KV read per step = batch 2 × 1,500 × 327,680 B; max batch counts 2,001 tokens each.
    data = json.loads(run("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "-b", "2", "--prompt-tokens", "1000",
                          "--output-tokens", "1001", "--format", "json").stdout)
    assert data["mean_context_tokens"] == 1500
    assert data["kv_bytes_read_per_step"] == 2 * 1500 * 327_680
    assert data["kv_cache_context_tokens"] == 2001
    assert data["kv_cache_bytes_per_sequence"] == 2001 * 327_680


def test_windowed_model_json_reports_layers():
    data = json.loads(run("calc", "--model-config", str(CONFIGS / "gemma-3-27b" / "config.json"), "-a", "h100",
                          "--context", "128K", "--format", "json").stdout)
    assert data["windowed_layers"] == 52
    assert data["window_tokens"] == 1024
    assert data["kv_cache_bytes_per_sequence"] == 81_920 * 131_072 + 8192 * 52 * 1024
    # Average bytes per token at this context: 11.17e9 / 131,072 = 85,248.
    assert data["kv_cache_bytes_per_token"] == pytest.approx(85_248, abs=1)


def test_missing_compute_type_errors_then_emulates():
    error = run("calc", "-m", "llama-3.1-8b", "-a", "a100-80gb-sxm", "--compute-dtype", "fp8")
    assert error.exit_code == 1
    assert "a100-80gb-sxm has no dense fp8 FLOP/s figure" in error.stderr
    emulated = run("calc", "-m", "llama-3.1-8b", "-a", "a100-80gb-sxm", "--compute-dtype", "fp8", "--emulate-as", "bf16",
                   "--format", "json")
    assert emulated.exit_code == 0
    assert json.loads(emulated.stdout)["inputs"]["peak_flops_per_s"]["value"] == 312e12


def test_weight_bytes_with_and_without_embeddings():
    # Llama 3.1 70B: input embedding and untied head, 2 × 128,256 × 8,192 = 2.10e9
    # parameters, 4.20 GB at bf16. gpt-oss-120b keeps both at bf16 under MXFP4:
    # 2 × 201,088 × 2,880 × 2 B = 2.32 GB.
    llama = json.loads(run("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "--format", "json").stdout)
    assert llama["embedding_bytes"] == 2 * 128_256 * 8192 * 2
    assert llama["weight_bytes_without_embeddings"] == llama["weight_bytes"] - 2 * 128_256 * 8192 * 2
    oss = json.loads(run("calc", "-m", "gpt-oss-120b", "-a", "h100", "--format", "json").stdout)
    assert oss["embedding_bytes"] == 2 * 201_088 * 2880 * 2


def test_import_save_protects_shipped_ids():
    config = str(CONFIGS / "qwen3-32b" / "config.json")
    clash = run("models", "import", config, "--id", "llama-3.1-70b", "--save")
    assert clash.exit_code == 1
    assert "already names llama-3.1-70b" in clash.stderr
    alias = run("models", "import", config, "--id", "llama3.1-70b", "--save")
    assert alias.exit_code == 1
    assert "--force" in alias.stderr


def test_import_option_errors():
    config = str(CONFIGS / "qwen3-32b" / "config.json")
    assert run("models", "import", config, "--id", "Bad Id").exit_code == 2
    assert run("models", "import", config, "--force").exit_code == 2
    assert run("models", "import", "/nonexistent/config.json").exit_code == 2
