"""Properties of the roofline model that must hold for every input (hypothesis)."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from roofcalc import model as roofline
from roofcalc.model import AttentionGroup, System, Workload, full_attention
from roofcalc.scenario import split_weights

params = st.floats(min_value=1e8, max_value=2e12)
fractions = st.floats(min_value=0.01, max_value=1.0)
batches = st.integers(min_value=1, max_value=100_000)
contexts = st.integers(min_value=1, max_value=1_000_000)


@st.composite
def attention_groups(draw):
    """Full attention, optionally with a group of windowed layers beside it."""
    kv = draw(st.floats(min_value=1e3, max_value=2e6))
    flops = draw(st.floats(min_value=1e3, max_value=1e7))
    groups = [AttentionGroup(None, kv, flops, flops)]
    if draw(st.booleans()):
        window = draw(st.integers(min_value=1, max_value=10_000))
        share = draw(st.floats(min_value=0.1, max_value=5.0))
        groups.append(AttentionGroup(window, kv * share, flops * share, flops * share))
    return tuple(groups)


@st.composite
def workloads(draw):
    total = draw(params)
    active_share = draw(fractions)
    experts = draw(st.sampled_from([None, 8, 16, 64, 128, 256]))
    per_token = None
    if experts:
        per_token = draw(st.integers(min_value=1, max_value=experts))
        # The active share must cover at least the routed share k/E of the weights.
        active_share = max(active_share, per_token / experts)
    shared, routed, fraction = split_weights(total, total * active_share, experts, per_token)
    bytes_per_weight = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return Workload(
        resident_weight_bytes=total * bytes_per_weight,
        shared_weight_bytes=shared * bytes_per_weight,
        routed_weight_bytes=routed * bytes_per_weight,
        routed_fraction=fraction,
        active_params=total * active_share,
        attention=draw(attention_groups()),
    )


@st.composite
def systems(draw):
    return System(
        num_accelerators=draw(st.integers(min_value=1, max_value=72)),
        memory_bandwidth_bytes_per_s=draw(st.floats(min_value=1e11, max_value=1e13)),
        memory_capacity_bytes=draw(st.floats(min_value=8e9, max_value=300e9)),
        peak_flops_per_s=draw(st.floats(min_value=1e13, max_value=1e16)),
        price_usd_per_hour=draw(st.floats(min_value=0.1, max_value=20.0)),
        power_w=draw(st.floats(min_value=50.0, max_value=1500.0)),
        mbu=draw(st.floats(min_value=0.1, max_value=1.0)),
        mfu=draw(st.floats(min_value=0.1, max_value=1.0)),
        memory_reserve=draw(st.floats(min_value=0.0, max_value=0.5)),
    )


@settings(max_examples=300)
@given(workloads(), systems(), batches, contexts, st.integers(min_value=1, max_value=10_000))
def test_step_latency_never_falls_with_batch(workload, system, batch, context, extra):
    smaller = roofline.decode_step(workload, system, batch, context).step_latency_s
    larger = roofline.decode_step(workload, system, batch + extra, context).step_latency_s
    assert larger >= smaller * (1 - 1e-12)


@settings(max_examples=300)
@given(workloads(), systems(), batches, contexts, st.integers(min_value=1, max_value=10_000))
def test_price_per_token_never_rises_while_memory_bound(workload, system, batch, context, extra):
    first = roofline.decode_step(workload, system, batch, context)
    second = roofline.decode_step(workload, system, batch + extra, context)
    assume(first.linear.bound == "memory" and second.linear.bound == "memory")
    assume(first.attention.bound == "memory" and second.attention.bound == "memory")
    price_first = roofline.price_per_million_tokens_usd(system, first.step_latency_s / batch)
    price_second = roofline.price_per_million_tokens_usd(system, second.step_latency_s / (batch + extra))
    assert price_second <= price_first * (1 + 1e-12)


@settings(max_examples=300)
@given(workloads(), systems(), batches, contexts)
def test_throughput_below_compute_roofline(workload, system, batch, context):
    # Each token needs at least 2 × P_active FLOPs, so B / step ≤ N × F × MFU / (2 × P_active).
    step = roofline.decode_step(workload, system, batch, context)
    throughput = roofline.throughput_tokens_per_s(batch, step.step_latency_s)
    ceiling = system.effective_flops_per_s / (2 * workload.active_params)
    assert throughput <= ceiling * (1 + 1e-12)


@settings(max_examples=300)
@given(workloads(), systems(), contexts)
def test_max_batch_never_overfills_memory(workload, system, context):
    fitting = roofline.max_batch(workload, system, context)
    assume(fitting >= 0)
    per_sequence = float(roofline.kv_cache_bytes_per_sequence(workload, context))
    used = workload.resident_weight_bytes + fitting * per_sequence
    assert used <= system.usable_memory_bytes * (1 + 1e-12)
    one_more = workload.resident_weight_bytes + (fitting + 1) * per_sequence
    assert one_more > system.usable_memory_bytes * (1 - 1e-12)


@settings(max_examples=300)
@given(workloads(), systems())
def test_crossover_separates_bounds(workload, system):
    crossover = roofline.crossover_batch(workload, system)
    assume(2 <= crossover <= 1e7)
    below = roofline.decode_step(workload, system, math.floor(crossover * (1 - 1e-6)), 1)
    above = roofline.decode_step(workload, system, math.ceil(crossover * (1 + 1e-6)), 1)
    assert below.linear.bound == "memory"
    assert above.linear.bound == "compute"


@given(workloads(), st.integers(min_value=1, max_value=10_000))
def test_weight_read_between_active_and_all(workload, batch):
    read = float(roofline.weight_bytes_read(workload, batch))
    at_one = float(roofline.weight_bytes_read(workload, 1))
    everything = workload.shared_weight_bytes + workload.routed_weight_bytes
    assert at_one * (1 - 1e-12) <= read <= everything * (1 + 1e-12)


@given(contexts, st.integers(min_value=1, max_value=2_000), st.one_of(st.none(), st.integers(min_value=1, max_value=50_000)))
def test_attended_tokens_closed_form(context, generated, window):
    # The closed form equals the mean of min(s, W) over the steps s = S .. S + G − 1.
    steps = range(context, context + generated)
    expected = sum(min(s, window) if window else s for s in steps) / generated
    assert float(roofline.attended_tokens(context, window, generated)) == pytest.approx(expected, rel=1e-12)
