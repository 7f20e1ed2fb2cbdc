"""Bad and extreme input: one clear error, the right exit code, never a traceback."""

import json

import pytest
from click.testing import CliRunner

from roofcalc.cli import cli

BASE = ["calc", "-m", "llama-3.1-8b", "-a", "h100"]


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize(
    "args",
    [
        ["--bandwidth", "1e308TB/s"],
        ["--flops", "1e308PFLOPS"],
        ["--params", "1e300T"],
        ["--memory", "1e-300B"],
        ["--context", "1e308"],
        ["--kv-bytes-per-token", "1e300EB"],
        ["--mfu", "1e-310"],
        ["--active-params", "1e-10"],
    ],
    ids=["bandwidth", "flops", "params", "memory", "context", "kv", "mfu", "active"],
)
def test_extreme_magnitudes_rejected(args):
    result = run(*BASE, *args, "--format", "json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "out of range" in result.stderr or "at least 1" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_non_utf8_hardware_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b"id = \"x\"\nname = \"\xff\xfe\"\n")
    result = run("calc", "-m", "llama-3.1-8b", "--hardware-file", str(path))
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_folder_named_toml_is_skipped(tmp_path):
    (tmp_path / "config" / "roofcalc" / "hardware" / "sub.toml").mkdir(parents=True)
    result = run(*BASE, "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_huge_catalog_value_rejected(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text('id = "big"\nname = "Big"\nvendor = "Me"\nmemory_capacity_gb = 1e308\n'
                    'memory_bandwidth_tb_per_s = 1.0\n[sources]\nmemory = "me"\nbandwidth = "me"\n')
    result = run("calc", "-m", "llama-3.1-8b", "--hardware-file", str(path))
    assert result.exit_code == 1
    assert "key 'memory_capacity_gb': 1e+308 is out of range" in result.stderr


def test_no_sequence_fits_is_error():
    # Llama 2 13B: 26.0 GB of weights in 32 × 0.9 = 28.8 GB leaves 2.8 GB, less than one
    # 4,096-token sequence of 819,200 B × 4,096 = 3.36 GB.
    result = run("calc", "-m", "llama-2-13b", "-a", "rtx-5090", "-b", "16")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "but not one sequence of 4,096 tokens" in result.stderr
    assert "--gpus 2" in result.stderr


def test_params_override_keeps_experts():
    # Mixtral 8x7B with --params 50B keeps 12.75B active and 2 of 8 experts.
    result = run("calc", "-m", "mixtral-8x7b", "-a", "h100", "-n", "2", "--params", "50B", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["inputs"]["active_params"]["value"] == pytest.approx(12.749e9, rel=1e-3)
    assert "its active parameters and experts are kept" in result.stderr


def test_inconsistent_params_name_options():
    result = run("calc", "-m", "mixtral-8x7b", "-a", "h100", "-n", "2", "--params", "100B")
    assert result.exit_code == 1
    assert "with --params on mixtral-8x7b" in result.stderr


def test_active_params_on_dense_warns():
    result = run(*BASE, "--active-params", "1B", "--format", "json")
    assert result.exit_code == 0
    assert "treats it as a mixture of experts" in result.stderr


def test_group_beyond_node_warns():
    result = run("calc", "-m", "llama-3.1-8b", "-a", "apple-m2-ultra", "-n", "2", "--format", "json")
    assert result.exit_code == 0
    assert "exceeds the 1 per node" in result.stderr


def test_unused_hardware_file_warns(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('id = "mine"\nname = "Mine"\nvendor = "Me"\nmemory_capacity_gb = 100\n'
                    'memory_bandwidth_tb_per_s = 1.0\n[sources]\nmemory = "me"\nbandwidth = "me"\n')
    result = run(*BASE, "--hardware-file", str(path), "--format", "json")
    assert result.exit_code == 0
    assert f"warning: {path} is not used" in result.stderr


def test_user_alias_overrides_shipped(tmp_path):
    user = tmp_path / "config" / "roofcalc" / "hardware"
    user.mkdir(parents=True)
    (user / "my-h100.toml").write_text(
        'id = "my-h100"\nname = "Mine"\nvendor = "Me"\naliases = ["h100"]\nmemory_capacity_gb = 80\n'
        'memory_bandwidth_tb_per_s = 2.0\n[dense_tflops]\nbf16 = 900\n[sources]\nmemory = "me"\nbandwidth = "me"\n'
        'dense_tflops = "me"\n'
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    calc = run(*BASE, "--format", "json", env=env)
    show = run("hardware", "show", "h100", "--format", "json", env=env)
    assert json.loads(calc.stdout)["inputs"]["hardware"]["value"] == "my-h100"
    assert json.loads(show.stdout)["id"] == "my-h100"


def test_piped_table_has_no_trailing_spaces():
    result = run(*BASE, env={"COLUMNS": "90"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert max(len(line) for line in lines) <= 90


def test_show_keeps_full_sources():
    result = run("hardware", "show", "h100-sxm", env={"COLUMNS": "80"})
    joined = "".join(result.stdout.split())
    assert "https://www.nvidia.com/en-us/data-center/h100/" in joined


def test_dtype_names_any_case():
    result = run(*BASE, "--kv-dtype", "FP8", "--weight-dtype", "BF16", "--format", "JSON")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inputs"]["kv_dtype"]["value"] == "fp8"
