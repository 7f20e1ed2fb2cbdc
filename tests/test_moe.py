"""Expert coverage and the weight bytes a mixture-of-experts decode step reads."""

import pytest

from roofcalc import model as roofline
from roofcalc.model import AttentionGroup, System, Workload, full_attention
from roofcalc.scenario import split_weights

H100 = System(num_accelerators=1, memory_bandwidth_bytes_per_s=3.35e12, memory_capacity_bytes=80e9,
              peak_flops_per_s=989.4e12)


def mixtral_like():
    # Mixtral 8x7B read parameters 46.57e9 (total 46.70e9 less the 0.131e9 input embedding),
    # 12.75e9 active, 2 of 8 experts per token.
    shared, routed, fraction = split_weights(46.57e9, 12.75e9, 8, 2)
    return Workload(resident_weight_bytes=2 * 46.70e9, shared_weight_bytes=2 * shared, routed_weight_bytes=2 * routed,
                    routed_fraction=fraction, active_params=12.75e9,
                    attention=full_attention(131_072, 4 * 32 * 32 * 128))


def test_split_weights_mixtral():
    # routed = (46.57 − 12.75) / (1 − 2/8) = 45.093e9; shared = 46.57 − 45.093 = 1.477e9.
    shared, routed, fraction = split_weights(46.57e9, 12.75e9, 8, 2)
    assert fraction == 0.25
    assert routed == pytest.approx(45.0933e9, rel=1e-5)
    assert shared == pytest.approx(1.4767e9, rel=1e-4)


def test_split_weights_active_fraction_only():
    # No expert structure: all weights routed with fraction 13 / 70.
    assert split_weights(70e9, 13e9, None, None) == (0.0, 70e9, 13e9 / 70e9)


def test_split_weights_dense():
    assert split_weights(70e9, 70e9, None, None) == (70e9, 0.0, 1.0)


def test_moe_read_at_batch_one_is_active():
    workload = mixtral_like()
    assert roofline.weight_bytes_read(workload, 1) == pytest.approx(2 * 12.75e9)


def test_moe_read_grows_with_batch():
    workload = mixtral_like()
    reads = [float(roofline.weight_bytes_read(workload, batch)) for batch in (1, 2, 4, 8, 16, 64)]
    assert all(later > earlier for earlier, later in zip(reads, reads[1:]))


def test_moe_read_tends_to_all_weights():
    # (1 − 1/4)^200 ≈ 1e-25: every expert is read.
    workload = mixtral_like()
    assert roofline.weight_bytes_read(workload, 200) == pytest.approx(2 * 46.57e9, rel=1e-12)


def test_expert_coverage_two_tokens():
    # Two tokens, 2 of 8 experts each: 1 − (6/8)² = 0.4375 of the experts are read.
    assert roofline.expert_coverage(2, 0.25) == pytest.approx(0.4375)


def test_moe_crossover_above_dense():
    # A dense model with Mixtral's active share would cross at 295.3 × 12.75 / 12.75 (ridge
    # point); sparsity makes the read at the crossover nearly all weights, so the crossover is
    # about 295.3 × 46.57 / 12.75 = 1,078.7, a little lower because a few experts stay unread.
    workload = mixtral_like()
    crossover = roofline.crossover_batch(workload, H100)
    assert 1000 < crossover <= 989.4 / 3.35 * 46.57 / 12.75
    step_below = roofline.decode_step(workload, H100, int(crossover), 1)
    step_above = roofline.decode_step(workload, H100, int(crossover) + 1, 1)
    assert step_below.linear.bound == "memory"
    assert step_above.linear.bound == "compute"


def test_moe_crossover_is_root():
    # At the crossover, linear compute time equals linear memory time.
    workload = mixtral_like()
    crossover = roofline.crossover_batch(workload, H100)
    memory = float(roofline.weight_bytes_read(workload, crossover)) / 3.35e12
    compute = 2 * crossover * 12.75e9 / 989.4e12
    assert compute == pytest.approx(memory, rel=1e-9)


def test_active_exceeding_read_rejected():
    from roofcalc.errors import InvalidQuantity

    with pytest.raises(InvalidQuantity, match="exceed"):
        split_weights(10e9, 11e9, None, None)
