"""Catalog files: every shipped entry validates, lookups resolve, bad files fail clearly."""

import importlib.metadata
import json
from pathlib import Path

import pytest

from roofcalc import catalog
from roofcalc.errors import CatalogError, NotFoundError

HARDWARE_FILES = sorted(Path(catalog.shipped_directory(catalog.HARDWARE)).glob("*.toml"))
MODEL_FILES = sorted(Path(catalog.shipped_directory(catalog.MODELS)).glob("*.toml"))

REQUIRED_HARDWARE = [
    "a100-40gb-sxm", "a100-80gb-sxm", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "b200", "b300", "gb200",
    "l40s", "l4", "rtx-4090", "rtx-5090", "mi250x", "mi300x", "mi325x", "mi355x", "gaudi3",
    "tpu-v5e", "tpu-v5p", "tpu-v6e", "apple-m2-ultra", "apple-m3-ultra", "apple-m4-max",
]
REQUIRED_MODELS = [
    "llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
    "mixtral-8x7b", "mixtral-8x22b", "qwen2.5-72b", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b",
]


@pytest.mark.parametrize("path", HARDWARE_FILES, ids=lambda path: path.stem)
def test_shipped_hardware_validates(path):
    entry = catalog.load_file(catalog.HARDWARE, path, expected_id=path.stem)
    assert entry.sources, path


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.stem)
def test_shipped_model_validates(path):
    entry = catalog.load_file(catalog.MODELS, path, expected_id=path.stem)
    assert entry.kv_elements is not None, path


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.stem)
def test_recomputed_params_within_one_percent(path):
    # The count from the file's own dimensions must agree with its total_params, which
    # each file compares with the publisher's figure in a comment.
    from roofcalc import params

    model = catalog.load_file(catalog.MODELS, path)
    count = params.count_params(model)
    assert count is not None, "the file lacks the dimensions to recount its parameters"
    assert count.total == pytest.approx(model.total_params, rel=0.01)
    if model.active_params is not None:
        assert count.active == pytest.approx(model.active_params, rel=0.01)


def test_required_entries_present():
    hardware = catalog.load_catalog(catalog.HARDWARE)
    models = catalog.load_catalog(catalog.MODELS)
    assert sorted(set(REQUIRED_HARDWARE) - set(hardware.entries)) == []
    assert sorted(set(REQUIRED_MODELS) - set(models.entries)) == []


def test_catalogs_ship_inside_wheel():
    distribution = importlib.metadata.distribution("roofcalc")
    direct_url = distribution.read_text("direct_url.json")
    if direct_url and json.loads(direct_url).get("dir_info", {}).get("editable"):
        pytest.skip("an editable install reads the catalogs from the checkout")
    files = {str(path) for path in distribution.files}
    assert "roofcalc/catalog/hardware/h100-sxm.toml" in files
    assert "roofcalc/catalog/models/llama-3.1-70b.toml" in files


def test_no_sparse_figures_as_dense():
    # NVIDIA prints 1,979 bf16 TFLOP/s for an H100 SXM with 2:4 sparsity; dense is 989.4.
    h100 = catalog.load_catalog(catalog.HARDWARE).get("h100-sxm")
    assert h100.dense_flops_per_s["bf16"] == pytest.approx(989.4e12)


def test_llama2_small_models_are_mha():
    # The Llama 2 model card: grouped-query attention only in the 70B model.
    models = catalog.load_catalog(catalog.MODELS)
    for model_id, heads in (("llama-2-7b", 32), ("llama-2-13b", 40)):
        model = models.get(model_id)
        assert model.num_kv_heads == heads, model_id
        assert model.num_attention_heads == heads, model_id


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        # 2 × layers × kv_heads × head_dim × 2 bytes.
        ("llama-2-7b", 2 * 32 * 32 * 128 * 2),  # 524,288
        ("llama-2-13b", 2 * 40 * 40 * 128 * 2),  # 819,200
        ("llama-2-70b", 2 * 80 * 8 * 128 * 2),  # 327,680
        ("llama-3.1-8b", 2 * 32 * 8 * 128 * 2),  # 131,072
        ("llama-3.1-70b", 327_680),
        ("llama-3.1-405b", 516_096),
        ("mixtral-8x7b", 131_072),
        ("mixtral-8x22b", 229_376),
        ("qwen2.5-72b", 327_680),
        ("qwen3-32b", 262_144),
        ("qwen3-30b-a3b", 98_304),
        ("qwen3-235b-a22b", 192_512),
    ],
)
def test_kv_bytes_per_token_bf16(model_id, expected):
    model = catalog.load_catalog(catalog.MODELS).get(model_id)
    assert model.kv_elements * 2 == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("h100-sxm", "h100-sxm"), ("H100", "h100-sxm"), ("H100-SXM5", "h100-sxm"), (" h200 ", "h200")],
)
def test_hardware_lookup_case_and_alias(name, expected):
    assert catalog.load_catalog(catalog.HARDWARE).get(name).id == expected


