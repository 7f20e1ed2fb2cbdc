"""Parallelism, communication, overheads, speculative decoding, efficiency and calibration."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from roofcalc import calibrate, catalog
from roofcalc import model as roofline
from roofcalc.cli import cli
from roofcalc.model import System, Workload, full_attention
from roofcalc.scenario import Request, resolve


def run(*args):
    return CliRunner().invoke(cli, list(args))


def run_json(*args):
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def dense_workload(weight_bytes, params, layers, hidden):
    return Workload(resident_weight_bytes=weight_bytes, shared_weight_bytes=weight_bytes, routed_weight_bytes=0.0,
                    routed_fraction=1.0, active_params=params, attention=full_attention(1.0, 1.0),
                    num_layers=layers, hidden_size=hidden)


def test_kipply_260b_on_16_a100():
    # kipply, "Transformer Inference Arithmetic": a 260B model on 16 A100s at 1.5e12 B/s
    # reads 2 × 260e9 B in 2 × 260e9 / (16 × 1.5e12) = 21.67 ms, and its tensor-parallel
    # messages cost 4 × n_layers × 8 µs = 4 × 80 × 8 µs = 2.56 ms (the article's figure).
    workload = dense_workload(520e9, 260e9, 80, 16384)
    system = System(num_accelerators=16, memory_bandwidth_bytes_per_s=1.5e12, memory_capacity_bytes=40e9,
                    peak_flops_per_s=312e12, interconnect_bandwidth_bytes_per_s=1e30, message_latency_s=8e-6)
    step = roofline.decode_step(workload, system, 1, 1)
    assert step.linear.time_s == pytest.approx(21.67e-3, rel=1e-3)
    assert step.communication_time_s == pytest.approx(2.56e-3, rel=1e-9)


def test_kipply_comms_flops_per_byte():
    # kipply: 312e12 FLOP/s ÷ 300e9 B/s of NVLink = 1,040 FLOPs per byte of communication.
    system = System(num_accelerators=8, memory_bandwidth_bytes_per_s=1.5e12, memory_capacity_bytes=40e9,
                    peak_flops_per_s=312e12, interconnect_bandwidth_bytes_per_s=300e9)
    assert roofline.interconnect_flops_per_byte(system) == pytest.approx(1040)


def test_ring_allreduce_bytes():
    # A ring all-reduce of 1 MB over 8 accelerators sends 2 × 7/8 × 1e6 B per link:
    # at 1e9 B/s that is 1.75 ms, plus two phases of 10 µs latency.
    assert roofline.allreduce_time_s(1e6, 8, 1e9, 10e-6) == pytest.approx(1.75e-3 + 20e-6)
    assert roofline.allreduce_time_s(1e6, 1, 1e9, 10e-6) == 0.0


def test_tensor_parallel_communication_in_calc():
    # Llama 3.1 70B at batch 1 on 8 × H100: 160 all-reduces of 8,192 × 2 B = 16,384 B,
    # each 2 × 7/8 × 16,384 / 450e9 = 63.7 ns, so 10.19 µs in all.
    data = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8")
    assert data["communication_time_s"] == pytest.approx(160 * 2 * 7 / 8 * 16_384 / 450e9)


def test_pipeline_equals_half_group_at_micro_batch():
    # Two stages of 4: each token passes both stages, so the step equals four GPUs'
    # time at a micro-batch of 32, plus one hand-off of 32 × 8,192 × 2 B over NVLink.
    two_stages = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "--tp", "4", "--pp", "2", "-b", "64")
    four = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "--tp", "4", "-b", "32")
    handoff = 32 * 8192 * 2 / 450e9
    kernels = four["linear_time_s"] + four["attention_time_s"]
    assert two_stages["linear_time_s"] + two_stages["attention_time_s"] == pytest.approx(kernels)
    assert two_stages["communication_time_s"] == pytest.approx(four["communication_time_s"] + handoff)
    # Usable memory spans all eight GPUs: 8 × 72 GB.
    assert two_stages["memory_usable_bytes"] == 8 * 72e9


def test_expert_parallel_all_to_all():
    # Mixtral 8x7B on 8 × H100 with --ep 8 at batch 64: the 32 MoE layers swap one
    # all-reduce each for two all-to-alls of 64 × 2 × 4,096 × 2 B / 8 × 7/8 over 450 GB/s.
    tp = run_json("calc", "-m", "mixtral-8x7b", "-a", "h100", "-n", "8", "-b", "64")
    ep = run_json("calc", "-m", "mixtral-8x7b", "-a", "h100", "-n", "8", "-b", "64", "--ep", "8")
    allreduce = 2 * 7 / 8 * 64 * 4096 * 2 / 450e9
    all_to_all = 64 * 2 * 4096 * 2 / 8 * 7 / 8 / 450e9
    assert ep["communication_time_s"] == pytest.approx(tp["communication_time_s"] - 32 * allreduce + 32 * 2 * all_to_all)


def test_pcie_fallback_warns():
    result = run("calc", "-m", "llama-3.1-70b", "-a", "l40s", "-n", "4", "--format", "json")
    assert result.exit_code == 0
    assert "communication runs over PCIe 4.0 x16" not in result.stderr  # the L40S lists PCIe itself
    custom = run("calc", "--params", "7B", "--kv-bytes-per-token", "512KiB", "--bandwidth", "1TB/s", "--flops", "100TFLOPS",
                 "--memory", "80GB", "-n", "2", "--format", "json")
    assert custom.exit_code == 0
    assert "communication runs over PCIe 4.0 x16" in custom.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "4", "--tp", "8"], "--gpus 4 and --tp 8 disagree"),
        (["--ep", "2"], "--ep needs a mixture-of-experts model"),
    ],
)
def test_parallel_option_errors(args, message):
    result = run("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr


def test_ep_must_divide_tp():
    result = run("calc", "-m", "mixtral-8x7b", "-a", "h100", "-n", "6", "--ep", "4")
    assert result.exit_code == 1
    assert "--ep 4 does not divide the 6 accelerators" in result.stderr


def test_overheads_dominate_small_model_on_many_gpus():
    # Llama-2-7B on 8 × A100 with typical efficiency at batch 1: 32 layers × 47.1 µs =
    # 1.51 ms of fixed overhead against 13.2 GB / (8 × 2.039 TB/s × 0.811) = 1.00 ms of reads.
    data = run_json("calc", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "-n", "8", "--efficiency", "typical")
    assert data["overhead_time_s"] == pytest.approx(32 * 47.1e-6)
    assert data["bound"] == "overhead"


def test_typical_efficiency_sources():
    data = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "--efficiency", "typical")
    assert data["inputs"]["mbu"]["value"] == 0.60
    assert "Databricks" in data["inputs"]["mbu"]["source"]
    assert data["inputs"]["mfu"]["value"] == pytest.approx(794.5 / 989)
    assert data["inputs"]["message_latency_s"]["value"] == 5.09e-6


def test_overlap_hides_communication():
    plain = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "-b", "64")
    hidden = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "-b", "64", "--overlap-comm")
    assert hidden["communication_time_s"] == 0.0
    assert hidden["step_latency_s"] == pytest.approx(plain["step_latency_s"] - plain["communication_time_s"])


@pytest.mark.parametrize(
    ("acceptance", "draft_tokens", "expected"),
    [(0.8, 4, (1 - 0.8**5) / 0.2), (0.0, 4, 1.0), (1.0, 4, 5.0), (0.5, 1, 1.5), (0.9, 7, (1 - 0.9**8) / 0.1)],
)
def test_expected_tokens_per_round(acceptance, draft_tokens, expected):
    # (1 − a^(k+1)) / (1 − a): for a = 0.8, k = 4 that is (1 − 0.32768) / 0.2 = 3.3616.
    assert roofline.expected_tokens_per_round(acceptance, draft_tokens) == pytest.approx(expected)


def test_speculative_round_arithmetic():
    # Target 140 GB and draft 16 GB on one 3.35 TB/s part at batch 1 (memory-bound):
    # draft 4 × 16e9 / 3.35e12 = 19.10 ms, verify 140e9 / 3.35e12 = 41.79 ms (5 queries
    # barely add FLOPs), 3.3616 tokens per 60.90 ms round = 55.2 tokens/s, 2.31× plain.
    target = dense_workload(140e9, 70e9, 80, 8192)
    draft = dense_workload(16e9, 8e9, 32, 4096)
    system = System(num_accelerators=1, memory_bandwidth_bytes_per_s=3.35e12, memory_capacity_bytes=1e12,
                    peak_flops_per_s=989.4e12)
    result = roofline.speculative_round(target, system, draft, 1, 1, 4, 0.8)
    assert result.draft_time_s == pytest.approx(4 * 16e9 / 3.35e12)
    assert result.verify_time_s == pytest.approx(140e9 / 3.35e12)
    assert result.tokens_per_s_per_user == pytest.approx(3.3616 / (4 * 16e9 / 3.35e12 + 140e9 / 3.35e12), rel=1e-6)
    assert result.speedup == pytest.approx(result.tokens_per_s_per_user * 140e9 / 3.35e12)


def test_speculation_stops_paying_with_batch():
    data = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "--draft-model", "llama-3.1-8b",
                    "--acceptance", "0.8")
    speculative = data["speculative"]
    assert speculative["speedup"] > 1
    assert speculative["first_paying_batch"] == 1
    last = speculative["last_paying_batch"]
    assert last < speculative["max_batch"]
    beyond = run_json("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "--draft-model", "llama-3.1-8b",
                      "--acceptance", "0.8", "-b", str(last + 1))
    assert beyond["speculative"]["speedup"] <= 1


def test_speculative_needs_acceptance():
    result = run("calc", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8", "--draft-model", "llama-3.1-8b")
    assert result.exit_code == 2
    assert "needs --acceptance" in result.stderr


def scenario_70b():
    return resolve(Request(model=catalog.find_entry(catalog.MODELS, "llama-3.1-70b"),
                           hardware=catalog.find_entry(catalog.HARDWARE, "h100"), num_accelerators=8, context_tokens=2048))


def test_calibration_recovers_known_values():
    scenario = scenario_70b()
    truth = scenario.system._replace(mbu=0.7, mfu=0.6, step_overhead_s=1e-3)
    points = [calibrate.MeasuredStep(batch, 2048, float(roofline.decode_step(scenario.workload, truth, batch, 2048).step_latency_s))
              for batch in (1, 8, 64, 256, 512, 1024)]
    fit = calibrate.fit(scenario, points)
    assert fit.mbu == pytest.approx(0.7, rel=1e-9)
    assert fit.mfu == pytest.approx(0.6, rel=1e-9)
    assert fit.step_overhead_s == pytest.approx(1e-3, rel=1e-9)
    assert max(abs(residual) for residual in fit.residuals_s) < 1e-12


def test_calibration_batch_one_fits_bandwidth_only():
    scenario = scenario_70b()
    fit = calibrate.fit(scenario, [calibrate.MeasuredStep(1, 2048, 0.01)])
    assert fit.identifiable == {"mbu": True, "mfu": False, "step_overhead_s": False}
    assert fit.mfu == 1.0
    assert fit.residuals_s[0] == pytest.approx(0.0, abs=1e-15)


def test_calibrate_command_and_profile(tmp_path):
    result = run("calibrate", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "--context", "105",
                 "--measured", "batch=1,tpot=9.53ms", "--save-profile", "gptfast", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["points"][0]["residual_s"] == pytest.approx(0.0, abs=1e-12)
    assert "saved profile gptfast" in result.stderr
    applied = run_json("calc", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "--context", "105", "--profile", "gptfast")
    assert applied["step_latency_s"] == pytest.approx(9.53e-3)
    assert applied["inputs"]["mbu"]["source"] == "profile gptfast"


@pytest.mark.parametrize(
    ("measured", "message"),
    [("batch=1", "give batch and one of tpot or tokens_per_s"), ("batch=1,tpot=fast", "does not start with a number"),
     ("batch=1,speed=3", "unknown field 'speed'"), ("1,2", "is not KEY=VALUE")],
)
def test_calibrate_bad_points(measured, message):
    result = run("calibrate", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "--measured", measured)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_profile():
    result = run("calc", "-m", "llama-2-7b", "-a", "h100", "--profile", "nope")
    assert result.exit_code == 1
    assert "unknown profile 'nope'" in result.stderr


def test_calibrate_rejects_impossible_fit():
    # 1 µs per token for Llama 3.1 8B on an H100 would read 15 GB at 15 PB/s.
    result = run("calibrate", "-m", "llama-3.1-8b", "-a", "h100", "--measured", "batch=1,tpot=1us", "--save-profile", "bogus")
    assert result.exit_code == 1
    assert "above 1: the measurements are faster than the roofline allows" in result.stderr
    assert "saved" not in result.stderr


@pytest.mark.parametrize("line", ["mbu = 2.0", "mbu = inf", "mbu = 0.0", "step_overhead_s = -1.0"])
def test_profile_values_checked(tmp_path, line):
    profiles = tmp_path / "config" / "roofcalc" / "profiles"
    profiles.mkdir(parents=True)
    values = {"mbu": "mbu = 0.7", "mfu": "mfu = 0.6", "step_overhead_s": "step_overhead_s = 0.0"}
    values[line.split(" =")[0]] = line
    (profiles / "edited.toml").write_text("\n".join(values.values()) + "\n")
    result = run("calc", "-m", "llama-3.1-8b", "-a", "h100", "--profile", "edited")
    assert result.exit_code == 1
    assert "edited.toml: key" in result.stderr


def test_profile_not_overwritten_without_force():
    args = ["calibrate", "-m", "llama-2-7b", "-a", "a100-80gb-sxm", "--measured", "batch=1,tpot=9.53ms", "--save-profile", "p"]
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 1
    assert "already exists" in again.stderr
    assert run(*args, "--force").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["calibrate", "-m", "llama-2-7b", "-a", "h100"],
        ["calibrate", "-m", "llama-2-7b", "-a", "h100", "--measured", "batch=1,tpot=9ms", "--save-profile", "../x"],
        ["calc", "-m", "llama-2-7b", "-a", "h100", "--acceptance", "0.8"],
        ["calc", "-m", "llama-2-7b", "-a", "h100", "--acceptance", "1.5", "--draft-model", "llama-3.1-8b"],
        ["calc", "-m", "llama-2-7b", "--model-config", "tests/configs/mistral-7b/config.json", "-a", "h100"],
    ],
    ids=["no-points", "profile-name", "acceptance-alone", "acceptance-range", "two-models"],
)
def test_option_misuse_is_usage_error(args):
    result = run(*args)
    assert result.exit_code == 2, result.stderr


def test_pipeline_deeper_than_model_fails():
    result = run("calc", "-m", "llama-3.1-70b", "-a", "h100", "--pp", "100")
    assert result.exit_code == 1
    assert "--pp 100 exceeds llama-3.1-70b's 80 layers" in result.stderr


def test_uneven_tensor_parallel_warns():
    result = run("calc", "-m", "llama-3.1-70b", "-a", "rtx-4090", "-n", "7", "--format", "json")
    assert result.exit_code == 0
    assert "does not divide llama-3.1-70b's 64 query heads" in result.stderr
