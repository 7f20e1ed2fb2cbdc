"""The closed-form model against hand-worked arithmetic and published worked examples.

Published examples are cited by author and article; each expected value is the
article's own figure or the arithmetic written beside it.
"""

import math

import pytest

from roofcalc import model as roofline
from roofcalc.model import AttentionGroup, System, Workload, full_attention


def dense(weight_bytes, active_params, kv_bytes_per_token=0.0, attention_pair=0.0, resident=None):
    return Workload(
        resident_weight_bytes=weight_bytes if resident is None else resident,
        shared_weight_bytes=weight_bytes,
        routed_weight_bytes=0.0,
        routed_fraction=1.0,
        active_params=active_params,
        attention=full_attention(kv_bytes_per_token, attention_pair),
    )


def system(bandwidth, flops, n=1, memory=80e9, **options):
    return System(num_accelerators=n, memory_bandwidth_bytes_per_s=bandwidth, memory_capacity_bytes=memory,
                  peak_flops_per_s=flops, **options)


# Crossover batch of a dense model: F / BW × bytes_per_weight / 2.
@pytest.mark.parametrize(
    ("flops", "bandwidth", "bytes_per_weight", "expected", "tolerance"),
    [
        # kipply, "Transformer Inference Arithmetic": A100 312e12 / 1.5e12 = 208.
        (312e12, 1.5e12, 2, 208.0, 1e-9),
        # Scaling book, roofline and inference chapters: TPU v5e 1.97e14 / 8.2e11 = 240.2 at bf16.
        (1.97e14, 8.2e11, 2, 240.2, 5e-4),
        # Same chip, int8 weights with bf16 compute: half the bytes per FLOP, so 120.
        (1.97e14, 8.2e11, 1, 120.1, 5e-4),
        # int8 weights and int8 compute at 3.94e14 OP/s: back to 240.
        (3.94e14, 8.2e11, 1, 240.2, 5e-4),
        # H100 ridge point in public course notes: 989 TFLOP/s / 3.35 TB/s ≈ 295.
        (989e12, 3.35e12, 2, 295.2, 5e-4),
    ],
    ids=["kipply-a100", "v5e-bf16", "v5e-int8-weights", "v5e-int8-int8", "h100-ridge"],
)
def test_crossover_batch_dense(flops, bandwidth, bytes_per_weight, expected, tolerance):
    params = 13e9
    workload = dense(params * bytes_per_weight, params)
    crossover = roofline.crossover_batch(workload, system(bandwidth, flops))
    assert crossover == pytest.approx(expected, rel=tolerance)


def test_crossover_is_where_linear_turns_compute_bound():
    workload = dense(140e9, 70e9)
    h100 = system(3.35e12, 989.4e12)
    crossover = roofline.crossover_batch(workload, h100)
    below = roofline.decode_step(workload, h100, math.floor(crossover), 1)
    above = roofline.decode_step(workload, h100, math.ceil(crossover), 1)
    assert below.linear.bound == "memory"
    assert above.linear.bound == "compute"


def test_crossover_scales_with_efficiency():
    # MFU 0.5 halves the effective FLOP/s, so the crossover halves: 295.3 → 147.7.
    workload = dense(140e9, 70e9)
    ideal = roofline.crossover_batch(workload, system(3.35e12, 989.4e12))
    derated = roofline.crossover_batch(workload, system(3.35e12, 989.4e12, mfu=0.5))
    assert derated == pytest.approx(ideal / 2)


def test_crossover_unknown_flops_is_none():
    assert roofline.crossover_batch(dense(140e9, 70e9), system(3.35e12, None)) is None


def test_kv_cache_52b_fits_kipply():
    # kipply: 52B model, 2·2·64·8192 = 2,097,152 B/token; weights 104 GB.
    # 3 × A100-40GB = 120 GB leaves 16 GB: 16e9 / 2,097,152 = 7,629.4 tokens.
    # 4 GPUs leave 56 GB: 26,702.9 tokens. The article prints 8,000 and 23,000 from a
    # rounded 0.002 GB per token; the floor is what fits.
    kv_per_token = 2 * 2 * 64 * 8192
    assert kv_per_token == 2_097_152
    workload = dense(104e9, 52e9, kv_bytes_per_token=kv_per_token)
    three = system(1.5e12, 312e12, n=3, memory=40e9, memory_reserve=0.0)
    four = system(1.5e12, 312e12, n=4, memory=40e9, memory_reserve=0.0)
    assert roofline.max_batch(workload, three, 1) == 7629
    assert roofline.max_batch(workload, four, 1) == 26702