def test_unknown_id_suggests_close_matches():
    with pytest.raises(NotFoundError) as caught:
        catalog.load_catalog(catalog.HARDWARE).get("h100-sxn")
    assert "unknown accelerator 'h100-sxn'" in str(caught.value)
    assert "h100-sxm" in caught.value.hint


def test_aliases_unique_across_entries():
    for kind in (catalog.HARDWARE, catalog.MODELS):
        loaded = catalog.load_catalog(kind)
        assert set(loaded.aliases).isdisjoint(loaded.entries), kind


VALID_HARDWARE = """
id = "test-gpu"
name = "Test GPU"
vendor = "Test"
memory_capacity_gb = 80
memory_bandwidth_tb_per_s = 2.0

[dense_tflops]
bf16 = 500

[sources]
memory = "test"
bandwidth = "test"
dense_tflops = "test"
"""


def write(tmp_path: Path, text: str, name: str = "test-gpu.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_user_hardware_loads(tmp_path):
    entry = catalog.load_file(catalog.HARDWARE, write(tmp_path, VALID_HARDWARE))
    assert entry.memory_capacity_bytes == 80e9
    assert entry.memory_bandwidth_bytes_per_s == 2e12
    assert entry.dense_flops_per_s == {"bf16": 500e12}


def test_gib_capacity_is_binary(tmp_path):
    text = VALID_HARDWARE.replace("memory_capacity_gb = 80", "memory_capacity_gib = 80")
    entry = catalog.load_file(catalog.HARDWARE, write(tmp_path, text))
    assert entry.memory_capacity_bytes == 80 * 2**30  # 85.9e9, not 80e9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("memory_bandwidth_tb_per_s = 2.0", "memory_bandwith_tb_per_s = 2.0"), "key 'memory_bandwith_tb_per_s': unknown key"),
        (("memory_bandwidth_tb_per_s = 2.0", ""), "key 'memory_bandwidth_tb_per_s': missing required key"),
        (("memory_bandwidth_tb_per_s = 2.0", "memory_bandwidth_tb_per_s = 0"), "it must be greater than zero"),
        (("memory_capacity_gb = 80", "memory_capacity_gb = -80"), "it must be greater than zero"),
        (("memory_capacity_gb = 80", 'memory_capacity_gb = "80GB"'), "expected a number"),
        (("bf16 = 500", "bf61 = 500"), "key 'dense_tflops.bf61': unknown key"),
        (('dense_tflops = "test"', ""), "key 'sources.dense_tflops': missing"),
        (("memory_capacity_gb = 80", "memory_capacity_gb = nan"), "not a finite number"),
        (('vendor = "Test"', 'vendor = "Test"\nprice_usd_per_hour = 2.0'), "key 'price_date': missing"),
    ],
    ids=["misspelled", "missing", "zero-bandwidth", "negative", "wrong-type", "table-key", "no-source", "nan", "price-no-date"],
)
def test_invalid_hardware_names_file_and_key(tmp_path, change, message):
    path = write(tmp_path, VALID_HARDWARE.replace(*change))
    with pytest.raises(CatalogError) as caught:
        catalog.load_file(catalog.HARDWARE, path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert caught.value.hint


def test_misspelled_key_suggests_fix(tmp_path):
    path = write(tmp_path, VALID_HARDWARE.replace("memory_bandwidth_tb_per_s", "memory_bandwith_tb_per_s"))
    with pytest.raises(CatalogError) as caught:
        catalog.load_file(catalog.HARDWARE, path)
    assert caught.value.hint == "did you mean 'memory_bandwidth_tb_per_s'?"


def test_malformed_toml_names_line(tmp_path):
    path = write(tmp_path, "id = \n")
    with pytest.raises(CatalogError, match=r"invalid TOML: .*line 1"):
        catalog.load_file(catalog.HARDWARE, path)


VALID_MODEL = """
id = "test-moe"
name = "Test MoE"
total_params = 100e9
embedding_params = 1e9
active_params = 20e9
params_convention = "test"
num_layers = 10
num_attention_heads = 8
num_kv_heads = 2
head_dim = 64
num_experts = 8
experts_per_token = 2

[sources]
params = "test"
architecture = "test"
"""


def test_valid_user_model_loads(tmp_path):
    model = catalog.load_file(catalog.MODELS, write(tmp_path, VALID_MODEL, "test-moe.toml"))
    assert model.read_params == 99e9
    assert model.kv_elements == 2 * 10 * 2 * 64


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("active_params = 20e9", "active_params = 200e9"), "exceeds total_params"),
        (("experts_per_token = 2", "experts_per_token = 9"), "exceeds num_experts"),
        (("experts_per_token = 2", ""), "key 'experts_per_token': missing"),
        (("num_kv_heads = 2", "num_kv_heads = 3"), "does not divide"),
        (("head_dim = 64", ""), "the KV cache cannot be sized"),
        (("num_layers = 10", "num_layers = 10.5"), "expected an integer"),
        (("embedding_params = 1e9", "embedding_params = 100e9"), "is not less than total_params"),
    ],
    ids=["active-over-total", "experts", "experts-missing", "heads", "no-kv", "float-layers", "embedding"],
)
def test_invalid_model_names_file_and_key(tmp_path, change, message):
    path = write(tmp_path, VALID_MODEL.replace(*change), "test-moe.toml")
    with pytest.raises(CatalogError) as caught:
        catalog.load_file(catalog.MODELS, path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_user_directory_overrides_shipped(tmp_path, monkeypatch):
    user = tmp_path / "config" / "roofcalc" / "hardware"
    user.mkdir(parents=True)
    text = VALID_HARDWARE.replace('id = "test-gpu"', 'id = "h100-sxm"').replace("2.0", "9.9")
    write(user, text, "h100-sxm.toml")
    entry = catalog.load_catalog(catalog.HARDWARE).get("h100")
    assert entry.memory_bandwidth_bytes_per_s == 9.9e12
    assert entry.origin == str(user / "h100-sxm.toml")


def test_catalog_file_id_must_match_name(tmp_path):
    user = tmp_path / "config" / "roofcalc" / "hardware"
    user.mkdir(parents=True)
    write(user, VALID_HARDWARE, "other-name.toml")
    with pytest.raises(CatalogError, match="differs from the file name"):
        catalog.load_catalog(catalog.HARDWARE)


def test_parse_cache_reuses_and_invalidates(tmp_path):
    first = catalog.load_catalog(catalog.HARDWARE)
    cache_file = tmp_path / "cache" / "roofcalc" / "hardware.json"
    assert cache_file.is_file()
    second = catalog.load_catalog(catalog.HARDWARE)
    assert second.entries == first.entries

    user = tmp_path / "config" / "roofcalc" / "hardware"
    user.mkdir(parents=True)
    path = write(user, VALID_HARDWARE)
    assert catalog.load_catalog(catalog.HARDWARE).get("test-gpu").memory_bandwidth_bytes_per_s == 2e12
    path.write_text(VALID_HARDWARE.replace("memory_bandwidth_tb_per_s = 2.0", "memory_bandwidth_tb_per_s = 3.0"))
    assert catalog.load_catalog(catalog.HARDWARE).get("test-gpu").memory_bandwidth_bytes_per_s == 3e12


def test_parse_cache_corrupt_file_ignored(tmp_path):
    cache_dir = tmp_path / "cache" / "roofcalc"
    cache_dir.mkdir(parents=True)
    (cache_dir / "models.json").write_text("{not json")
    assert "llama-3.1-70b" in catalog.load_catalog(catalog.MODELS).entries


def test_parse_cache_still_validates(tmp_path):
    user = tmp_path / "config" / "roofcalc" / "hardware"
    user.mkdir(parents=True)
    write(user, VALID_HARDWARE.replace("memory_capacity_gb = 80", "memory_capacity_gb = -80"))
    for _ in range(2):  # a load that fails saves no cache, so each load rejects the file
        with pytest.raises(CatalogError, match="must be greater than zero"):
            catalog.load_catalog(catalog.HARDWARE)