def test_kipply_52b_weight_read_time():
    # kipply: 2 × 52e9 bytes / 1.5e12 B/s = 69.3 ms on one A100, 17.3 ms on four
    # (the article uses 12·L·d² = 51.5e9 parameters and prints ≈ 69 ms and ≈ 17 ms).
    params = 12 * 64 * 8192**2
    workload = dense(2 * params, params)
    one = roofline.decode_step(workload, system(1.5e12, 312e12), 1, 1)
    four = roofline.decode_step(workload, system(1.5e12, 312e12, n=4), 1, 1)
    assert one.step_latency_s == pytest.approx(68.72e-3, rel=1e-3)
    assert four.step_latency_s == pytest.approx(17.18e-3, rel=1e-3)


# Scaling book, "All About Transformer Inference": LLaMA 2-13B on 8 × TPU v5e, with
# 26 GB of bf16 weights, 8 × 8.2e11 = 6.56e12 B/s and step = (weights + B × KV) / BW.
# The table prints step latency in ms and throughput in tokens/s; GB = 1e9 bytes.
LLAMA2_13B_TABLE = {
    6.7e9: [
        (1, 4.98, 200.61), (8, 12.13, 659.30), (16, 20.30, 787.99),
        (32, 36.65, 873.21), (64, 69.33, 923.13), (240, 249.09, 963.53),
    ],
    1.34e9: [
        (1, 4.17, 239.94), (8, 5.60, 1429.19), (16, 7.23, 2212.48),
        (32, 10.50, 3047.62), (64, 17.04, 3756.62), (240, 52.99, 4529.34),
    ],
}


@pytest.mark.parametrize("kv_per_sequence", sorted(LLAMA2_13B_TABLE), ids=["kv-1.34GB", "kv-6.7GB"])
def test_llama2_13b_v5e_table(kv_per_sequence):
    context = 8192
    workload = dense(26e9, 13e9, kv_bytes_per_token=kv_per_sequence / context, attention_pair=4 * 40 * 40 * 128)
    v5e = system(8.2e11, 1.97e14, n=8, memory=16e9)
    for batch, step_ms, tokens_per_s in LLAMA2_13B_TABLE[kv_per_sequence]:
        step = roofline.decode_step(workload, v5e, batch, context)
        assert step.bound == "memory", batch
        assert round(float(step.step_latency_s) * 1e3, 2) == step_ms, batch
        throughput = roofline.throughput_tokens_per_s(batch, step.step_latency_s)
        assert round(float(throughput), 2) == pytest.approx(tokens_per_s, abs=0.011), batch


def test_mbu_databricks_example():
    # Databricks, "LLM Inference Performance Engineering": a 7B model at 16 bits moves
    # 14 GB per token; at 14 ms per token that is 1 TB/s, 50% of a 2 TB/s part.
    workload = dense(14e9, 7e9)
    half = system(2e12, 312e12, mbu=0.5)
    step = roofline.decode_step(workload, half, 1, 1)
    assert step.step_latency_s == pytest.approx(0.014)


def test_step_sums_linear_and_attention():
    # 140 GB of weights at 3.35 TB/s = 41.79 ms; 64 × 4,096 × 327,680 B of KV = 85.9 GB
    # at 3.35 TB/s = 25.64 ms; linear FLOPs 2 × 64 × 70e9 = 8.96e12 at 989e12 = 9.06 ms.
    workload = dense(140e9, 70e9, kv_bytes_per_token=327_680, attention_pair=4 * 80 * 64 * 128)
    step = roofline.decode_step(workload, system(3.35e12, 989e12), 64, 4096)
    assert step.linear.time_s == pytest.approx(140e9 / 3.35e12)
    assert step.linear.compute_time_s == pytest.approx(8.96e12 / 989e12)
    assert step.attention.time_s == pytest.approx(64 * 4096 * 327_680 / 3.35e12)
    assert step.step_latency_s == pytest.approx(41.791e-3 + 25.642e-3, rel=1e-4)
    assert step.bound == "memory"


def test_compute_bound_step_at_large_batch():
    # Batch 1,024 of a 1B dense model on an H100 with one token of context: linear
    # FLOPs 2 × 1,024 × 1e9 = 2.048e12 at 989.4e12 = 2.07 ms, against 2 GB / 3.35 TB/s = 0.6 ms.
    workload = dense(2e9, 1e9, kv_bytes_per_token=1.0, attention_pair=1.0)
    step = roofline.decode_step(workload, system(3.35e12, 989.4e12), 1024, 1)
    assert step.bound == "compute"
    assert step.linear.time_s == pytest.approx(2.048e12 / 989.4e12)


def test_attention_intensity_is_group_size_at_bf16():
    # Llama 3.1 70B: 4·80·64·128 FLOPs against 2·80·8·128·2 bytes per token = 8 = 64 / 8.
    workload = dense(1.0, 1.0, kv_bytes_per_token=2 * 80 * 8 * 128 * 2, attention_pair=4 * 80 * 64 * 128)
    assert roofline.attention_arithmetic_intensity(workload) == 8.0


def test_price_energy_per_token():
    # 8 accelerators at 2 USD/h for 10 ms per step at batch 64:
    # 8 × 2 / 3600 × 0.01 / 64 × 1e6 = 0.6944 USD per million tokens;
    # at 700 W: 8 × 700 × 0.01 / 64 = 0.875 J per token.
    group = system(3.35e12, 989e12, n=8, price_usd_per_hour=2.0, power_w=700.0)
    assert roofline.price_per_million_tokens_usd(group, 0.01 / 64) == pytest.approx(0.694444, rel=1e-5)
    assert roofline.energy_per_token_j(group, 0.01 / 64) == pytest.approx(0.875)


def test_price_unknown_is_none():
    assert roofline.price_per_million_tokens_usd(system(1e12, 1e12), 1.0) is None
    assert roofline.energy_per_token_j(system(1e12, 1e12), 1.0) is None


def test_prefill_causal_flops_and_price():
    # Prompt of 1,000 tokens, 1e9 active parameters, 4·L·H·d = 1e6 FLOPs per token pair:
    # linear 2 × 1,000 × 1e9 = 2e12; attention 1e6 × 1,000 × 1,001 / 2 = 5.005e11.
    # FLOPs per token 2.5005e9; at 1e15 FLOP/s and 3.6 USD/h (1e-3 USD/s):
    # 1e-3 × 2.5005e9 / 1e15 × 1e6 = 2.5005e-3 USD per million input tokens.
    workload = dense(2e9, 1e9, kv_bytes_per_token=1e5, attention_pair=1e6)
    group = system(1e12, 1e15, price_usd_per_hour=3.6)
    result = roofline.prefill(workload, group, 1000)
    assert result.linear_flops == 2e12
    assert result.attention_flops == 5.005e11
    assert result.bytes_moved == 2e9 + 1000 * 1e5
    assert result.price_per_million_input_tokens_usd == pytest.approx(2.5005e-3)
    # Linear: max(2e9 / 1e12, 2e12 / 1e15) = 2 ms; attention: max(1e8 / 1e12, 5.005e11 / 1e15) = 0.5005 ms.
    assert result.time_to_first_token_s == pytest.approx(2.5005e-3)
    assert result.bound == "memory"


def test_min_accelerators_for_weights():
    # 811.7 GB of weights, 80 GB × 0.9 = 72 GB usable each: ceil(811.7 / 72) = 12.
    workload = dense(811.7e9, 405.85e9, kv_bytes_per_token=516_096)
    assert roofline.min_accelerators(workload, system(3.35e12, 989e12), 4096) == 12
    # One sequence of 4,096 tokens adds 2.11 GB: ceil(813.8 / 72) = 12 still.
    assert roofline.min_accelerators(workload, system(3.35e12, 989e12), 4096, sequences=1) == 12
